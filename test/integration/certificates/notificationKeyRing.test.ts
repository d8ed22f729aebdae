import assert from 'node:assert/strict';
import { webcrypto, X509Certificate } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateNotificationCertificate } from '../../../src/certificates/generateNotificationCertificate.js';
import { CERTIFICATE_DIR, loadNotificationKeyRing, refreshPrimary } from '../../../src/certificates/loadNotificationKeyRing.js';
import { ConfigError } from '../../../src/config/ConfigError.js';
import { CertificateError, derivedCertificateId, notificationKeyFromPem } from '../../../src/certificates/NotificationKey.js';
import { NotificationKeyRing } from '../../../src/certificates/NotificationKeyRing.js';
import { silentLogger } from '../../../src/log/createLogger.js';

/** A self-signed certificate with any key type, to feed the checks. */
async function selfSigned(algorithm: RsaHashedKeyGenParams | (EcKeyGenParams & { hash: string })): Promise<{ certPem: string; keyPem: string }> {
  const crypto = webcrypto as unknown as Crypto;
  const keys = (await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({ name: 'CN=test', keys, signingAlgorithm: algorithm, notBefore: now, notAfter: new Date(now.getTime() + 365 * DAY) }, crypto);
  return { certPem: cert.toString('pem'), keyPem: x509.PemConverter.encode(await crypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY') };
}

const DAY = 24 * 60 * 60 * 1000;
const now = new Date('2026-06-01T00:00:00Z');

function config(dataDir: string, cert: { certFile?: string; keyFile?: string; certId?: string } = {}) {
  return { dataDir, notificationCert: { certFile: cert.certFile ?? null, keyFile: cert.keyFile ?? null, certId: cert.certId ?? null } };
}

describe('notification certificates', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'herald-certs-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('generated into DATA_DIR', () => {
    it('generates a self-signed RSA-2048 certificate and key on first start, files readable by the owner only', async () => {
      const ring = await loadNotificationKeyRing({ config: config(dir), log: silentLogger(), clock: () => now });
      const current = ring.current();
      const cert = new X509Certificate(Buffer.from(current.certificateBase64, 'base64'));
      assert.equal(cert.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
      assert.equal(current.thumbprint, cert.fingerprint.replace(/:/g, ''));
      assert.equal(current.id, derivedCertificateId(current.thumbprint));
      assert.ok(current.id.length <= 128);
      assert.ok(!current.certificateBase64.includes('\n') && !current.certificateBase64.includes('-----'));
      const files = await readdir(join(dir, CERTIFICATE_DIR));
      assert.equal(files.length, 2);
      for (const file of files) assert.equal((await stat(join(dir, CERTIFICATE_DIR, file))).mode & 0o777, 0o600);
    });

    it('reuses the generated certificate on the next start', async () => {
      const first = await loadNotificationKeyRing({ config: config(dir), log: silentLogger(), clock: () => now });
      const second = await loadNotificationKeyRing({ config: config(dir), log: silentLogger(), clock: () => new Date(now.getTime() + DAY) });
      assert.equal(second.current().thumbprint, first.current().thumbprint);
      assert.equal(second.size, 1);
    });

    it('rotates before expiry and keeps the previous certificate for notifications that still name it', async () => {
      const policy = { validityDays: 60, renewBeforeDays: 30, keepExpiredDays: 30 };
      const first = await loadNotificationKeyRing({ config: config(dir), log: silentLogger(), clock: () => now, policy });
      const later = new Date(now.getTime() + 40 * DAY);
      const second = await loadNotificationKeyRing({ config: config(dir), log: silentLogger(), clock: () => later, policy });
      assert.notEqual(second.current().thumbprint, first.current().thumbprint);
      assert.equal(second.size, 2);
      assert.ok(second.find({ thumbprint: first.current().thumbprint }));
    });

    it('while running: refreshPrimary replaces a generated certificate about to expire, keeping the previous one', async () => {
      const policy = { validityDays: 60, renewBeforeDays: 30, keepExpiredDays: 30 };
      let at = now;
      const deps = { config: config(dir), log: silentLogger(), clock: () => at, policy };
      const ring = await loadNotificationKeyRing(deps);
      const first = ring.current().thumbprint;
      assert.equal(await refreshPrimary(ring, deps), false, 'nothing to do while it is fresh');
      at = new Date(now.getTime() + 40 * DAY);
      assert.equal(await refreshPrimary(ring, deps), true);
      assert.notEqual(ring.current().thumbprint, first);
      assert.ok(ring.find({ thumbprint: first }));
      assert.equal((await readdir(join(dir, CERTIFICATE_DIR))).length, 4, 'the new pair is stored for the next start');
    });

    it('names the primary certificate with NOTIFICATION_CERT_ID when set', async () => {
      const ring = await loadNotificationKeyRing({ config: config(dir, { certId: 'herald-2026-06' }), log: silentLogger(), clock: () => now });
      assert.equal(ring.current().id, 'herald-2026-06');
      assert.ok(ring.find({ id: 'herald-2026-06' }));
    });

    it('skips unreadable leftovers instead of failing the start', async () => {
      await loadNotificationKeyRing({ config: config(dir), log: silentLogger(), clock: () => now });
      await writeFile(join(dir, CERTIFICATE_DIR, 'broken.cert.pem'), 'not a certificate');
      const ring = await loadNotificationKeyRing({ config: config(dir), log: silentLogger(), clock: () => now });
      assert.equal(ring.size, 1);
    });
  });

  describe('from NOTIFICATION_CERT_FILE / NOTIFICATION_KEY_FILE', () => {
    it('loads the configured pair as the primary certificate, id derived from the thumbprint', async () => {
      const generated = await generateNotificationCertificate({ now, validityDays: 365 });
      await writeFile(join(dir, 'cert.pem'), generated.certPem);
      await writeFile(join(dir, 'key.pem'), generated.keyPem);
      const ring = await loadNotificationKeyRing({
        config: config(join(dir, 'data'), { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') }),
        log: silentLogger(),
        clock: () => now,
      });
      const expected = new X509Certificate(generated.certPem);
      assert.equal(ring.current().thumbprint, expected.fingerprint.replace(/:/g, ''));
      assert.equal(ring.current().id, derivedCertificateId(ring.current().thumbprint));
      await assert.rejects(stat(join(dir, 'data', CERTIFICATE_DIR)), /ENOENT/, 'nothing is generated');
    });

    it('while running: refreshPrimary notices the files were replaced under the same NOTIFICATION_CERT_ID', async () => {
      const write = async () => {
        const generated = await generateNotificationCertificate({ now, validityDays: 365 });
        await writeFile(join(dir, 'cert.pem'), generated.certPem);
        await writeFile(join(dir, 'key.pem'), generated.keyPem);
      };
      await write();
      const deps = { config: config(join(dir, 'data'), { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem'), certId: 'herald-enc' }), log: silentLogger(), clock: () => now };
      const ring = await loadNotificationKeyRing(deps);
      const first = ring.current().thumbprint;
      assert.equal(await refreshPrimary(ring, deps), false);
      await write();
      assert.equal(await refreshPrimary(ring, deps), true);
      assert.notEqual(ring.current().thumbprint, first);
      assert.equal(ring.current().id, 'herald-enc');
      assert.ok(ring.find({ thumbprint: first }), 'the old one still decrypts');
    });

    it('refuses a key that does not belong to the certificate', async () => {
      const a = await generateNotificationCertificate({ now, validityDays: 365 });
      const b = await generateNotificationCertificate({ now, validityDays: 365 });
      assert.throws(() => notificationKeyFromPem({ certPem: a.certPem, keyPem: b.keyPem, source: 'test' }), CertificateError);
    });

    it('refuses keys Graph does not accept (RSA below 2048 bits, EC) and files that are not PEM', async () => {
      const small = await selfSigned({ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 1024 });
      assert.throws(() => notificationKeyFromPem({ ...small, source: 'small' }), /1024 bits, Graph needs 2048/);
      const ec = await selfSigned({ name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' });
      assert.throws(() => notificationKeyFromPem({ ...ec, source: 'ec' }), /Graph needs RSA/);
      assert.throws(() => notificationKeyFromPem({ certPem: 'not pem', keyPem: small.keyPem, source: 'x' }), /not a PEM X.509 certificate/);
    });

    const configuredPair = (certFile: string, keyFile: string, certId?: string) =>
      loadNotificationKeyRing({ config: config(join(dir, 'data'), { certFile, keyFile, certId }), log: silentLogger(), clock: () => now });

    it('stops the start naming NOTIFICATION_KEY_FILE when the key does not belong to the certificate', async () => {
      const a = await generateNotificationCertificate({ now, validityDays: 365 });
      const b = await generateNotificationCertificate({ now, validityDays: 365 });
      await writeFile(join(dir, 'a.cert.pem'), a.certPem);
      await writeFile(join(dir, 'b.key.pem'), b.keyPem);
      await assert.rejects(configuredPair(join(dir, 'a.cert.pem'), join(dir, 'b.key.pem')), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(error.problems, [`NOTIFICATION_KEY_FILE: ${join(dir, 'b.key.pem')}: private key does not belong to the certificate: set it to the private key of the certificate in NOTIFICATION_CERT_FILE`]);
        return true;
      });
    });

    it('stops the start naming NOTIFICATION_CERT_FILE for a certificate Graph does not accept, and NOTIFICATION_CERT_ID for an overlong id', async () => {
      const ec = await selfSigned({ name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' });
      await writeFile(join(dir, 'ec.cert.pem'), ec.certPem);
      await writeFile(join(dir, 'ec.key.pem'), ec.keyPem);
      await assert.rejects(configuredPair(join(dir, 'ec.cert.pem'), join(dir, 'ec.key.pem')), /NOTIFICATION_CERT_FILE: .*ec\.cert\.pem: certificate key is ec, Graph needs RSA/);
      const good = await generateNotificationCertificate({ now, validityDays: 365 });
      await writeFile(join(dir, 'good.cert.pem'), good.certPem);
      await writeFile(join(dir, 'good.key.pem'), good.keyPem);
      await assert.rejects(configuredPair(join(dir, 'good.cert.pem'), join(dir, 'good.key.pem'), 'x'.repeat(129)), /NOTIFICATION_CERT_ID: .*longer than 128 characters: shorten NOTIFICATION_CERT_ID/);
    });
  });

  describe('key ring', () => {
    it('finds keys by thumbprint in any casing, or by id', async () => {
      const a = notificationKeyFromPem({ ...(await generateNotificationCertificate({ now, validityDays: 365 })), id: 'a', source: 'test' });
      const b = notificationKeyFromPem({ ...(await generateNotificationCertificate({ now, validityDays: 365 })), id: 'b', source: 'test' });
      const ring = new NotificationKeyRing([a]);
      ring.add(b, { primary: true });
      assert.equal(ring.current().id, 'b');
      assert.equal(ring.find({ thumbprint: a.thumbprint.toLowerCase() })?.id, 'a');
      assert.equal(ring.find({ id: 'a' })?.thumbprint, a.thumbprint);
      assert.equal(ring.find({ id: 'a', thumbprint: 'FFFF' }), undefined, 'a thumbprint that matches nothing wins over the id');
      assert.equal(ring.find({ id: 'c' }), undefined);
      assert.equal(ring.remove(b.thumbprint), false, 'the primary key stays');
      assert.equal(ring.remove(a.thumbprint), true);
      assert.equal(ring.size, 1);
    });

    it('hands out the public part only', async () => {
      const ring = new NotificationKeyRing([notificationKeyFromPem({ ...(await generateNotificationCertificate({ now, validityDays: 365 })), source: 'test' })]);
      assert.deepEqual(Object.keys(ring.current()).sort(), ['certificateBase64', 'id', 'notAfter', 'thumbprint']);
    });
  });
});
