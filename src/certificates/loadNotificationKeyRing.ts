import { chmod, mkdir, open, readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { HeraldConfig } from '../config/HeraldConfig.js';
import type { CertificateRotation } from './EncryptionCertificate.js';
import { generateNotificationCertificate, type GeneratedCertificate } from './generateNotificationCertificate.js';
import { CertificateError, notificationKeyFromPem, type NotificationKey } from './NotificationKey.js';
import { NotificationKeyRing } from './NotificationKeyRing.js';
import { readConfiguredCertificate } from './readConfiguredCertificate.js';

/** Where generated certificates live: `<DATA_DIR>/certificates/notification-<thumbprint>.{cert,key}.pem`. */
export const CERTIFICATE_DIR = 'certificates';
const CERT_SUFFIX = '.cert.pem';
const KEY_SUFFIX = '.key.pem';

export interface CertificatePolicy {
  /** Lifetime of generated certificates. */
  validityDays: number;
  /** A generated primary certificate closer than this to its expiry is replaced by a new one. */
  renewBeforeDays: number;
  /**
   * Certificates expired longer than this are no longer loaded. Graph does not check expiry, so a
   * subscription keeps naming its certificate until it is recreated; this leaves time for that.
   */
  keepExpiredDays: number;
}

export const DEFAULT_CERTIFICATE_POLICY: CertificatePolicy = { validityDays: 730, renewBeforeDays: 30, keepExpiredDays: 30 };

export interface LoadKeyRingDeps {
  config: Pick<HeraldConfig, 'notificationCert' | 'dataDir'>;
  log: Logger;
  clock: () => Date;
  policy?: Partial<CertificatePolicy>;
}

const DAY = 24 * 60 * 60 * 1000;

/**
 * Builds the key ring at start-up. With NOTIFICATION_CERT_FILE/KEY_FILE that pair is the primary
 * certificate; otherwise Herald generates one into DATA_DIR on first start (files 0600) and replaces it
 * before it expires. Certificates generated earlier stay loaded for notifications that still name them.
 */
export async function loadNotificationKeyRing(deps: LoadKeyRingDeps): Promise<NotificationKeyRing> {
  const policy = { ...DEFAULT_CERTIFICATE_POLICY, ...deps.policy };
  const { config, log, clock } = deps;
  const now = clock();
  const dir = join(config.dataDir, CERTIFICATE_DIR);
  const ring = new NotificationKeyRing();

  const stored = (await readStoredKeys(dir, log)).filter((key) => {
    const expiredFor = now.getTime() - key.notAfter.getTime();
    if (expiredFor > policy.keepExpiredDays * DAY) {
      log.info({ thumbprint: key.thumbprint, notAfter: key.notAfter.toISOString() }, 'notification certificate expired long ago; not loaded');
      return false;
    }
    return true;
  });
  for (const key of stored) ring.add(key);
  // The newest generated certificate is the primary, unless refreshPrimary replaces it.
  const newest = [...stored].sort((a, b) => b.notAfter.getTime() - a.notAfter.getTime())[0];
  if (newest) ring.add(newest, { primary: true });
  await refreshPrimary(ring, deps);
  return ring;
}

/**
 * Makes the ring's primary certificate the one to use now, keeping the others for notifications that
 * still name them. With NOTIFICATION_CERT_FILE/KEY_FILE: that pair as it is on disk now (re-read, since
 * it may have been replaced, even under the same NOTIFICATION_CERT_ID). Otherwise the generated one,
 * replaced by a new one when it is about to expire. Returns whether the primary changed.
 */
export async function refreshPrimary(ring: NotificationKeyRing, deps: LoadKeyRingDeps): Promise<boolean> {
  const policy = { ...DEFAULT_CERTIFICATE_POLICY, ...deps.policy };
  const { config, log, clock } = deps;
  const now = clock();
  const before = ring.primaryThumbprint;
  const { certFile, keyFile, certId } = config.notificationCert;
  if (certFile && keyFile) {
    const configured = await readConfiguredCertificate({ certFile, keyFile, certId });
    ring.add(configured, { primary: true });
    if (configured.notAfter.getTime() - now.getTime() < policy.renewBeforeDays * DAY) {
      log.warn({ thumbprint: configured.thumbprint, notAfter: configured.notAfter.toISOString() }, 'configured notification certificate expires soon; replace NOTIFICATION_CERT_FILE');
    }
    if (before !== configured.thumbprint) {
      log.info({ certificateId: configured.id, thumbprint: configured.thumbprint, previous: before, also: ring.size - 1 }, 'notification certificate loaded');
    }
    return before !== null && before !== configured.thumbprint;
  }
  const primary = ring.primaryKey;
  if (primary && primary.notAfter.getTime() - now.getTime() >= policy.renewBeforeDays * DAY) {
    // NOTIFICATION_CERT_ID names the primary only; lookups prefer thumbprints, so an id reused across a rotation is harmless.
    if (certId && primary.id !== certId) ring.add({ ...primary, id: certId }, { primary: true });
    return false;
  }
  const generated = await generateNotificationCertificate({ now, validityDays: policy.validityDays });
  const key = notificationKeyFromPem({ ...generated, source: 'generated' });
  await writeKeyFiles(join(config.dataDir, CERTIFICATE_DIR), key.thumbprint, generated);
  ring.add(certId ? { ...key, id: certId } : key, { primary: true });
  log.info({ thumbprint: key.thumbprint, notAfter: key.notAfter.toISOString(), previous: before }, 'generated a notification certificate');
  return before !== null;
}

/** The ring's rotation at runtime, for the subscription manager's daily check. */
export function keyRingRotation(ring: NotificationKeyRing, deps: LoadKeyRingDeps): CertificateRotation {
  return { refresh: () => refreshPrimary(ring, deps), list: () => ring.list(), retire: (thumbprint) => ring.remove(thumbprint) };
}

async function readStoredKeys(dir: string, log: Logger): Promise<NotificationKey[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const keys: NotificationKey[] = [];
  for (const name of names.filter((n) => n.endsWith(CERT_SUFFIX)).sort()) {
    const base = name.slice(0, -CERT_SUFFIX.length);
    const certPath = join(dir, name);
    try {
      keys.push(
        notificationKeyFromPem({
          certPem: await readFile(certPath, 'utf8'),
          keyPem: await readFile(join(dir, `${base}${KEY_SUFFIX}`), 'utf8'),
          source: certPath,
        }),
      );
    } catch (error) {
      // A broken leftover must not stop Herald; notifications naming it are dropped as unknownCertificate.
      log.warn({ err: error instanceof CertificateError ? error.message : error, file: certPath }, 'ignoring unreadable notification certificate');
    }
  }
  return keys;
}

async function writeKeyFiles(dir: string, thumbprint: string, generated: GeneratedCertificate): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const base = join(dir, `notification-${thumbprint.toLowerCase()}`);
  // Key first: a certificate file without its key would be skipped on the next start anyway.
  await writePrivateFile(`${base}${KEY_SUFFIX}`, generated.keyPem);
  await writePrivateFile(`${base}${CERT_SUFFIX}`, generated.certPem);
}

/** Written to a temp file with mode 0600, fsynced, then renamed into place (never a torn or world-readable key). */
async function writePrivateFile(path: string, content: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  const handle = await open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await chmod(tmp, 0o600); // in case a umask widened nothing but an existing file kept other bits
  await rename(tmp, path);
}
