import type { SubscriptionRecord } from '../model/subscription.js';
import { jobKeys } from './jobKeys.js';
import { scheduleRenewal } from './subscriptionRecords.js';
import type { SubscriptionRuntime } from './subscriptionRuntime.js';

// The encryption certificate while Herald runs: a daily check for a rotation, subscriptions moved to the
// new certificate (by their renewal job, which recreates them), and old keys kept until none uses them.

/** Whether the subscription was created with the current certificate (by thumbprint; the id alone may be reused). */
export function usesCurrentCertificate(rt: SubscriptionRuntime, record: SubscriptionRecord): boolean {
  const current = rt.deps.certificates.current();
  if (record.encryptionCertificateThumbprint) return record.encryptionCertificateThumbprint === current.thumbprint;
  if (!record.encryptionCertificateId) return true;
  if (record.encryptionCertificateId !== current.id) return false;
  // A record from before thumbprints were kept: its id only vouches for it when no other certificate has that id.
  const sharing = rt.deps.rotation?.list().filter((c) => c.id === current.id).length ?? 1;
  return sharing <= 1;
}

/** Queues the renewal (which recreates on a certificate change) of every subscription on an older certificate. */
export async function moveToCurrentCertificate(rt: SubscriptionRuntime): Promise<number> {
  const now = rt.deps.clock();
  // Records of older versions name only a certificate id: those the query returns are judged here.
  const stale = (await rt.deps.store.subscriptions.notOnCertificate(rt.deps.certificates.current().thumbprint)).filter((r) => !usesCurrentCertificate(rt, r));
  for (const record of stale) scheduleRenewal(rt, record, now);
  if (stale.length > 0) {
    rt.deps.log.info({ subscriptions: stale.length, thumbprint: rt.deps.certificates.current().thumbprint }, 'moving subscriptions to the current encryption certificate');
  }
  return stale.length;
}

export function scheduleCertificateCheck(rt: SubscriptionRuntime): void {
  if (rt.stopped || !rt.deps.rotation) return;
  const at = new Date(rt.deps.clock().getTime() + rt.options.certificateCheckMs);
  rt.wheel.schedule(jobKeys.certificateCheck(), at, () => checkCertificates(rt));
}

/**
 * The daily check: a replaced or expiring certificate becomes the primary, subscriptions move to it, and
 * keys no subscription uses any more are retired. A key is retired a day after its last subscription
 * moved at the earliest, well past Graph's 4-hour retries of notifications encrypted for it.
 */
export async function checkCertificates(rt: SubscriptionRuntime): Promise<void> {
  const { rotation, log, certificates } = rt.deps;
  if (!rotation) return;
  try {
    const retired = await retireUnused(rt);
    if (await rotation.refresh()) log.info({ thumbprint: certificates.current().thumbprint, retired }, 'encryption certificate rotated');
    await moveToCurrentCertificate(rt);
  } catch (error) {
    log.error({ err: error }, 'checking the encryption certificate failed; trying again tomorrow');
  } finally {
    scheduleCertificateCheck(rt);
  }
}

async function retireUnused(rt: SubscriptionRuntime): Promise<string[]> {
  const { rotation, store, certificates, log } = rt.deps;
  if (!rotation) return [];
  const primary = certificates.current().thumbprint;
  const retired: string[] = [];
  for (const certificate of rotation.list()) {
    if (certificate.thumbprint === primary || (await store.subscriptions.anyOnCertificate(certificate))) continue;
    if (rotation.retire(certificate.thumbprint)) retired.push(certificate.thumbprint);
  }
  if (retired.length > 0) log.info({ retired }, 'no subscription uses these encryption certificates any more; no longer decrypting with them');
  return retired;
}
