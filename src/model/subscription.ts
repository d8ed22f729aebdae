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

/**
 * A subscription Herald has asked Graph for and not yet stored, written before the POST: Graph may
 * deliver through it before its 201 arrives, to this or another instance, and the instance that sent
 * the POST may die before the 201. With it, such a notification is held rather than dropped as from an
 * unknown subscription, and a subscription created by a dead instance can be adopted, not deleted.
 */
export interface PendingCreationRecord {
  /** SHA-256 of the clientState (base64url): notifications are looked up by the secret they echo. */
  key: string;
  kind: SubscriptionKind;
  tenantId: string;
  chatId: string | null;
  resource: string;
  changeType: string;
  clientState: string;
  notificationUrl: string;
  encryptionCertificateId: string | null;
  encryptionCertificateThumbprint: string | null;
  /** When the POST was about to be sent (ISO). */
  startedAt: string;
  startedBy: string | null;
}
