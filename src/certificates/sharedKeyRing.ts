import type { Logger } from 'pino';
import type { HeraldConfig } from '../config/HeraldConfig.js';
import type { StoredCertificate } from '../storage/records.js';
import type { KeyLocks, SharedCertificates } from '../storage/Store.js';
import type { CertificateRotation } from './EncryptionCertificate.js';
import { generateNotificationCertificate } from './generateNotificationCertificate.js';
import { DEFAULT_CERTIFICATE_POLICY, type CertificatePolicy } from './loadNotificationKeyRing.js';
import { CertificateError, normalizeThumbprint, notificationKeyFromPem, type NotificationKey } from './NotificationKey.js';
import { NotificationKeyRing } from './NotificationKeyRing.js';

export interface SharedKeyRingDeps {
  config: Pick<HeraldConfig, 'notificationCert'>;
  certificates: SharedCertificates;
  locks: KeyLocks;
  log: Logger;
  clock: () => Date;
  policy?: Partial<CertificatePolicy>;
  /**
   * A newly generated certificate becomes the primary (the one new subscriptions get) only this long
   * after it was stored, so every instance has loaded it (they look every `SHARED_CERTIFICATE_POLL_MS`)
   * before Graph encrypts anything for it.
   */
  activationMs?: number;
}

const DAY = 24 * 60 * 60 * 1000;
/** How often every instance looks for certificates another instance generated. */
export const SHARED_CERTIFICATE_POLL_MS = 60_000;
const DEFAULT_ACTIVATION_MS = 5 * SHARED_CERTIFICATE_POLL_MS;
const GENERATION_LOCK = 'notification-certificate';
// Certificates the daily check retired (no subscription uses them): not loaded again from the store.
const retiredOf = new WeakMap<NotificationKeyRing, Set<string>>();

/**
 * The key ring of an instance that shares its store with others (DATABASE_URL) and has no
 * NOTIFICATION_CERT_FILE: the generated certificates live in the store, so Graph's notifications can be
 * decrypted by whichever instance they reach. One instance generates (under a lock); all load.
 */
export async function loadSharedKeyRing(deps: SharedKeyRingDeps): Promise<NotificationKeyRing> {
  const ring = new NotificationKeyRing();
  await syncSharedKeyRing(ring, deps);
  return ring;
}

/**
 * Loads the certificates of the store, generates one when none is far enough from expiry, and picks the
 * primary: the newest that every instance has had time to load, else (first start) the newest. Returns
 * whether the primary changed.
 */
export async function syncSharedKeyRing(ring: NotificationKeyRing, deps: SharedKeyRingDeps): Promise<boolean> {
  const policy = { ...DEFAULT_CERTIFICATE_POLICY, ...deps.policy };
  const activationMs = deps.activationMs ?? DEFAULT_ACTIVATION_MS;
  const { certificates, locks, log, clock } = deps;
  const now = clock().getTime();
  const fresh = (c: Loaded) => c.key.notAfter.getTime() - now >= policy.renewBeforeDays * DAY;
  let loaded = usable(await certificates.list(), now, policy, log);
  if (!loaded.some(fresh)) {
    loaded = await locks.run(GENERATION_LOCK, async () => {
      // Another instance may have generated one while this one waited.
      const current = usable(await certificates.list(), now, policy, log);
      if (current.some(fresh)) return current;
      const generated = await generateNotificationCertificate({ now: clock(), validityDays: policy.validityDays });
      const key = notificationKeyFromPem({ ...generated, source: 'generated (shared store)' });
      await certificates.add({ thumbprint: key.thumbprint, ...generated, createdAt: clock().toISOString() });
      log.info({ thumbprint: key.thumbprint, notAfter: key.notAfter.toISOString() }, 'generated a notification certificate for every instance');
      return usable(await certificates.list(), now, policy, log);
    });
  }
  const before = ring.primaryThumbprint;
  const retired = retiredOf.get(ring) ?? new Set<string>();
  for (const { key } of loaded) if (!retired.has(key.thumbprint) && !ring.find({ thumbprint: key.thumbprint })) ring.add(key);
  const newestFirst = [...loaded].sort((a, b) => b.createdAt - a.createdAt);
  const active = newestFirst.find((c) => c.createdAt + activationMs <= now && c.key.notAfter.getTime() > now);
  const chosen = active ?? (before === null ? newestFirst[0] : undefined);
  if (chosen && chosen.key.thumbprint !== before) {
    const { certId } = deps.config.notificationCert;
    ring.add(certId ? { ...chosen.key, id: certId } : chosen.key, { primary: true });
    log.info({ thumbprint: chosen.key.thumbprint, previous: before }, 'notification certificate in use');
  }
  return before !== null && ring.primaryThumbprint !== before;
}

/** The shared ring's rotation, for the subscription manager's daily check. */
export function sharedKeyRingRotation(ring: NotificationKeyRing, deps: SharedKeyRingDeps): CertificateRotation {
  return {
    refresh: () => syncSharedKeyRing(ring, deps),
    list: () => ring.list(),
    retire: (thumbprint) => {
      if (!ring.remove(thumbprint)) return false;
      const retired = retiredOf.get(ring) ?? new Set<string>();
      retiredOf.set(ring, retired.add(normalizeThumbprint(thumbprint)));
      return true;
    },
  };
}

interface Loaded {
  key: NotificationKey;
  createdAt: number;
}

function usable(stored: StoredCertificate[], now: number, policy: CertificatePolicy, log: Logger): Loaded[] {
  const out: Loaded[] = [];
  for (const certificate of stored) {
    try {
      const key = notificationKeyFromPem({ certPem: certificate.certPem, keyPem: certificate.keyPem, source: 'generated (shared store)' });
      if (now - key.notAfter.getTime() > policy.keepExpiredDays * DAY) continue;
      out.push({ key, createdAt: Date.parse(certificate.createdAt) || 0 });
    } catch (error) {
      log.warn({ err: error instanceof CertificateError ? error.message : error, thumbprint: certificate.thumbprint }, 'ignoring an unreadable shared notification certificate');
    }
  }
  return out;
}
