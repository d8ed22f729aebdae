import { constants, createDecipheriv, createHmac, privateDecrypt, timingSafeEqual } from 'node:crypto';
import type { NotificationKeyRing } from '../../certificates/NotificationKeyRing.js';
import type { EncryptedContent } from './normalizeNotification.js';

export type DecryptFailure = 'unknownCertificate' | 'invalidEncryptedContent' | 'missingDataSignature' | 'dataSignatureMismatch' | 'decryptionFailed';

export type DecryptResult = { ok: true; resource: unknown } | { ok: false; reason: DecryptFailure; detail: string };

const AES_256_KEY_BYTES = 32;

/**
 * Opens `encryptedContent` exactly as Graph documents it ("Decrypting resource data"):
 * 1. pick the private key by certificate thumbprint/id; 2. unwrap `dataKey` with RSA-OAEP (SHA-1, MGF1
 * SHA-1); 3. check `dataSignature` = base64(HMAC-SHA256(symmetric key, data bytes)) *before*
 * decrypting; 4. AES-256-CBC with PKCS7 padding, IV = first 16 bytes of the symmetric key.
 * A fresh symmetric key comes with every item, so nothing is cached.
 */
export function decryptResourceData(content: EncryptedContent, keys: NotificationKeyRing): DecryptResult {
  const key = keys.find({ id: content.encryptionCertificateId, thumbprint: content.encryptionCertificateThumbprint });
  if (!key) {
    return { ok: false, reason: 'unknownCertificate', detail: `no key for certificate id "${content.encryptionCertificateId ?? ''}"` };
  }
  if (!content.data || !content.dataKey) return { ok: false, reason: 'invalidEncryptedContent', detail: 'data or dataKey missing' };
  if (!content.dataSignature) return { ok: false, reason: 'missingDataSignature', detail: 'dataSignature missing' };

  let symmetricKey: Buffer;
  try {
    symmetricKey = privateDecrypt(
      { key: key.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
      Buffer.from(content.dataKey, 'base64'),
    );
  } catch {
    return { ok: false, reason: 'decryptionFailed', detail: 'dataKey does not open with the certificate key' };
  }
  if (symmetricKey.length !== AES_256_KEY_BYTES) {
    return { ok: false, reason: 'decryptionFailed', detail: `symmetric key has ${symmetricKey.length} bytes` };
  }

  const data = Buffer.from(content.data, 'base64');
  const expected = createHmac('sha256', symmetricKey).update(data).digest();
  const given = Buffer.from(content.dataSignature, 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'dataSignatureMismatch', detail: 'HMAC-SHA256 of data does not match dataSignature' };
  }

  try {
    const decipher = createDecipheriv('aes-256-cbc', symmetricKey, symmetricKey.subarray(0, 16));
    const plain = Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
    return { ok: true, resource: JSON.parse(plain) as unknown };
  } catch {
    return { ok: false, reason: 'decryptionFailed', detail: 'data does not decrypt to JSON' };
  }
}
