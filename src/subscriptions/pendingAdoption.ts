import type { GraphSubscription } from '../graph/GraphApi.js';
import type { PendingCreationRecord, SubscriptionRecord } from '../model/subscription.js';
import { scheduleRenewal } from './subscriptionRecords.js';
import { sameUrl, type SubscriptionRuntime } from './subscriptionRuntime.js';
import { matchesSpec, ownerKey } from './subscriptionSpecs.js';

// A creation whose instance died between its POST and storing the record left its marker behind
// (PendingCreations). Graph may have made the subscription, and notifications through it may already
// be in the inbox: adopting it (the marker keeps its clientState) hands them on instead of dropping
// them, and spares Graph a delete and a new creation.

/**
 * Settles one marker under its owner's lock (the lock its creator held from POST to stored record, so
 * a creation still in flight is waited for, never judged): adopts the one subscription Graph has for it
 * that Herald does not know, or forgets the marker. `live` is Graph's list when the caller has it.
 * Resolves with the adopted record, or null. A failure to list at Graph is thrown (the caller retries).
 */
export function resolvePendingCreation(rt: SubscriptionRuntime, marker: PendingCreationRecord, live?: GraphSubscription[]): Promise<SubscriptionRecord | null> {
  const { store, graph, log } = rt.deps;
  return rt.mutex.run(ownerKey(marker), async () => {
    const current = await store.pendingCreations.get(marker.key);
    if (!current) return null;
    const stored = (await store.subscriptions.forSpec(current)).filter((r) => matchesSpec(r, current));
    // Stored by its creator, who then failed to remove the marker.
    const own = stored.find((r) => r.clientState === current.clientState);
    if (own) {
      await store.pendingCreations.delete(current.key);
      return null;
    }
    const known = new Set(stored.map((r) => r.id));
    const candidates = (live ?? (await graph.listSubscriptions(current.tenantId))).filter(
      (s) => matchesSpec(s, current) && sameUrl(s.notificationUrl, current.notificationUrl) && !known.has(s.id),
    );
    const where = { tenantId: current.tenantId, chatId: current.chatId, kind: current.kind, startedBy: current.startedBy };
    const only = candidates.length === 1 ? candidates[0] : undefined;
    if (!only || Date.parse(only.expirationDateTime) <= rt.deps.clock().getTime() || (await store.subscriptions.get(only.id))) {
      // None: the POST never reached Graph or was refused. Several: which one carries this secret cannot
      // be told from Graph's list; the start-up reconcile deletes the ones Herald cannot verify.
      log.info({ ...where, candidates: candidates.length }, 'a creation that never settled has no subscription to adopt; forgotten');
      await store.pendingCreations.delete(current.key);
      return null;
    }
    const record: SubscriptionRecord = {
      id: only.id,
      kind: current.kind,
      tenantId: current.tenantId,
      chatId: current.chatId,
      resource: current.resource,
      changeType: current.changeType,
      clientState: current.clientState,
      expirationDateTime: only.expirationDateTime,
      encryptionCertificateId: current.encryptionCertificateId,
      encryptionCertificateThumbprint: current.encryptionCertificateThumbprint,
      createdAt: current.startedAt,
      lastRenewedAt: null,
      lastRenewedBy: rt.instanceId,
      lastNotificationAt: null,
      lastError: null,
      lastTouchedAt: null,
      reauthorizeDueAt: null,
    };
    await store.subscriptions.put(record.id, record);
    await store.pendingCreations.delete(current.key);
    scheduleRenewal(rt, record);
    log.info({ ...where, subscriptionId: record.id }, 'adopted a subscription whose creation never settled');
    return record;
  });
}

/** At start-up: every marker of the tenant left by an earlier run (or a dead instance), with Graph's list in hand. */
export async function adoptPendingCreations(rt: SubscriptionRuntime, tenantId: string, live: GraphSubscription[]): Promise<SubscriptionRecord[]> {
  const adopted: SubscriptionRecord[] = [];
  for (const marker of await rt.deps.store.pendingCreations.ofTenant(tenantId)) {
    const record = await resolvePendingCreation(rt, marker, live);
    if (record) adopted.push(record);
  }
  return adopted;
}
