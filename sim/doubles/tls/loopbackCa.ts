/**
 * A throw-away certificate authority plus a server certificate for loopback hosts, so the
 * login and Graph doubles can speak real HTTPS (msal-node and the Graph client refuse plain http).
 */
import { webcrypto, X509Certificate as NodeX509Certificate, KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

export interface LoopbackCa {
  /** PEM of the CA certificate; trust this one (see trustCaForFetch). */
  caCertPem: string;
  caKeyPem: string;
  /** PEM of the server certificate (SAN: 127.0.0.1, localhost, ::1), signed by the CA. */
  certPem: string;
  keyPem: string;
}

export interface CreateLoopbackCaOptions {
  /** When set, reuse the PEM files in this directory if they are present and valid; otherwise generate and write them. */
  dir?: string;
  clock?: () => Date;
  /** Lifetime of the generated certificates in days (default 825). */
  validityDays?: number;
}

const FILES = { caCert: 'loopback-ca.pem', caKey: 'loopback-ca-key.pem', cert: 'loopback-server.pem', key: 'loopback-server-key.pem' } as const;

const RSA_ALGORITHM: RsaHashedKeyGenParams = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
};

export async function createLoopbackCa(options: CreateLoopbackCaOptions = {}): Promise<LoopbackCa> {
  const clock = options.clock ?? (() => new Date());
  if (options.dir) {
    const stored = await loadLoopbackCa(options.dir, clock());
    if (stored) return stored;
  }
  const generated = await generateLoopbackCa(clock(), options.validityDays ?? 825);
  if (options.dir) await saveLoopbackCa(options.dir, generated);
  return generated;
}

async function generateLoopbackCa(now: Date, validityDays: number): Promise<LoopbackCa> {
  // Pass Node's WebCrypto explicitly rather than relying on @peculiar/x509's global provider.
  const crypto = webcrypto as unknown as Crypto;
  const notBefore = new Date(now.getTime() - 60 * 60 * 1000);
  const notAfter = new Date(now.getTime() + validityDays * 24 * 60 * 60 * 1000);

  const caKeys = (await crypto.subtle.generateKey(RSA_ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const caCert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerial(),
      name: 'CN=Herald Loopback Test CA, O=Herald test doubles',
      notBefore,
      notAfter,
      keys: caKeys,
      signingAlgorithm: RSA_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey, false, crypto),
      ],
    },
    crypto,
  );

  const serverKeys = (await crypto.subtle.generateKey(RSA_ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const serverCert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject: 'CN=localhost, O=Herald test doubles',
      issuer: caCert.subject,
      notBefore,
      notAfter,
      publicKey: serverKeys.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: RSA_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([
          { type: 'dns', value: 'localhost' },
          { type: 'ip', value: '127.0.0.1' },
          { type: 'ip', value: '::1' },
        ]),
        await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey, false, crypto),
        await x509.SubjectKeyIdentifierExtension.create(serverKeys.publicKey, false, crypto),
      ],
    },
    crypto,
  );

  return {
    caCertPem: caCert.toString('pem'),
    caKeyPem: privateKeyPem(caKeys.privateKey),
    certPem: serverCert.toString('pem'),
    keyPem: privateKeyPem(serverKeys.privateKey),
  };
}

function privateKeyPem(key: CryptoKey): string {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString();
}

function randomSerial(): string {
  // Positive 16-byte serial (high bit cleared), as RFC 5280 asks.
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

async function loadLoopbackCa(dir: string, now: Date): Promise<LoopbackCa | null> {
  try {
    const [caCertPem, caKeyPem, certPem, keyPem] = await Promise.all(
      [FILES.caCert, FILES.caKey, FILES.cert, FILES.key].map((name) => readFile(join(dir, name), 'utf8')),
    );
    if (!caCertPem || !caKeyPem || !certPem || !keyPem) return null;
    const ca = new NodeX509Certificate(caCertPem);
    const server = new NodeX509Certificate(certPem);
    const stillValid = (cert: NodeX509Certificate) => new Date(cert.validTo).getTime() > now.getTime() + 24 * 60 * 60 * 1000;
    if (!stillValid(ca) || !stillValid(server) || !server.verify(ca.publicKey)) return null;
    return { caCertPem, caKeyPem, certPem, keyPem };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

async function saveLoopbackCa(dir: string, ca: LoopbackCa): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, FILES.caCert), ca.caCertPem);
  await writeFile(join(dir, FILES.caKey), ca.caKeyPem, { mode: 0o600 });
  await writeFile(join(dir, FILES.cert), ca.certPem);
  await writeFile(join(dir, FILES.key), ca.keyPem, { mode: 0o600 });
}
