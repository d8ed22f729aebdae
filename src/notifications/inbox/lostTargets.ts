import type { LostNotificationTarget } from '../../events/HeraldEvents.js';
import { normalizeNotification, readEnvelope } from '../decode/normalizeNotification.js';
import { parseResource } from '../decode/parseResource.js';

/**
 * What the given items of a stored batch were about: their tenant, subscription and, from the resource,
 * their chat. One target per distinct (tenant, chat, subscription); items that are not even objects are
 * left out (nothing can be caught up for them).
 */
export function lostTargets(body: unknown, indexes: readonly number[]): LostNotificationTarget[] {
  const envelope = readEnvelope(body);
  if (!envelope.ok) return [];
  const targets = new Map<string, LostNotificationTarget>();
  for (const index of indexes) {
    const item = normalizeNotification(envelope.items[index], index);
    if (!item) continue;
    const resource = item.resource ? parseResource(item.resource) : null;
    const chatId = resource && 'chatId' in resource ? resource.chatId : null;
    const target = { tenantId: item.tenantId, chatId, subscriptionId: item.subscriptionId };
    targets.set(JSON.stringify(target), target);
  }
  return [...targets.values()];
}
