import { isGraphFailure } from '../graph/GraphRequestError.js';
import type { NotificationsLostEvent } from '../events/HeraldEvents.js';
import type { LifecycleEvent } from '../model/changeEvents.js';
import type { SubscriptionRecord } from '../model/subscription.js';
import { onChatFailure, reconcileChat, requestChatSync } from './chatSubscriptions.js';
import { onSubscriptionFailure, replaceReporting } from './failureHandling.js';
import { usesCurrentCertificate } from './certificateUpkeep.js';
import { jobKeys } from './jobKeys.js';
import { dropRecord, scheduleRenewal } from './subscriptionRecords.js';
import { EXPIRY_MARGIN_MS, installed, installedChats, isWanted, NO_FLAGS, planRetry, type SubscriptionRuntime } from './subscriptionRuntime.js';
import { ownerKey } from './subscriptionSpecs.js';

// Keeping subscriptions alive: renewals before expiry and Graph's lifecycle notifications.

/** The renewal job (bound into the runtime as `renewJob`). */
export async function renew(rt: SubscriptionRuntime, id: string): Promise<void> {
  const record = await rt.deps.store.subscriptions.get(id);
  if (!record) return;
  await rt.mutex.run(ownerKey(record), () => renewLocked(rt, id));
}

/** `due`: renew now even if the record looks freshly renewed (a reauthorize answered by a PATCH). */
async function renewLocked(rt: SubscriptionRuntime, id: string, due = false): Promise<void> {
  const { store, graph, clock } = rt.deps;
  const record = await store.subscriptions.get(id);
  if (!record) return;
  if (!(await isWanted(rt, record))) {
    await dropRecord(rt, record, { deleteAtGraph: true });
    return;
  }
  const now = clock().getTime();
  if (Date.parse(record.expirationDateTime) <= now + EXPIRY_MARGIN_MS) {
    await replaceReporting(rt, record, 'expired before it could be renewed');
    return;
  }
  if (!usesCurrentCertificate(rt, record)) {
    // Graph documents no certificate PATCH: move the subscription to the new certificate by recreating it.
    await replaceReporting(rt, record, 'encryption certificate rotated', { deleteFirst: true });
    return;
  }
  if (!due && rt.policy.earliestRenewAt(record).getTime() > now) {
    // Another instance renewed it since this job was scheduled (re-read under the lock): just follow it.
    scheduleRenewal(rt, record);
    return;
  }
  const spacingEnds = spacingEndsAt(rt, record);
  if (spacingEnds !== null && spacingEnds > now) {
    scheduleRenewal(rt, record, new Date(spacingEnds));
    return;
  }
  const key = jobKeys.renew(id);
  try {
    const renewed = await graph.renewSubscription(record.tenantId, id, rt.policy.expiryFrom(clock()).toISOString());
    rt.attempts.delete(key);
    const at = clock().toISOString();
    // A PATCH also reauthorizes: a deferred reauthorizationRequired is answered by it.
    const updated = await store.subscriptions.update(id, (current) =>
      current
        ? { ...current, expirationDateTime: renewed.expirationDateTime, lastRenewedAt: at, lastRenewedBy: rt.instanceId, lastTouchedAt: at, reauthorizeDueAt: null, lastError: null }
        : current,
    );
    if (updated) scheduleRenewal(rt, updated);
    rt.deps.log.debug({ subscriptionId: id, expires: renewed.expirationDateTime }, 'subscription renewed');
  } catch (error) {
    if (!isGraphFailure(error)) throw error;
    await onSubscriptionFailure(rt, record, error, key, () => scheduleRenewal(rt, record, planRetry(rt, error, key).at));
  }
}

/** A lifecycle notification for one of Herald's subscriptions: checked, then queued as a job. */
export async function onLifecycle(rt: SubscriptionRuntime, event: LifecycleEvent): Promise<void> {
  const { store, log, clock } = rt.deps;
  const record = await store.subscriptions.get(event.subscriptionId);
  if (!record) {
    log.debug({ subscriptionId: event.subscriptionId, lifecycleEvent: event.kind }, 'lifecycle event for an unknown subscription');
    return;
  }
  if (event.tenantId && event.tenantId.toLowerCase() !== record.tenantId.toLowerCase()) {
    log.warn({ subscriptionId: record.id, lifecycleEvent: event.kind }, 'lifecycle event names another tenant; ignored');
    return;
  }
  log.info({ subscriptionId: record.id, kind: record.kind, chatId: record.chatId, lifecycleEvent: event.kind }, 'lifecycle event');
  const receivedAt = clock();
  rt.wheel.schedule(jobKeys.lifecycle(record.id, event.kind), receivedAt, () => handleLifecycle(rt, record.id, event.kind, receivedAt));
}

type LifecycleJob = LifecycleEvent['kind'] | 'reauthorizeDeferred';

/** `receivedAt`: when this instance got the event (a reauthorize stored since then answered it). */
async function handleLifecycle(rt: SubscriptionRuntime, id: string, kind: LifecycleJob, receivedAt?: Date): Promise<void> {
  const record = await rt.deps.store.subscriptions.get(id);
  if (!record) return;
  await rt.mutex.run(ownerKey(record), async () => {
    const current = await rt.deps.store.subscriptions.get(id);
    if (!current) return;
    if (kind === 'reauthorizationRequired') {
      // The same event delivered to another instance too, and answered there (PATCH or reauthorize) after it arrived here.
      if (receivedAt && answeredSince(current, receivedAt)) {
        rt.deps.log.debug({ subscriptionId: id }, 'reauthorizationRequired already answered by another instance');
        return;
      }
      await reauthorize(rt, current);
    }
    else if (kind === 'reauthorizeDeferred') {
      // Answered meanwhile (a renewal PATCH reauthorizes too): nothing is owed any more.
      if (current.reauthorizeDueAt) await reauthorize(rt, current);
    }
    else if (kind === 'subscriptionRemoved') await replaceReporting(rt, current, 'Graph removed it (subscriptionRemoved)');
    else if (kind === 'missed') await catchUp(rt, current);
  });
}

async function reauthorize(rt: SubscriptionRuntime, record: SubscriptionRecord): Promise<void> {
  const now = rt.deps.clock().getTime();
  const spacingEnds = spacingEndsAt(rt, record);
  if (spacingEnds !== null && spacingEnds > now) {
    await deferReauthorize(rt, record, new Date(spacingEnds));
    return;
  }
  const renewAt = rt.wheel.dueAt(jobKeys.renew(record.id));
  if (renewAt && renewAt.getTime() - now < rt.options.reauthorizeSpacingMs * 6) {
    // A renewal is close anyway: PATCH now (it also reauthorizes) rather than both within minutes.
    await renewLocked(rt, record.id, true);
    return;
  }
  const key = jobKeys.reauthorize(record.id);
  try {
    await rt.deps.graph.reauthorizeSubscription(record.tenantId, record.id);
    rt.attempts.delete(key);
    const at = rt.deps.clock().toISOString();
    await rt.deps.store.subscriptions.update(record.id, (current) => (current ? { ...current, lastTouchedAt: at, lastRenewedBy: rt.instanceId, reauthorizeDueAt: null, lastError: null } : current));
    if (record.chatId) await rt.deps.problems.clear(record.chatId);
    rt.deps.log.info({ subscriptionId: record.id, deferred: Boolean(record.reauthorizeDueAt) }, 'subscription reauthorized');
  } catch (error) {
    if (!isGraphFailure(error)) throw error;
    await onSubscriptionFailure(rt, record, error, key, () =>
      rt.wheel.schedule(jobKeys.lifecycle(record.id, 'reauthorizationRequired'), planRetry(rt, error, key).at, () =>
        handleLifecycle(rt, record.id, 'reauthorizationRequired'),
      ),
    );
  }
}

function answeredSince(record: SubscriptionRecord, at: Date): boolean {
  const touched = record.lastTouchedAt ? Date.parse(record.lastTouchedAt) : NaN;
  return !record.reauthorizeDueAt && Number.isFinite(touched) && touched >= at.getTime();
}

/**
 * When Graph's spacing rule next allows a PATCH or reauthorize of this subscription (ms), or null when it
 * allows one now: no reauthorize and PATCH of one subscription within 10 minutes of each other.
 * https://learn.microsoft.com/graph/change-notifications-lifecycle-events#responding-to-reauthorizationrequired-notifications
 */
function spacingEndsAt(rt: SubscriptionRuntime, record: SubscriptionRecord): number | null {
  const last = record.lastTouchedAt ? Date.parse(record.lastTouchedAt) : NaN;
  return Number.isFinite(last) ? last + rt.options.reauthorizeSpacingMs : null;
}

/**
 * A reauthorizationRequired inside the spacing window is owed, not dropped: stored (a restart still
 * answers it) and scheduled for the end of the window.
 */
async function deferReauthorize(rt: SubscriptionRuntime, record: SubscriptionRecord, at: Date): Promise<void> {
  await rt.deps.store.subscriptions.update(record.id, (current) => (current ? { ...current, reauthorizeDueAt: at.toISOString() } : current));
  scheduleOwedReauthorize(rt, record.id, at);
  rt.deps.log.info(
    { subscriptionId: record.id, lastTouchedAt: record.lastTouchedAt, reauthorizeAt: at.toISOString() },
    'reauthorizationRequired within 10 minutes of the last PATCH or reauthorize: deferred to the end of that window',
  );
}

/** Schedules a deferred reauthorize (at start-up too, from the stored `reauthorizeDueAt`). */
export function scheduleOwedReauthorize(rt: SubscriptionRuntime, id: string, at: Date): void {
  if (rt.stopped) return;
  const when = new Date(Math.max(at.getTime(), rt.deps.clock().getTime()));
  rt.wheel.schedule(jobKeys.lifecycle(id, 'reauthorizationRequired'), when, () => handleLifecycle(rt, id, 'reauthorizeDeferred'));
}

/** `missed`: notifications were lost; compare the chat (or every chat of the tenant) with Graph. */
async function catchUp(rt: SubscriptionRuntime, record: SubscriptionRecord): Promise<void> {
  if (record.chatId) {
    try {
      await reconcileChat(rt, record.tenantId, record.chatId, false);
    } catch (error) {
      if (!isGraphFailure(error)) throw error;
      const installation = await installed(rt, record.chatId);
      if (installation) await onChatFailure(rt, installation, error, jobKeys.chatSync(record.chatId), { ...NO_FLAGS, reconcile: true });
    }
    return;
  }
  for (const installation of await installedChats(rt, record.tenantId)) {
    requestChatSync(rt, installation.chatId, { reconcile: true });
  }
}

/**
 * Notifications the inbox gave up on (hours of transient failures): the chats they were about are
 * compared with Graph, so what they carried is announced from Graph's current state. A tenant-wide
 * subscription's item that names no chat stands for every chat of its tenant. One reconcile per chat
 * (the chat's sync job gathers requests until it runs).
 */
export async function catchUpLost(rt: SubscriptionRuntime, event: NotificationsLostEvent): Promise<void> {
  const chats = new Set<string>();
  for (const target of event.targets) {
    if (target.chatId) {
      chats.add(target.chatId);
      continue;
    }
    const record = target.subscriptionId ? await rt.deps.store.subscriptions.get(target.subscriptionId) : undefined;
    if (record?.chatId) chats.add(record.chatId);
    else if (record) for (const installation of await installedChats(rt, record.tenantId)) chats.add(installation.chatId);
  }
  rt.deps.log.warn({ chats: chats.size, reason: event.reason }, 'notifications given up: reconciling their chats with Graph');
  for (const chatId of chats) requestChatSync(rt, chatId, { reconcile: true });
}
