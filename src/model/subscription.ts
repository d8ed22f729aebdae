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
  createdAt: string;
  lastRenewedAt: string | null;
  lastNotificationAt: string | null;
  lastError: string | null;
}
