import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { HeraldError } from '../kernel/errors.js';
import type { EncryptionCertificate } from './EncryptionCertificate.js';

/** A certificate Graph may encrypt resource data with, together with the private key that opens it. */
export interface NotificationKey extends EncryptionCertificate {
  privateKey: KeyObject;
  /** Where it came from (file path or "generated"), for logs and status. */
  source: string;
}

/** Which half of the pair a problem is in: the certificate, the private key, or the id given to it. */
export type CertificatePart = 'certificate' | 'key' | 'id';

export class CertificateError extends HeraldError {
  constructor(
    message: string,
    readonly source: string,
    options?: { cause?: unknown; part?: CertificatePart },
  ) {
    super('herald.certificate.invalid', `${message} (${source})`, { cause: options?.cause, context: { source } });
    this.name = 'CertificateError';
    this.problem = message;
    this.part = options?.part ?? 'certificate';
  }

  /** The message without its source. */
  readonly problem: string;
  readonly part: CertificatePart;
}

/** Graph accepts RSA keys from 2048 to 4096 bits for resource-data encryption. */
const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 4096;
const MAX_ID_LENGTH = 128;

/** SHA-1 thumbprint as Graph echoes it: uppercase hex, no separators. */
export function normalizeThumbprint(value: string): string {
  return value.replace(/[^0-9a-f]/gi, '').toUpperCase();
}

/** The id Herald sends as `encryptionCertificateId` when none is configured. */
export function derivedCertificateId(thumbprint: string): string {
  return `herald-${normalizeThumbprint(thumbprint).toLowerCase()}`;
}

/**
 * Parses a PEM certificate and its private key, and checks what Graph and the decryption need:
 * RSA 2048–4096 bits and a private key that belongs to the certificate.
 */
export function notificationKeyFromPem(input: { certPem: string; keyPem: string; id?: string | null; source: string }): NotificationKey {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(input.certPem);
  } catch (cause) {
    throw new CertificateError('not a PEM X.509 certificate', input.source, { cause });
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(input.keyPem);
  } catch (cause) {
    throw new CertificateError('not a PEM private key', input.source, { cause, part: 'key' });
  }
  if (cert.publicKey.asymmetricKeyType !== 'rsa') {
    throw new CertificateError(`certificate key is ${cert.publicKey.asymmetricKeyType ?? 'unknown'}, Graph needs RSA`, input.source);
  }
  const bits = cert.publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) {
    throw new CertificateError(`RSA key has ${bits} bits, Graph needs ${MIN_RSA_BITS}–${MAX_RSA_BITS}`, input.source);
  }
  if (!cert.checkPrivateKey(privateKey)) {
    throw new CertificateError('private key does not belong to the certificate', input.source, { part: 'key' });
  }
  const thumbprint = normalizeThumbprint(cert.fingerprint);
  const id = input.id ?? derivedCertificateId(thumbprint);
  if (id.length > MAX_ID_LENGTH) throw new CertificateError(`certificate id is longer than ${MAX_ID_LENGTH} characters`, input.source, { part: 'id' });
  return {
    id,
    certificateBase64: cert.raw.toString('base64'),
    thumbprint,
    notAfter: new Date(Date.parse(cert.validTo)),
    privateKey,
    source: input.source,
  };
}

/** The public part only, as handed to the subscription manager. */
export function publicPart(key: NotificationKey): EncryptionCertificate {
  return { id: key.id, certificateBase64: key.certificateBase64, thumbprint: key.thumbprint, notAfter: new Date(key.notAfter) };
}
