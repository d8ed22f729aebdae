import { randomBytes, webcrypto } from 'node:crypto';
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata polyfill first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

export interface GeneratedCertificate {
  certPem: string;
  keyPem: string;
}

const ALGORITHM: RsaHashedKeyGenParams = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
};

/**
 * A self-signed RSA-2048 certificate for resource-data encryption. Graph checks neither issuer nor
 * chain, so self-signed is what Microsoft's own samples use.
 */
export async function generateNotificationCertificate(options: { now: Date; validityDays: number; commonName?: string }): Promise<GeneratedCertificate> {
  const crypto = webcrypto as unknown as Crypto;
  const keys = (await crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f; // positive INTEGER
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial.toString('hex'),
      name: `CN=${options.commonName ?? 'Herald change-notification encryption'}`,
      notBefore: new Date(options.now.getTime() - 60 * 60 * 1000),
      notAfter: new Date(options.now.getTime() + options.validityDays * 24 * 60 * 60 * 1000),
      keys,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.dataEncipherment | x509.KeyUsageFlags.digitalSignature,
          true,
        ),
      ],
    },
    crypto,
  );
  const pkcs8 = await crypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { certPem: cert.toString('pem'), keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') };
}
