import type { GraphSubscription } from '../graph/GraphApi.js';
import type { SubscriptionRecord } from '../model/subscription.js';
import { isGraphFailure } from '../graph/GraphRequestError.js';
import { moveToCurrentCertificate, scheduleCertificateCheck } from './certificateUpkeep.js';
import { requestChatSync } from './chatSubscriptions.js';
import { jobKeys, lockKeys } from './jobKeys.js';
import { adoptPendingCreations } from './pendingAdoption.js';
import { deleteAtGraph, dropRecord, scheduleRenewal } from './subscriptionRecords.js';
import { EXPIRY_MARGIN_MS, installedChats, sameUrl, tenantSpecs, type SubscriptionRuntime } from './subscriptionRuntime.js';
import { chatSubscriptionSpecs, matchesSpec, type SubscriptionSpec } from './subscriptionSpecs.js';
import { requestTenantSync } from './tenantSubscriptions.js';
import { scheduleOwedReauthorize } from './upkeep.js';

/** Start-up reconcile: per known tenant, compare Graph's list with the store; then schedule renewals. */
export async function reconcileAtStart(rt: SubscriptionRuntime): Promise<void> {
  const { deps } = rt;
  if (deps.teamsAppId && deps.billingModel !== 'B') {
    deps.log.warn(
      { teamsAppId: deps.teamsAppId },
      'TEAMS_APP_ID is set without GRAPH_BILLING_MODEL=B: the tenant-wide installedToChats subscriptions run in Graph evaluation mode (about 500 notifications a month, then Graph silently stops sending). Per-chat subscriptions are not affected.',
    );
  }
  const tenants = new Set<string>();
  for (const installation of await installedChats(rt)) tenants.add(installation.tenantId);
  for (const tenantId of await deps.store.subscriptions.tenants()) tenants.add(tenantId);
  for (const tenantId of tenants) {
    if (rt.stopped) return;
    await reconcileTenantAtStart(rt, tenantId);
  }
  // Anything not touched above (e.g. a tenant whose list failed) still gets its renewal.
  for (const record of await deps.store.subscriptions.all()) {
    if (!rt.wheel.dueAt(jobKeys.renew(record.id))) scheduleRenewal(rt, record);
    // A reauthorizationRequired deferred before the restart is still owed.
    if (record.reauthorizeDueAt) scheduleOwedReauthorize(rt, record.id, new Date(record.reauthorizeDueAt));
  }
  // A certificate rotated at start (or before the restart) is taken up now, not at each renewal.
  await moveToCurrentCertificate(rt);
  scheduleCertificateCheck(rt);
}

async function reconcileTenantAtStart(rt: SubscriptionRuntime, tenantId: string): Promise<void> {
  const { graph, store, log } = rt.deps;
  const chats = await installedChats(rt, tenantId);
  // Only records that existed before the list are judged by it (a chat installed meanwhile is not).
  // Read once per tenant, not per chat: a restart with thousands of chats must not scan the store per spec.
  const stored = await store.subscriptions.ofTenant(tenantId);
  const storedBefore = new Set(stored.map((r) => r.id));
  const storedBySpec = new Map<string, SubscriptionRecord[]>();
  for (const record of stored) storedBySpec.set(specKey(record), [...(storedBySpec.get(specKey(record)) ?? []), record]);
  let live: GraphSubscription[];
  try {
    live = await graph.listSubscriptions(tenantId);
  } catch (error) {
    if (!isGraphFailure(error)) throw error;
    // Without Graph's view, fall back to the store: ensure each chat (failures are handled per chat).
    log.warn({ tenantId, err: error }, 'could not list subscriptions at start; working from storage');
    for (const installation of chats) requestChatSync(rt, installation.chatId, { ensure: true });
    requestTenantSync(rt, tenantId);
    return;
  }
  // A creation an earlier run (or a dead instance) never settled: its subscription is adopted, so
  // notifications already accepted through it are handed on rather than lost with a deleted orphan.
  for (const record of await adoptPendingCreations(rt, tenantId, live)) {
    storedBefore.add(record.id);
    storedBySpec.set(specKey(record), [...(storedBySpec.get(specKey(record)) ?? []), record]);
  }
  // Herald's own: pointing at this PUBLIC_URL, or known to the store (e.g. created under an older URL).
  const mine = live.filter((s) => sameUrl(s.notificationUrl, rt.notificationUrl) || storedBefore.has(s.id));
  const handled = new Set<string>();
  for (const installation of chats) {
    const missing = await rt.mutex.run(lockKeys.chat(installation.chatId), () =>
      adopt(rt, chatSubscriptionSpecs(tenantId, installation.chatId), mine, handled, storedBySpec),
    );
    if (missing) requestChatSync(rt, installation.chatId, { ensure: true, reconcile: true, rebaseline: true });
  }
  const specs = await tenantSpecs(rt, tenantId);
  if (specs.length > 0) {
    const missing = await rt.mutex.run(lockKeys.tenant(tenantId), () => adopt(rt, specs, mine, handled, storedBySpec));
    if (missing) requestTenantSync(rt, tenantId);
  }
  let orphans = 0;
  for (const sub of mine) {
    if (handled.has(sub.id)) continue;
    // Re-checked under its owner's lock right before deleting: another instance may have created and stored
    // it since the list, and one creating it now holds that lock from its POST until its record is stored.
    const deleted = await rt.mutex.run(orphanOwnerKey(tenantId, sub), async () => {
      if (await store.subscriptions.get(sub.id)) return false;
      await deleteAtGraph(rt, tenantId, sub.id);
      return true;
    });
    if (deleted) orphans++;
  }
  // Stored records Graph no longer has, for chats Herald left or resources it no longer wants.
  for (const record of (await store.subscriptions.ofTenant(tenantId)).filter((r) => storedBefore.has(r.id) && !handled.has(r.id))) {
    await dropRecord(rt, record, { deleteAtGraph: false });
  }
  log.info({ tenantId, chats: chats.length, live: mine.length, adopted: handled.size, orphansDeleted: orphans }, 'subscriptions reconciled at start');
}

/**
 * Matches Graph's live subscriptions with the stored records for each spec. A live one Herald has a
 * record for (hence its clientState) is adopted; other live ones for the same resource are deleted
 * (duplicates, or unknown clientState); stored records without a live subscription are forgotten.
 * Returns whether any spec is left without a subscription.
 */
async function adopt(
  rt: SubscriptionRuntime,
  specs: SubscriptionSpec[],
  mine: GraphSubscription[],
  handled: Set<string>,
  storedBySpec: ReadonlyMap<string, SubscriptionRecord[]>,
): Promise<boolean> {
  const { store } = rt.deps;
  let missing = false;
  for (const spec of specs) {
    const candidates = mine.filter((s) => !handled.has(s.id) && matchesSpec(s, spec));
    const stored = await withFreshRecords(rt, storedBySpec.get(specKey(spec)) ?? [], candidates);
    const usable = candidates
      .filter((s) => stored.some((r) => r.id === s.id && matchesSpec(r, spec)))
      .filter((s) => sameUrl(s.notificationUrl, rt.notificationUrl) && sameUrl(s.lifecycleNotificationUrl, rt.lifecycleUrl))
      .filter((s) => Date.parse(s.expirationDateTime) > rt.deps.clock().getTime() + EXPIRY_MARGIN_MS)
      .sort((a, b) => Date.parse(b.expirationDateTime) - Date.parse(a.expirationDateTime));
    const keep = usable[0];
    for (const sub of candidates) {
      handled.add(sub.id);
      if (sub !== keep) {
        await deleteAtGraph(rt, spec.tenantId, sub.id);
        await store.subscriptions.delete(sub.id);
        rt.wheel.cancel(jobKeys.renew(sub.id));
      }
    }
    for (const record of stored) {
      if (record.id !== keep?.id) await dropRecord(rt, record, { deleteAtGraph: false });
    }
    if (keep) {
      // The later of the two: another instance may have renewed it since Graph's list was read.
      const updated = await store.subscriptions.update(keep.id, (current) =>
        current ? { ...current, expirationDateTime: laterOf(current.expirationDateTime, keep.expirationDateTime) } : current,
      );
      if (updated) scheduleRenewal(rt, updated);
    } else {
      missing = true;
    }
  }
  return missing;
}

/**
 * The records read before the list, plus any a live candidate has now (read under the owner's lock):
 * another instance may have created it meanwhile, and it is then adopted, not deleted as unknown.
 */
async function withFreshRecords(rt: SubscriptionRuntime, stored: SubscriptionRecord[], candidates: GraphSubscription[]): Promise<SubscriptionRecord[]> {
  const fresh: SubscriptionRecord[] = [];
  for (const sub of candidates) {
    if (stored.some((r) => r.id === sub.id)) continue;
    const record = await rt.deps.store.subscriptions.get(sub.id);
    if (record) fresh.push(record);
  }
  return fresh.length === 0 ? stored : [...stored, ...fresh];
}

function laterOf(a: string, b: string): string {
  return Date.parse(a) > Date.parse(b) ? a : b;
}

/** The lock of a listed subscription's owner: its chat for a per-chat resource, else its tenant. */
function orphanOwnerKey(tenantId: string, sub: Pick<GraphSubscription, 'resource'>): string {
  // Not normalizeResource: it lower-cases, and the lock key must spell the chat id as the installation does.
  const chat = /^\/*chats\/([^/?]+)/i.exec(sub.resource.trim());
  if (!chat) return lockKeys.tenant(tenantId);
  try {
    return lockKeys.chat(decodeURIComponent(chat[1]));
  } catch {
    return lockKeys.chat(chat[1]);
  }
}

/** Records and specs of one subscription slot (tenant, chat, kind) share this key. */
function specKey(of: Pick<SubscriptionSpec, 'tenantId' | 'chatId' | 'kind'>): string {
  return `${of.tenantId}|${of.chatId ?? ''}|${of.kind}`;
}
