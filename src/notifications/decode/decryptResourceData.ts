import { constants, createDecipheriv, createHmac, privateDecrypt, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { NotificationKey } from '../../certificates/NotificationKey.js';
import type { NotificationKeyRing } from '../../certificates/NotificationKeyRing.js';
import type { EncryptedContent } from './normalizeNotification.js';

export type DecryptFailure = 'unknownCertificate' | 'invalidEncryptedContent' | 'missingDataSignature' | 'dataSignatureMismatch' | 'decryptionFailed';

export type DecryptResult = { ok: true; resource: unknown } | { ok: false; reason: DecryptFailure; detail: string };

/**
 * Step 2 of the decryption, the expensive one (about 0.7 ms of RSA-2048 per item): opens a wrapped data
 * key. Resolves null when it does not open with the key. Inline or in a worker pool (KeyUnwrapPool).
 */
export interface DataKeyUnwrapper {
  unwrap(key: NotificationKey, wrapped: Buffer): Promise<Buffer | null>;
}

const AES_256_KEY_BYTES = 32;

/** RSA-OAEP with SHA-1 and MGF1 SHA-1, as Graph wraps `dataKey`; null when it does not open. */
export function unwrapDataKey(privateKey: KeyObject, wrapped: Uint8Array): Buffer | null {
  try {
    return privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, wrapped);
  } catch {
    return null;
  }
}

/** The same unwrap on the calling thread. */
export const inlineUnwrapper: DataKeyUnwrapper = {
  unwrap: (key, wrapped) => Promise.resolve(unwrapDataKey(key.privateKey, wrapped)),
};

type Prepared = { ok: true; key: NotificationKey; wrapped: Buffer; data: Buffer; signature: Buffer } | Extract<DecryptResult, { ok: false }>;

/**
 * Opens `encryptedContent` exactly as Graph documents it ("Decrypting resource data"):
 * 1. pick the private key by certificate thumbprint/id; 2. unwrap `dataKey` with RSA-OAEP (SHA-1, MGF1
 * SHA-1); 3. check `dataSignature` = base64(HMAC-SHA256(symmetric key, data bytes)) *before*
 * decrypting; 4. AES-256-CBC with PKCS7 padding, IV = first 16 bytes of the symmetric key.
 * A fresh symmetric key comes with every item, so nothing is cached.
 */
export function decryptResourceData(content: EncryptedContent, keys: NotificationKeyRing): DecryptResult {
  const prepared = prepare(content, keys);
  if (!prepared.ok) return prepared;
  return open(prepared, unwrapDataKey(prepared.key.privateKey, prepared.wrapped));
}

/** The same steps with step 2 done by `unwrapper` (off the main thread); steps 1, 3 and 4 stay here. */
export async function decryptResourceDataWith(content: EncryptedContent, keys: NotificationKeyRing, unwrapper: DataKeyUnwrapper): Promise<DecryptResult> {
  const prepared = prepare(content, keys);
  if (!prepared.ok) return prepared;
  return open(prepared, await unwrapper.unwrap(prepared.key, prepared.wrapped));
}

function prepare(content: EncryptedContent, keys: NotificationKeyRing): Prepared {
  const key = keys.find({ id: content.encryptionCertificateId, thumbprint: content.encryptionCertificateThumbprint });
  if (!key) {
    return { ok: false, reason: 'unknownCertificate', detail: `no key for certificate id "${content.encryptionCertificateId ?? ''}"` };
  }
  if (!content.data || !content.dataKey) return { ok: false, reason: 'invalidEncryptedContent', detail: 'data or dataKey missing' };
  if (!content.dataSignature) return { ok: false, reason: 'missingDataSignature', detail: 'dataSignature missing' };
  return {
    ok: true,
    key,
    wrapped: Buffer.from(content.dataKey, 'base64'),
    data: Buffer.from(content.data, 'base64'),
    signature: Buffer.from(content.dataSignature, 'base64'),
  };
}

function open(prepared: Extract<Prepared, { ok: true }>, symmetricKey: Buffer | null): DecryptResult {
  if (!symmetricKey) return { ok: false, reason: 'decryptionFailed', detail: 'dataKey does not open with the certificate key' };
  if (symmetricKey.length !== AES_256_KEY_BYTES) {
    return { ok: false, reason: 'decryptionFailed', detail: `symmetric key has ${symmetricKey.length} bytes` };
  }

  const { data, signature } = prepared;
  const expected = createHmac('sha256', symmetricKey).update(data).digest();
  if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
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
