import { randomBytes } from 'node:crypto';
import type { GraphSubscription, NewSubscription } from '../graph/GraphApi.js';
import { GraphRequestError, isGraphFailure } from '../graph/GraphRequestError.js';
import type { SubscriptionRecord } from '../model/subscription.js';
import { isPermanentAccessFailure } from './accessProblem.js';
import { jobKeys } from './jobKeys.js';
import { matchesSpec, type SubscriptionSpec } from './subscriptionSpecs.js';
import { EXPIRY_MARGIN_MS, planRetry, type SubscriptionRuntime } from './subscriptionRuntime.js';

// One subscription at a time: ensure, create, schedule its renewal, forget it, delete it at Graph.

/** Makes sure exactly one live subscription for `spec` is stored; creates it when missing. */
export async function ensureSpec(rt: SubscriptionRuntime, spec: SubscriptionSpec): Promise<'kept' | 'created'> {
  const now = rt.deps.clock().getTime();
  const records = (await rt.deps.store.subscriptions.forSpec(spec))
    .sort((a, b) => Date.parse(b.expirationDateTime) - Date.parse(a.expirationDateTime));
  const keep = records.find((r) => matchesSpec(r, spec) && Date.parse(r.expirationDateTime) > now + EXPIRY_MARGIN_MS);
  for (const record of records) {
    if (record !== keep) await dropRecord(rt, record, { deleteAtGraph: Date.parse(record.expirationDateTime) > now });
  }
  if (keep) {
    if (!rt.wheel.dueAt(jobKeys.renew(keep.id))) scheduleRenewal(rt, keep);
    return 'kept';
  }
  await createSubscription(rt, spec);
  return 'created';
}

async function createSubscription(rt: SubscriptionRuntime, spec: SubscriptionSpec): Promise<SubscriptionRecord> {
  const { clock, certificates, store, log } = rt.deps;
  const certificate = certificates.current();
  const body: NewSubscription = {
    changeType: spec.changeType,
    notificationUrl: rt.notificationUrl,
    lifecycleNotificationUrl: rt.lifecycleUrl,
    resource: spec.resource,
    expirationDateTime: rt.policy.expiryFrom(clock()).toISOString(),
    // Per subscription, 64 url-safe characters (≤128 as Graph requires); compared in constant time on receipt.
    clientState: randomBytes(48).toString('base64url'),
    includeResourceData: true,
    encryptionCertificate: certificate.certificateBase64,
    encryptionCertificateId: certificate.id,
    latestSupportedTlsVersion: 'v1_2',
  };
  // Known (and stored) before it is asked for: Graph may deliver through it before its 201 arrives, to
  // any instance, and this one may die before storing the record (PendingCreations, pendingAdoption).
  const creation = await rt.pending.begin({
    kind: spec.kind,
    tenantId: spec.tenantId,
    chatId: spec.chatId,
    resource: spec.resource,
    changeType: spec.changeType,
    clientState: body.clientState,
    notificationUrl: body.notificationUrl,
    encryptionCertificateId: certificate.id,
    encryptionCertificateThumbprint: certificate.thumbprint,
  });
  let record: SubscriptionRecord;
  try {
    const created = await postSubscription(rt, spec, body);
    const now = clock().toISOString();
    record = {
      id: created.id,
      kind: spec.kind,
      tenantId: spec.tenantId,
      chatId: spec.chatId,
      resource: spec.resource,
      changeType: spec.changeType,
      clientState: body.clientState,
      expirationDateTime: created.expirationDateTime,
      encryptionCertificateId: certificate.id,
      encryptionCertificateThumbprint: certificate.thumbprint,
      createdAt: now,
      lastRenewedAt: null,
      lastRenewedBy: rt.instanceId,
      lastNotificationAt: null,
      lastError: null,
      // A creation is neither a PATCH nor a reauthorize: Graph's 10-minute spacing does not start here.
      lastTouchedAt: null,
      reauthorizeDueAt: null,
    };
    await store.subscriptions.put(record.id, record);
  } finally {
    await creation.settle();
  }
  scheduleRenewal(rt, record);
  log.info({ subscriptionId: record.id, kind: record.kind, chatId: record.chatId, tenantId: record.tenantId, expires: record.expirationDateTime }, 'subscription created');
  return record;
}

/** POST /subscriptions; a 409 for a subscription Herald does not know is deleted and the POST repeated. */
async function postSubscription(rt: SubscriptionRuntime, spec: SubscriptionSpec, body: NewSubscription): Promise<GraphSubscription> {
  const { graph, clock, store, log } = rt.deps;
  try {
    return await graph.createSubscription(spec.tenantId, body);
  } catch (error) {
    if (!(error instanceof GraphRequestError && error.conflict)) throw error;
    // Graph already has one for this resource that Herald does not know (lost store): its clientState is
    // unknown, so it cannot be adopted. Delete it and create ours.
    log.warn({ resource: spec.resource, tenantId: spec.tenantId }, 'Graph says a subscription for this resource exists; replacing it');
    for (const existing of await graph.listSubscriptions(spec.tenantId)) {
      if (matchesSpec(existing, spec) && !(await store.subscriptions.get(existing.id))) await deleteAtGraph(rt, spec.tenantId, existing.id);
    }
    return graph.createSubscription(spec.tenantId, { ...body, expirationDateTime: rt.policy.expiryFrom(clock()).toISOString() });
  }
}

export function scheduleRenewal(rt: SubscriptionRuntime, record: SubscriptionRecord, at?: Date): void {
  if (rt.stopped) return;
  const when = at ?? rt.policy.renewAt(record, rt.deps.clock());
  rt.wheel.schedule(jobKeys.renew(record.id), when, () => rt.renewJob(record.id));
}

export async function dropRecord(rt: SubscriptionRuntime, record: SubscriptionRecord, options: { deleteAtGraph: boolean }): Promise<void> {
  rt.wheel.cancelPrefix(jobKeys.subscriptionPrefix(record.id));
  rt.attempts.delete(jobKeys.renew(record.id));
  await rt.deps.store.subscriptions.delete(record.id);
  if (options.deleteAtGraph) await deleteAtGraph(rt, record.tenantId, record.id);
}

/** DELETE at Graph; "already gone" and "no access any more" count as done; brief outages are retried. */
export async function deleteAtGraph(rt: SubscriptionRuntime, tenantId: string, id: string, attempt = 1): Promise<void> {
  try {
    await rt.deps.graph.deleteSubscription(tenantId, id);
    rt.deps.log.info({ subscriptionId: id, tenantId }, 'subscription deleted');
  } catch (error) {
    if (!isGraphFailure(error)) throw error;
    if ((error instanceof GraphRequestError && error.notFound) || isPermanentAccessFailure(error)) return;
    if (attempt >= rt.options.deleteAttempts || rt.stopped) {
      rt.deps.log.warn({ subscriptionId: id, tenantId, err: error }, 'could not delete subscription; the next start-up reconcile will');
      return;
    }
    // Each DELETE chain counts its own attempts (a new chain for the same id starts again at 1).
    const retry = planRetry(rt, error, { attempt });
    rt.wheel.schedule(jobKeys.delete(id), retry.at, () => deleteAtGraph(rt, tenantId, id, attempt + 1));
  }
}
