import type { EncryptionCertificate, EncryptionCertificateSource } from './EncryptionCertificate.js';
import { normalizeThumbprint, publicPart, type NotificationKey } from './NotificationKey.js';

/** How a notification names the certificate its data key was encrypted for. */
export interface CertificateReference {
  id?: string | null;
  thumbprint?: string | null;
}

/**
 * Every certificate Herald can currently decrypt with. During a rotation several are active: new
 * subscriptions get the primary one, while notifications for older subscriptions (and Graph's retries,
 * up to 4 hours) still name the previous ones.
 */
export class NotificationKeyRing implements EncryptionCertificateSource {
  private readonly keys: NotificationKey[] = [];
  private primary: NotificationKey | null = null;

  constructor(keys: readonly NotificationKey[] = []) {
    for (const key of keys) this.add(key);
  }

  /** Adds (or replaces, by thumbprint) a key. The first key added, or one added with `primary`, is used for new subscriptions. */
  add(key: NotificationKey, options: { primary?: boolean } = {}): void {
    const at = this.keys.findIndex((k) => k.thumbprint === key.thumbprint);
    if (at >= 0) this.keys.splice(at, 1, key);
    else this.keys.push(key);
    if (options.primary || !this.primary || this.primary.thumbprint === key.thumbprint) this.primary = key;
  }

  /** Forgets a key (after its last subscription moved on). The primary key cannot be removed. */
  remove(thumbprint: string): boolean {
    const wanted = normalizeThumbprint(thumbprint);
    if (this.primary?.thumbprint === wanted) return false;
    const at = this.keys.findIndex((k) => k.thumbprint === wanted);
    if (at < 0) return false;
    this.keys.splice(at, 1);
    return true;
  }

  current(): EncryptionCertificate {
    if (!this.primary) throw new Error('no notification encryption certificate is loaded');
    return publicPart(this.primary);
  }

  /** The key new subscriptions get (null before one is loaded). */
  get primaryKey(): NotificationKey | null {
    return this.primary;
  }

  get primaryThumbprint(): string | null {
    return this.primary?.thumbprint ?? null;
  }

  get size(): number {
    return this.keys.length;
  }

  list(): EncryptionCertificate[] {
    return this.keys.map(publicPart);
  }

  /**
   * The key a notification was encrypted for. The thumbprint, when present, decides (it cannot be
   * ambiguous, while an id may have been reused across a rotation); otherwise the id.
   */
  find(reference: CertificateReference): NotificationKey | undefined {
    if (reference.thumbprint) {
      const wanted = normalizeThumbprint(reference.thumbprint);
      return this.keys.find((k) => k.thumbprint === wanted);
    }
    if (reference.id) {
      // Prefer the primary key when an id was reused (NOTIFICATION_CERT_ID across a rotation).
      const matches = this.keys.filter((k) => k.id === reference.id);
      return matches.find((k) => k === this.primary) ?? matches[0];
    }
    return undefined;
  }
}
