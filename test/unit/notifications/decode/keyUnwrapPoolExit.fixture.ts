/**
 * Run as its own process by KeyUnwrapPool.test.ts: unwraps a few keys in workers, then (argv[2] = "closed")
 * closes the pool or ("idle") leaves it open. Either way the process must exit by itself.
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
const secrets = Array.from({ length: 8 }, () => randomBytes(32));
const opened = await Promise.all(
  secrets.map((secret) => pool.unwrap(key, publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, secret))),
);
const right = opened.filter((o, i) => o?.equals(secrets[i] as Buffer)).length;
if (pool.stats.inline > 0) throw new Error('unwrapped inline');
if (mode === 'closed') await pool.close();
process.stdout.write(`unwrapped ${right} in workers, ${mode}\n`);
