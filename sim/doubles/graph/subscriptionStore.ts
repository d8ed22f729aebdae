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
  /** No subscription expires before this (ms): a sweep before it has nothing to do (lookups stay O(1)). */
  private earliestExpiry = Number.POSITIVE_INFINITY;

  constructor(
    private readonly clock: () => Date,
    private readonly onExpired: (sub: StoredSubscription) => void = () => undefined,
  ) {}

  /** Remove subscriptions whose expirationDateTime has passed. */
  sweep(): void {
    const now = this.clock().getTime();
    if (now < this.earliestExpiry) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (const sub of [...this.byId.values()]) {
      const expiry = Date.parse(sub.expirationDateTime);
      if (expiry <= now) {
        this.byId.delete(sub.id);
        this.onExpired(sub);
      } else if (expiry < earliest) earliest = expiry;
    }
    this.earliestExpiry = earliest;
  }

  add(sub: StoredSubscription): void {
    this.byId.set(sub.id, sub);
    this.noteExpiry(sub.expirationDateTime);
  }

  /** Changes a subscription's expiry (PATCH); the store must know, or a shortened one would outlive its time. */
  setExpiration(sub: StoredSubscription, expirationDateTime: string): void {
    sub.expirationDateTime = expirationDateTime;
    this.noteExpiry(expirationDateTime);
  }

  private noteExpiry(expirationDateTime: string): void {
    const expiry = Date.parse(expirationDateTime);
    // An unparsable expiry never expires in the full scan either (NaN <= now is false).
    if (Number.isFinite(expiry) && expiry < this.earliestExpiry) this.earliestExpiry = expiry;
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
