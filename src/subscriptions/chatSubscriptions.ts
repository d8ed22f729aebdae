import { isGraphFailure, type GraphFailure } from '../graph/GraphRequestError.js';
import type { Installation } from '../model/installation.js';
import { emptyChatState } from '../model/chat.js';
import { isPermanentAccessFailure } from './accessProblem.js';
import { applyBaseline, diffSnapshot, readChatSnapshot } from './chatSnapshot.js';
import { jobKeys, lockKeys, type JobKey } from './jobKeys.js';
import { dropRecord, ensureSpec } from './subscriptionRecords.js';
import { installed, mergeFlags, NO_FLAGS, planRetry, type ChatSyncFlags, type SubscriptionRuntime } from './subscriptionRuntime.js';
import { chatSubscriptionSpecs } from './subscriptionSpecs.js';
import { requestTenantSync } from './tenantSubscriptions.js';

// The per-chat pair and the chat's snapshot: one sync job per chat whose flags accumulate until it runs.

export function requestChatSync(rt: SubscriptionRuntime, chatId: string, flags: Partial<ChatSyncFlags>, at: Date = rt.deps.clock()): void {
  if (rt.stopped) return;
  rt.chatFlags.set(chatId, mergeFlags(rt.chatFlags.get(chatId), flags));
  const key = jobKeys.chatSync(chatId);
  const due = rt.wheel.dueAt(key);
  const when = due && due.getTime() < at.getTime() ? due : at;
  rt.wheel.schedule(key, when, () => syncChat(rt, chatId));
}

/**
 * Herald was added to the chat: a new installation starts with a fresh retry state (earlier failures
 * belong to the installation that had them), then subscriptions and a fresh baseline.
 */
export function requestChatInstall(rt: SubscriptionRuntime, chatId: string): void {
  rt.attempts.delete(jobKeys.chatSync(chatId));
  requestChatSync(rt, chatId, { ensure: true, baseline: true });
}

/** Herald left the chat: pending work and its retry state are dropped and a removal job queued. */
export function requestChatRemoval(rt: SubscriptionRuntime, chatId: string, tenantId: string): void {
  rt.chatFlags.delete(chatId);
  rt.attempts.delete(jobKeys.chatSync(chatId));
  rt.wheel.cancelPrefix(jobKeys.chatPrefix(chatId));
  rt.wheel.schedule(jobKeys.chatRemove(chatId), rt.deps.clock(), () => removeChat(rt, chatId, tenantId));
}

async function syncChat(rt: SubscriptionRuntime, chatId: string): Promise<void> {
  const flags = rt.chatFlags.get(chatId) ?? NO_FLAGS;
  rt.chatFlags.delete(chatId);
  const installation = await installed(rt, chatId);
  if (!installation) return;
  const key = jobKeys.chatSync(chatId);
  let ok = false;
  try {
    await rt.mutex.run(lockKeys.chat(chatId), () => syncChatLocked(rt, chatId, flags));
    ok = true;
    rt.attempts.delete(key);
  } catch (error) {
    if (!isGraphFailure(error)) throw error;
    await onChatFailure(rt, installation, error, key, flags);
  }
  if (ok && flags.ensure) requestTenantSync(rt, installation.tenantId);
}

async function syncChatLocked(rt: SubscriptionRuntime, chatId: string, flags: ChatSyncFlags): Promise<void> {
  // Checked under the lock: a removal queued before this job has already run.
  const installation = await installed(rt, chatId);
  if (!installation) return;
  const { tenantId } = installation;
  let created = false;
  if (flags.ensure) {
    for (const spec of chatSubscriptionSpecs(tenantId, chatId)) {
      if ((await ensureSpec(rt, spec)) === 'created') created = true;
    }
    await rt.deps.problems.clear(chatId);
  }
  const state = await rt.deps.store.chats.get(chatId);
  if (flags.baseline || !state?.baselineAt) {
    await takeBaseline(rt, tenantId, chatId);
  } else if (flags.reconcile || flags.rebaseline || created) {
    await reconcileChat(rt, tenantId, chatId, flags.rebaseline || created);
  }
}

export async function onChatFailure(rt: SubscriptionRuntime, installation: Installation, error: GraphFailure, key: JobKey, flags: ChatSyncFlags): Promise<void> {
  const { chatId, tenantId } = installation;
  if (isPermanentAccessFailure(error)) {
    rt.attempts.delete(key);
    await rt.deps.problems.report(chatId, tenantId, error);
    return;
  }
  const retry = planRetry(rt, error, key);
  rt.deps.log.warn({ chatId, err: error, attempt: retry.attempt, retryInMs: retry.delayMs }, 'chat subscription work failed; will retry');
  requestChatSync(rt, chatId, flags, retry.at);
}

async function removeChat(rt: SubscriptionRuntime, chatId: string, tenantId: string): Promise<void> {
  await rt.mutex.run(lockKeys.chat(chatId), async () => {
    // Re-installed meanwhile: the newer install wins.
    if (await installed(rt, chatId)) return;
    for (const record of await rt.deps.store.subscriptions.ofChat(chatId)) {
      await dropRecord(rt, record, { deleteAtGraph: true });
    }
    rt.deps.log.info({ chatId }, 'removed the chat\'s subscriptions');
  });
  requestTenantSync(rt, tenantId);
}

/** Reads the chat and its members and stores them as the truth to diff against (no announcements). */
async function takeBaseline(rt: SubscriptionRuntime, tenantId: string, chatId: string): Promise<void> {
  const snapshot = await readChatSnapshot(rt.deps.graph, tenantId, chatId, rt.deps.clock());
  await rt.deps.store.chats.update(chatId, (current) => applyBaseline(current ?? emptyChatState(chatId, tenantId), snapshot, rt.ownIds));
  rt.deps.log.info({ chatId, members: snapshot.members.length }, 'baseline taken');
}

/** Re-reads the chat and emits what differs from the stored state as reconcile change events. */
export async function reconcileChat(rt: SubscriptionRuntime, tenantId: string, chatId: string, rebaseline: boolean): Promise<void> {
  const now = rt.deps.clock();
  const snapshot = await readChatSnapshot(rt.deps.graph, tenantId, chatId, now);
  const state = await rt.deps.store.chats.get(chatId);
  if (!state) {
    await takeBaseline(rt, tenantId, chatId);
    return;
  }
  const changes = diffSnapshot(state, snapshot, now.toISOString(), rt.ownIds);
  rt.deps.log.info({ chatId, changes: changes.length }, 'reconciled chat with Graph');
  if (changes.length > 0) await rt.deps.units.apply({ chatId, tenantId, changes });
  if (rebaseline) {
    await rt.deps.store.chats.update(chatId, (current) => (current ? { ...current, baselineAt: snapshot.takenAt } : current));
  }
}
