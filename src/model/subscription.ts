/** A Graph subscription Herald owns. */
export type SubscriptionKind = 'chatMembers' | 'chat' | 'tenantMembers' | 'tenantChats';

export interface SubscriptionRecord {
  id: string;
  kind: SubscriptionKind;
  tenantId: string;
  /** Set for per-chat subscriptions. */
  chatId: string | null;
  resource: string;
  changeType: string;
  /** Per-subscription secret echoed by Graph; compared in constant time. */
  clientState: string;
  expirationDateTime: string;
  encryptionCertificateId: string | null;
  /** SHA-1 thumbprint of that certificate: an id may be reused across a rotation (NOTIFICATION_CERT_ID). */
  encryptionCertificateThumbprint?: string | null;
  createdAt: string;
  lastRenewedAt: string | null;
  /** The instance that created, last renewed or reauthorized it (HeraldContext.instanceId); absent in older records. */
  lastRenewedBy?: string | null;
  lastNotificationAt: string | null;
  lastError: string | null;
  /**
   * Last PATCH or reauthorize (ISO), for Graph's rule that the two are not sent for one subscription within
   * 10 minutes of each other. A creation is neither. Kept in the record so a restart keeps the spacing.
   */
  lastTouchedAt?: string | null;
  /** A reauthorizationRequired that arrived inside that window, deferred to its end (ISO); null when none is owed. */
  reauthorizeDueAt?: string | null;
}
