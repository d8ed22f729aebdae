import { retryDelayMs } from '../kernel/retry.js';
import type { SubscriptionRecord } from '../model/subscription.js';

export interface RenewalPolicyOptions {
  /**
   * Lifetime requested on create and renew. Graph's maximum for chat and conversationMember is 4,320
   * minutes and requests beyond it fail; 90 minutes less leaves room for clock skew.
   */
  lifetimeMinutes: number;
  /** Renew when this share of the lifetime is left (0.25: after about 53 of 70.5 hours). */
  leadFraction: number;
  /** Renew up to this share of the lead earlier still, at random, so renewals of chats installed together spread out. */
  jitterFraction: number;
  /** Never renew with less than this left (covers short lifetimes and slow retries). */
  minLeadMs: number;
  /** First retry after a transient failure; doubles per attempt up to `retryMaxMs`. */
  retryBaseMs: number;
  retryMaxMs: number;
  random: () => number;
}

export const DEFAULT_RENEWAL_POLICY: RenewalPolicyOptions = {
  lifetimeMinutes: 4230,
  leadFraction: 0.25,
  jitterFraction: 0.2,
  minLeadMs: 15 * 60_000,
  retryBaseMs: 60_000,
  retryMaxMs: 30 * 60_000,
  random: Math.random,
};

/** When to ask for what: expiry on create/renew, the renewal time of a subscription, retry delays. */
export class RenewalPolicy {
  readonly options: RenewalPolicyOptions;

  constructor(options: Partial<RenewalPolicyOptions> = {}) {
    this.options = { ...DEFAULT_RENEWAL_POLICY, ...options };
    const o = this.options;
    if (!(o.leadFraction > 0 && o.leadFraction < 1)) throw new RangeError('leadFraction must be between 0 and 1');
    if (!(o.jitterFraction >= 0 && o.leadFraction * (1 + o.jitterFraction) < 1)) throw new RangeError('jitterFraction too large for leadFraction');
    if (!(o.lifetimeMinutes >= 45 && o.lifetimeMinutes <= 4320)) throw new RangeError('lifetimeMinutes must be within 45..4320');
  }

  /** The expirationDateTime to request now. */
  expiryFrom(now: Date): Date {
    return new Date(now.getTime() + this.options.lifetimeMinutes * 60_000);
  }

  /** When to renew a subscription: a share of its lifetime before expiry, minus jitter; never in the past. */
  renewAt(record: Pick<SubscriptionRecord, 'expirationDateTime' | 'createdAt' | 'lastRenewedAt'>, now: Date): Date {
    const { expiry, lead } = this.lead(record);
    const jitter = this.options.random() * this.options.jitterFraction * lead;
    return new Date(Math.max(now.getTime(), expiry - lead - jitter));
  }

  /**
   * The earliest time `renewAt` can answer for this record (the most jitter). A renewal job running before
   * it finds a record renewed meanwhile (by another instance): nothing is due yet.
   */
  earliestRenewAt(record: Pick<SubscriptionRecord, 'expirationDateTime' | 'createdAt' | 'lastRenewedAt'>): Date {
    const { expiry, lead } = this.lead(record);
    return new Date(expiry - lead * (1 + this.options.jitterFraction));
  }

  private lead(record: Pick<SubscriptionRecord, 'expirationDateTime' | 'createdAt' | 'lastRenewedAt'>): { expiry: number; lead: number } {
    const expiry = Date.parse(record.expirationDateTime);
    const since = Date.parse(record.lastRenewedAt ?? record.createdAt);
    const lifetime = Number.isFinite(since) && since < expiry ? expiry - since : this.options.lifetimeMinutes * 60_000;
    return { expiry, lead: Math.max(this.options.minLeadMs, lifetime * this.options.leadFraction) };
  }

  /** Delay before retry number `attempt` (1-based) of a transient failure; at least what Retry-After asked. */
  retryDelayMs(attempt: number, retryAfterMs: number | null): number {
    return retryDelayMs(attempt, retryAfterMs, { baseMs: this.options.retryBaseMs, maxMs: this.options.retryMaxMs, jitter: 0.2 }, this.options.random);
  }
}
