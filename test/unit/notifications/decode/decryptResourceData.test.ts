import assert from 'node:assert/strict';
import { constants, createCipheriv, createHmac, publicEncrypt, randomBytes, X509Certificate } from 'node:crypto';
import { generateNotificationCertificate } from '../../../../src/certificates/generateNotificationCertificate.js';
import { notificationKeyFromPem, type NotificationKey } from '../../../../src/certificates/NotificationKey.js';
import { NotificationKeyRing } from '../../../../src/certificates/NotificationKeyRing.js';
import { decryptResourceData } from '../../../../src/notifications/decode/decryptResourceData.js';
import type { EncryptedContent } from '../../../../src/notifications/decode/normalizeNotification.js';

/** Graph's documented encryption, written out here independently of the code under test. */
function encryptLikeGraph(resource: unknown, key: NotificationKey, options: { symmetricKey?: Buffer; oaepHash?: string } = {}): EncryptedContent {
  const symmetricKey = options.symmetricKey ?? randomBytes(32);
  const cipher = createCipheriv('aes-256-cbc', symmetricKey, symmetricKey.subarray(0, 16));
  const data = Buffer.concat([cipher.update(JSON.stringify(resource), 'utf8'), cipher.final()]);
  const publicKey = new X509Certificate(Buffer.from(key.certificateBase64, 'base64')).publicKey;
  return {
    data: data.toString('base64'),
    dataSignature: createHmac('sha256', symmetricKey).update(data).digest('base64'),
    dataKey: publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: options.oaepHash ?? 'sha1' }, symmetricKey).toString('base64'),
    encryptionCertificateId: key.id,
    encryptionCertificateThumbprint: key.thumbprint,
  };
}

describe('decryptResourceData', () => {
  let current: NotificationKey;
  let previous: NotificationKey;
  let ring: NotificationKeyRing;
  const member = { userId: '2fc60663-19a2-4aa4-852c-f7ba4e90ada2', displayName: null, roles: ['Owner'] };

  before(async () => {
    const now = new Date();
    previous = notificationKeyFromPem({ ...(await generateNotificationCertificate({ now, validityDays: 30 })), id: 'herald-old', source: 'test' });
    current = notificationKeyFromPem({ ...(await generateNotificationCertificate({ now, validityDays: 30 })), id: 'herald-new', source: 'test' });
    ring = new NotificationKeyRing([previous]);
    ring.add(current, { primary: true });
  });

  it('opens encryptedContent as Graph documents it (RSA-OAEP-SHA1 key, HMAC-SHA256, AES-256-CBC with IV from the key)', () => {
    assert.deepEqual(decryptResourceData(encryptLikeGraph(member, current), ring), { ok: true, resource: member });
  });

  it('decrypts with either certificate while two are active (rotation)', () => {
    assert.deepEqual(decryptResourceData(encryptLikeGraph(member, previous), ring), { ok: true, resource: member });
    const byIdOnly = { ...encryptLikeGraph(member, previous), encryptionCertificateThumbprint: null };
    assert.deepEqual(decryptResourceData(byIdOnly, ring), { ok: true, resource: member });
  });

  it('refuses content for a certificate it does not hold', async () => {
    const stranger = notificationKeyFromPem({ ...(await generateNotificationCertificate({ now: new Date(), validityDays: 30 })), id: 'someone-else', source: 'test' });
    const result = decryptResourceData(encryptLikeGraph(member, stranger), ring);
    assert.equal(result.ok ? 'ok' : result.reason, 'unknownCertificate');
  });

  it('checks dataSignature before decrypting, and refuses content without one', () => {
    const content = encryptLikeGraph(member, current);
    const tampered = Buffer.from(content.data ?? '', 'base64');
    tampered[0] = (tampered[0] ?? 0) ^ 1;
    const r1 = decryptResourceData({ ...content, data: tampered.toString('base64') }, ring);
    assert.equal(r1.ok ? 'ok' : r1.reason, 'dataSignatureMismatch');
    const r2 = decryptResourceData({ ...content, dataSignature: null }, ring);
    assert.equal(r2.ok ? 'ok' : r2.reason, 'missingDataSignature');
    const r3 = decryptResourceData({ ...content, dataSignature: Buffer.alloc(32).toString('base64') }, ring);
    assert.equal(r3.ok ? 'ok' : r3.reason, 'dataSignatureMismatch');
  });

  it('refuses a data key wrapped with OAEP-SHA256 (not what Graph does) or for another key', () => {
    const r1 = decryptResourceData(encryptLikeGraph(member, current, { oaepHash: 'sha256' }), ring);
    assert.equal(r1.ok ? 'ok' : r1.reason, 'decryptionFailed');
    const wrongKey = { ...encryptLikeGraph(member, previous), encryptionCertificateId: current.id, encryptionCertificateThumbprint: current.thumbprint };
    const r2 = decryptResourceData(wrongKey, ring);
    assert.equal(r2.ok ? 'ok' : r2.reason, 'decryptionFailed');
  });

  it('refuses incomplete content', () => {
    const r = decryptResourceData({ ...encryptLikeGraph(member, current), data: null }, ring);
    assert.equal(r.ok ? 'ok' : r.reason, 'invalidEncryptedContent');
  });
});
