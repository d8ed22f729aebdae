import { describeFailure } from '../graph/describeFailure.js';
import { GraphRequestError, isGraphFailure, type GraphFailure } from '../graph/GraphRequestError.js';
import { catalogueEntry } from '../kernel/errorCatalogue.js';
import type { HeraldErrorCode } from '../kernel/errors.js';
import { isPermanentAccessFailure } from './accessProblem.js';
import { jobKeys, lockKeys, type JobKey } from './jobKeys.js';
import { dropRecord, ensureSpec } from './subscriptionRecords.js';
import { planRetry, tenantSpecs, type SubscriptionRuntime } from './subscriptionRuntime.js';
import { matchesSpec } from './subscriptionSpecs.js';
import { clearTenantProblem, recordTenantProblem } from './tenantProblems.js';

// The optional tenant-wide pair (installedToChats), one sync job per tenant.

export function requestTenantSync(rt: SubscriptionRuntime, tenantId: string, at: Date = rt.deps.clock()): void {
  if (rt.stopped) return;
  const key = jobKeys.tenantSync(tenantId);
  const due = rt.wheel.dueAt(key);
  rt.wheel.schedule(key, due && due < at ? due : at, () => syncTenant(rt, tenantId));
}

async function syncTenant(rt: SubscriptionRuntime, tenantId: string): Promise<void> {
  const key = jobKeys.tenantSync(tenantId);
  try {
    await rt.mutex.run(lockKeys.tenant(tenantId), () => syncTenantLocked(rt, tenantId));
    rt.attempts.delete(key);
  } catch (error) {
    if (!isGraphFailure(error)) throw error;
    await onTenantFailure(rt, tenantId, error, key);
    return;
  }
  await clearTenantProblem(rt, tenantId);
}

async function syncTenantLocked(rt: SubscriptionRuntime, tenantId: string): Promise<void> {
  const wanted = await tenantSpecs(rt, tenantId);
  for (const record of await rt.deps.store.subscriptions.tenantWide(tenantId)) {
    if (!wanted.some((spec) => spec.kind === record.kind && matchesSpec(record, spec))) await dropRecord(rt, record, { deleteAtGraph: true });
  }
  for (const spec of wanted) await ensureSpec(rt, spec);
}

export async function onTenantFailure(rt: SubscriptionRuntime, tenantId: string, error: GraphFailure, key: JobKey): Promise<void> {
  if (isPermanentAccessFailure(error) || (error instanceof GraphRequestError && (error.paymentRequired || error.status === 400))) {
    // Not retried: WhereInstalled permissions, billing (model=B), the login or the resource itself need an admin.
    const code = tenantProblemCode(error);
    const { reason, advice } = catalogueEntry(code, error.context);
    await recordTenantProblem(rt, tenantId, { code, message: `${reason} (${describeFailure(error).summary}). ${advice}` });
    rt.deps.log.error({ tenantId, err: error }, 'tenant-wide subscriptions refused; not retrying until the next install or restart');
    return;
  }
  const retry = planRetry(rt, error, key);
  rt.deps.log.warn({ tenantId, err: error, attempt: retry.attempt, retryInMs: retry.delayMs }, 'tenant-wide subscription work failed; will retry');
  requestTenantSync(rt, tenantId, retry.at);
}

/** A refused installedToChats pair: billing (402), the WhereInstalled permissions, or the login's own code. */
function tenantProblemCode(error: GraphFailure): HeraldErrorCode {
  if (error instanceof GraphRequestError) return error.paymentRequired ? 'herald.graph.billing_missing' : 'herald.graph.tenant_permissions_missing';
  return error.code;
}
