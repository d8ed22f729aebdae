/** The Graph double's subscriptions, with expiry against the injected clock. */
import type { CreateSubscriptionRequest } from './subscriptionRequests.js';

/** A created subscription: the validated request plus what Graph records about its creation. */
export interface StoredSubscription extends CreateSubscriptionRequest {
  id: string;
  tenantId: string;
  /** The creating app (token appid/azp): Graph's `applicationId`. */
  clientId: string;
  /** Roles of the creating token, used for later access checks. */
  roles: string[];
  creatorId: string;
  createdDateTime: string;
}

/** What survives a playground restart: everything but the parsed certificate (re-parsed on import). */
export type SubscriptionSnapshot = Omit<StoredSubscription, 'certificate'>;

/** Subscription as Graph serialises it. */
export interface SubscriptionJson {
  id: string;
  resource: string;
  applicationId: string;
  changeType: string;
  clientState: string | null;
  notificationUrl: string;
  notificationQueryOptions: null;
  lifecycleNotificationUrl: string | null;
  expirationDateTime: string;
  creatorId: string;
  includeResourceData: boolean;
  latestSupportedTlsVersion: string;
  encryptionCertificate: string | null;
  encryptionCertificateId: string | null;
  notificationUrlAppId: string | null;
  notificationContentType: null;
}

export function subscriptionJson(sub: StoredSubscription, options: { hideClientState?: boolean } = {}): SubscriptionJson {
  return {
    id: sub.id,
    resource: sub.resource,
    applicationId: sub.clientId,
    changeType: sub.changeType,
    // List returns clientState as null (reference §3).
    clientState: options.hideClientState ? null : sub.clientState,
    notificationUrl: sub.notificationUrl,
    notificationQueryOptions: null,
    lifecycleNotificationUrl: sub.lifecycleNotificationUrl,
    expirationDateTime: sub.expirationDateTime,
    creatorId: sub.creatorId,
    includeResourceData: sub.includeResourceData,
    latestSupportedTlsVersion: sub.latestSupportedTlsVersion,
    encryptionCertificate: sub.encryptionCertificate,
    encryptionCertificateId: sub.encryptionCertificateId,
    notificationUrlAppId: sub.notificationUrlAppId,
    notificationContentType: null,
  };
}

export class SubscriptionStore {
  private readonly byId = new Map<string, StoredSubscription>();

  constructor(
    private readonly clock: () => Date,
    private readonly onExpired: (sub: StoredSubscription) => void = () => undefined,
  ) {}

  /** Remove subscriptions whose expirationDateTime has passed. */
  sweep(): void {
    const now = this.clock().getTime();
    for (const sub of [...this.byId.values()]) {
      if (Date.parse(sub.expirationDateTime) <= now) {
        this.byId.delete(sub.id);
        this.onExpired(sub);
      }
    }
  }

  add(sub: StoredSubscription): void {
    this.byId.set(sub.id, sub);
  }

  get(id: string): StoredSubscription | undefined {
    this.sweep();
    return this.byId.get(id);
  }

  delete(id: string): boolean {
    return this.byId.delete(id);
  }

  /** Live subscriptions in creation order. */
  all(): StoredSubscription[] {
    this.sweep();
    return [...this.byId.values()];
  }

  ofApp(tenantId: string, clientId: string): StoredSubscription[] {
    return this.all().filter((s) => s.tenantId === tenantId && s.clientId === clientId);
  }
}
