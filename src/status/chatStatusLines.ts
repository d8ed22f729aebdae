import { catalogueEntry } from '../kernel/errorCatalogue.js';
import type { HeraldConfig } from '../config/HeraldConfig.js';
import type { SubscriptionRecord } from '../model/subscription.js';
import { markdownLiteral } from '../bot/teamsText.js';
import { describeSettings, withDefaults } from '../settings/ChatSettingsService.js';
import { recordedChanges } from '../settings/settingChanges.js';
import type { Store } from '../storage/Store.js';
import { ENGLISH, type Messages } from '../i18n/Messages.js';

/** What `@Herald status` says about one chat, in the chat's language (`m`). */
export async function chatStatusLines(deps: { store: Store; config: HeraldConfig; clock: () => Date }, chatId: string, m: Messages = ENGLISH): Promise<string[]> {
  const { store, config } = deps;
  const now = deps.clock().getTime();
  const [chat, installation, settingsChanges] = await Promise.all([
    store.chats.get(chatId),
    store.installations.get(chatId),
    store.history.page(chatId, { limit: 1, kinds: ['settingsChanged'] }),
  ]);
  const lines: string[] = [];
  lines.push(m.text('status.installed', { installed: installation?.status === 'installed' }));
  // Status is a Markdown reply: topics and names are people's text and must show as typed.
  if (chat?.topic) lines.push(m.text('status.topic', { topic: markdownLiteral(chat.topic) }));
  lines.push(m.text('status.settings', { settings: describeSettings(withDefaults(chat?.settings), m) }));
  const lastChange = settingsChanges[0];
  if (lastChange) lines.push(m.text('status.settingsChangedBy', { who: lastChange.actor?.trim() ? markdownLiteral(lastChange.actor) : m.text('status.someone'), changes: recordedChanges(lastChange, m) }));
  const tenantId = installation?.tenantId ?? chat?.tenantId;
  const subs = [
    ...(await store.subscriptions.ofChat(chatId)),
    ...(tenantId ? await store.subscriptions.tenantWide(tenantId) : []),
  ];
  if (subs.length === 0) lines.push(m.text('status.noSubscriptions'));
  for (const s of subs.sort((a, b) => a.kind.localeCompare(b.kind))) lines.push(subscriptionLine(s, now, m));
  if (chat?.problem) lines.push(m.text('status.problem', { message: chat.problem.message }));
  if (config.teamsAppId && config.graph.billingModel !== 'B') {
    const { reason, advice } = catalogueEntry('herald.graph.evaluation_mode');
    lines.push(m.text('status.warning', { reason, advice }));
  }
  return lines;
}

/** "Subscription to members of this chat: expires in 2d 22h" (or "expired", and the last error). */
function subscriptionLine(s: SubscriptionRecord, now: number, m: Messages): string {
  const remainingMs = Date.parse(s.expirationDateTime) - now;
  // Not a number (an unreadable date) reads as expired, as before.
  const expired = !(remainingMs > 0);
  return m.text('status.subscription', {
    kind: s.kind, expired, remaining: expired ? '' : m.remaining(remainingMs, ''), failed: Boolean(s.lastError), error: s.lastError ?? '',
  });
}
