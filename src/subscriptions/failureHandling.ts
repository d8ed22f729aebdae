import { describeFailure } from '../graph/describeFailure.js';
import { GraphRequestError, isGraphFailure, type GraphFailure } from '../graph/GraphRequestError.js';
import type { SubscriptionRecord } from '../model/subscription.js';
import { isPermanentAccessFailure } from './accessProblem.js';
import { onChatFailure, reconcileChat } from './chatSubscriptions.js';
import { jobKeys, type JobKey } from './jobKeys.js';
import { dropRecord, ensureSpec } from './subscriptionRecords.js';
import { installed, NO_FLAGS, tenantSpecs, type SubscriptionRuntime } from './subscriptionRuntime.js';
import { chatSubscriptionSpecs } from './subscriptionSpecs.js';
import { onTenantFailure } from './tenantSubscriptions.js';

// What happens when one subscription fails at Graph: recreate it, report it, or retry.

/**
 * Shared handling of a failed renew/reauthorize: 404 recreates; access refused is recorded (chat) or
 * reported (tenant) and not retried; anything else is retried later via `retry`.
 */
export async function onSubscriptionFailure(rt: SubscriptionRuntime, record: SubscriptionRecord, error: GraphFailure, key: JobKey, retry: () => void): Promise<void> {
  await rt.deps.store.subscriptions.update(record.id, (current) => (current ? { ...current, lastError: describeFailure(error).summary } : current));
  if (error instanceof GraphRequestError && error.notFound) {
    rt.attempts.delete(key);
    await replaceReporting(rt, record, 'Graph no longer has it (404)');
    return;
  }
  if (isPermanentAccessFailure(error)) {
    rt.attempts.delete(key);
    if (record.chatId) await rt.deps.problems.report(record.chatId, record.tenantId, error);
    else await onTenantFailure(rt, record.tenantId, error, key);
    return;
  }
  rt.deps.log.warn({ subscriptionId: record.id, err: error }, 'subscription call failed; will retry');
  retry();
}

/** The subscription is gone or unusable: forget it, create a new one, and catch up on what was missed. */
async function replace(rt: SubscriptionRuntime, record: SubscriptionRecord, reason: string, options: { deleteFirst: boolean }): Promise<void> {
  rt.deps.log.info({ subscriptionId: record.id, kind: record.kind, chatId: record.chatId, reason }, 'replacing subscription');
  await dropRecord(rt, record, { deleteAtGraph: options.deleteFirst });
  if (record.chatId) {
    const installation = await installed(rt, record.chatId);
    if (!installation) return;
    const spec = chatSubscriptionSpecs(installation.tenantId, installation.chatId).find((s) => s.kind === record.kind);
    if (spec) await ensureSpec(rt, spec);
    // Notifications may have been lost while it was missing: compare with Graph and announce the difference.
    await reconcileChat(rt, installation.tenantId, installation.chatId, true);
  } else {
    const spec = (await tenantSpecs(rt, record.tenantId)).find((s) => s.kind === record.kind);
    if (spec) await ensureSpec(rt, spec);
  }
}

/** `replace`, with a failure to recreate handed to the chat/tenant retry logic instead of thrown. */
export async function replaceReporting(rt: SubscriptionRuntime, record: SubscriptionRecord, reason: string, options = { deleteFirst: false }): Promise<void> {
  try {
    await replace(rt, record, reason, options);
  } catch (error) {
    if (!isGraphFailure(error)) throw error;
    if (record.chatId) {
      const installation = await installed(rt, record.chatId);
      if (installation) await onChatFailure(rt, installation, error, jobKeys.chatSync(record.chatId), { ...NO_FLAGS, ensure: true, reconcile: true, rebaseline: true });
    } else {
      await onTenantFailure(rt, record.tenantId, error, jobKeys.tenantSync(record.tenantId));
    }
  }
}
