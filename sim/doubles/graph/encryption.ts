/**
 * Resource-data encryption as Graph does it (reference §6.2, done in reverse): a fresh 32-byte AES key per
 * item, AES-256-CBC with IV = first 16 bytes of the key and PKCS7 padding, HMAC-SHA256 of the ciphertext
 * keyed with the AES key, and the AES key wrapped with RSA-OAEP (SHA-1, MGF1-SHA-1) for the subscriber's cert.
 */
import { constants, createCipheriv, createHash, createHmac, publicEncrypt, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';

export interface EncryptedContent {
  data: string;
  dataSignature: string;
  dataKey: string;
  encryptionCertificateId: string;
  encryptionCertificateThumbprint: string;
}

export interface EncryptionCertificate {
  publicKey: KeyObject;
  /** SHA-1 of the DER, upper-case hex, as Graph reports it. */
  thumbprint: string;
}

export type ParsedCertificate = { ok: true; certificate: EncryptionCertificate } | { ok: false; reason: string };

/** Parse `encryptionCertificate` (base64 DER, no PEM armour) and check it is RSA 2048–4096. */
export function parseEncryptionCertificate(base64Der: string): ParsedCertificate {
  const compact = base64Der.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    return { ok: false, reason: 'encryptionCertificate must be the base64-encoded DER certificate (no PEM header).' };
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(Buffer.from(compact, 'base64'));
  } catch {
    return { ok: false, reason: 'encryptionCertificate is not a valid X.509 certificate.' };
  }
  const key = cert.publicKey;
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType !== 'rsa' || bits < 2048 || bits > 4096) {
    return { ok: false, reason: 'encryptionCertificate must hold an RSA public key of 2048 to 4096 bits.' };
  }
  return { ok: true, certificate: { publicKey: key, thumbprint: createHash('sha1').update(cert.raw).digest('hex').toUpperCase() } };
}

export function encryptResourceData(payload: unknown, certificate: EncryptionCertificate, encryptionCertificateId: string): EncryptedContent {
  const key = randomBytes(32);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  const data = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]);
  const dataSignature = createHmac('sha256', key).update(data).digest('base64');
  const dataKey = publicEncrypt({ key: certificate.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, key);
  return {
    data: data.toString('base64'),
    dataSignature,
    dataKey: dataKey.toString('base64'),
    encryptionCertificateId,
    encryptionCertificateThumbprint: certificate.thumbprint,
  };
}
