/**
 * The login double's token signing keys, published like Entra ID's: RS256 keys with `kid` = `x5t`
 * (base64url SHA-1 of a self-signed certificate) and the certificate in `x5c`.
 */
import 'reflect-metadata';
import { createHash, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { exportJWK, generateKeyPair, type JWK } from 'jose';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: PublishedJwk;
  createdAt: string;
}

export interface PublishedJwk extends JWK {
  kty: 'RSA';
  use: 'sig';
  kid: string;
  x5t: string;
  n: string;
  e: string;
  x5c: string[];
  issuer?: string;
}

export async function generateSigningKey(now: Date): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  const crypto = webcrypto as unknown as Crypto;
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: 'CN=accounts.accesscontrol.windows.net',
      notBefore: new Date(now.getTime() - 24 * 60 * 60 * 1000),
      notAfter: new Date(now.getTime() + 5 * 365 * 24 * 60 * 60 * 1000),
      keys: { privateKey, publicKey },
      signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as Algorithm,
    },
    crypto,
  );
  const der = Buffer.from(cert.rawData);
  const x5t = createHash('sha1').update(der).digest('base64url');
  const jwk = await exportJWK(publicKey);
  if (!jwk.n || !jwk.e) throw new Error('generated key is not RSA');
  return {
    kid: x5t,
    privateKey,
    createdAt: now.toISOString(),
    publicJwk: { kty: 'RSA', use: 'sig', kid: x5t, x5t, n: jwk.n, e: jwk.e, x5c: [der.toString('base64')] },
  };
}

/** Active key plus older published keys; rotation keeps old keys published unless told not to. */
export class SigningKeySet {
  private keys: SigningKey[];

  private constructor(initial: SigningKey) {
    this.keys = [initial];
  }

  /** Publishes `initial` when given (a key made earlier), else a new one. */
  static async create(now: Date, initial?: SigningKey): Promise<SigningKeySet> {
    return new SigningKeySet(initial ?? (await generateSigningKey(now)));
  }

  get active(): SigningKey {
    const key = this.keys[0];
    if (!key) throw new Error('no signing key');
    return key;
  }

  published(): SigningKey[] {
    return [...this.keys];
  }

  async rotate(now: Date, keepOld: boolean): Promise<SigningKey> {
    const next = await generateSigningKey(now);
    this.keys = keepOld ? [next, ...this.keys] : [next];
    return next;
  }

  /** Stop publishing a key (tokens signed with it no longer verify). The active key cannot be removed. */
  unpublish(kid: string): boolean {
    if (kid === this.active.kid) return false;
    const before = this.keys.length;
    this.keys = this.keys.filter((k) => k.kid !== kid);
    return this.keys.length !== before;
  }
}
