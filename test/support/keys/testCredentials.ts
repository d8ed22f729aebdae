/**
 * Keys made once per test process and shared by every harness that does not test how keys are made: RSA
 * key generation costs about a fifth of a second of CPU each, and the suite starts hundreds of worlds and
 * Heralds. What a test of key generation, rotation or certificates needs, it still makes itself.
 */
import { rmSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateNotificationCertificate } from '../../../src/certificates/generateNotificationCertificate.js';
import { generateSigningKey, type SigningKey } from '../../../sim/doubles/login/signingKeys.js';
import { createLoopbackCa, type LoopbackCa } from '../../../sim/doubles/tls/loopbackCa.js';

export interface CertificateFiles {
  certFile: string;
  keyFile: string;
}

// On the process, not in this module: mocha with tsx may load a file twice (as ESM and as CJS).
const CACHE = Symbol.for('herald.test.credentials');
const cache = globalThis as { [CACHE]?: { tls?: Promise<LoopbackCa>; signingKey?: Promise<SigningKey>; certificate?: Promise<CertificateFiles> } };
const held = () => (cache[CACHE] ??= {});

/** The loopback CA and server certificate the doubles serve https with. */
export function testTls(): Promise<LoopbackCa> {
  return (held().tls ??= createLoopbackCa());
}

/** The login double's signing key (valid for years), for `LoginDoubleOptions.initialSigningKey`. */
export function testSigningKey(): Promise<SigningKey> {
  return (held().signingKey ??= generateSigningKey(new Date()));
}

/**
 * A notification certificate and its key as PEM files (NOTIFICATION_CERT_FILE / NOTIFICATION_KEY_FILE), valid
 * for a year, in a temporary folder removed when the process exits.
 */
export function testNotificationCertificate(): Promise<CertificateFiles> {
  return (held().certificate ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'herald-test-cert-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const pair = await generateNotificationCertificate({ now: new Date(), validityDays: 365 });
    const files = { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') };
    await writeFile(files.certFile, pair.certPem);
    await writeFile(files.keyFile, pair.keyPem, { mode: 0o600 });
    return files;
  })());
}
