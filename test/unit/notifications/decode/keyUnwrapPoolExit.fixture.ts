/**
 * Run as its own process by KeyUnwrapPool.test.ts. argv[2]:
 * - "closed": unwraps a few keys in workers, then closes the pool;
 * - "idle": the same, and leaves the pool open;
 * - "warmed": starts the workers (warm) and leaves the pool open without ever using it;
 * - "closedInFlight": closes the pool while its workers still hold the items.
 * Whichever, the process must exit by itself.
 */
import { constants, publicEncrypt, randomBytes, X509Certificate } from 'node:crypto';
import { generateNotificationCertificate } from '../../../../src/certificates/generateNotificationCertificate.js';
import { notificationKeyFromPem } from '../../../../src/certificates/NotificationKey.js';
import { silentLogger } from '../../../../src/log/createLogger.js';
import { KeyUnwrapPool } from '../../../../src/notifications/decode/KeyUnwrapPool.js';

const mode = process.argv[2] ?? 'closed';
const key = notificationKeyFromPem({ ...(await generateNotificationCertificate({ now: new Date(), validityDays: 30 })), source: 'fixture' });
const publicKey = new X509Certificate(Buffer.from(key.certificateBase64, 'base64')).publicKey;
const pool = new KeyUnwrapPool({ size: 2, log: silentLogger() });
if (mode === 'warmed') {
  pool.warm();
  // Long enough for the workers to be up and listening.
  await new Promise((resolve) => setTimeout(resolve, 500));
  process.stdout.write('warmed, idle\n');
} else {
  await unwrapSome();
}

async function unwrapSome(): Promise<void> {
const secrets = Array.from({ length: 8 }, () => randomBytes(32));
const pending = secrets.map((secret) => pool.unwrap(key, publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, secret)));
if (mode === 'closedInFlight') {
  // Let the items reach the workers (sent in the next microtask), then close before they answer.
  await new Promise((resolve) => setImmediate(resolve));
  await pool.close();
}
const opened = await Promise.all(pending);
const right = opened.filter((o, i) => o?.equals(secrets[i] as Buffer)).length;
if (mode !== 'closedInFlight' && pool.stats.inline > 0) throw new Error('unwrapped inline');
if (mode === 'closed') await pool.close();
process.stdout.write(`unwrapped ${right} in workers, ${mode}\n`);
}
