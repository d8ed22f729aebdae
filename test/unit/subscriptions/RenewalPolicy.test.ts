import assert from 'node:assert/strict';
import { RenewalPolicy } from '../../../src/subscriptions/RenewalPolicy.js';

const MINUTE = 60_000;

describe('RenewalPolicy', () => {
  const now = new Date('2026-03-01T00:00:00Z');

  it('asks for 4,230 minutes by default: the longest Graph allows for chats and members, minus room for clock skew', () => {
    const expiry = new RenewalPolicy().expiryFrom(now);
    assert.equal((expiry.getTime() - now.getTime()) / MINUTE, 4230);
  });

  it('renews when a quarter of the lifetime is left, up to 20% of that earlier at random', () => {
    const lifetime = 4230 * MINUTE;
    const record = { createdAt: now.toISOString(), lastRenewedAt: null, expirationDateTime: new Date(now.getTime() + lifetime).toISOString() };
    const latest = new RenewalPolicy({ random: () => 0 }).renewAt(record, now).getTime();
    const earliest = new RenewalPolicy({ random: () => 0.999999 }).renewAt(record, now).getTime();
    assert.equal(latest, now.getTime() + lifetime * 0.75);
    assert.ok(Math.abs(earliest - (now.getTime() + lifetime * (0.75 - 0.25 * 0.2))) < 1000);
  });

  it('measures the lifetime from the last renewal, and never schedules in the past', () => {
    const policy = new RenewalPolicy({ random: () => 0 });
    const renewedAt = new Date(now.getTime() + 1000 * MINUTE);
    const record = { createdAt: now.toISOString(), lastRenewedAt: renewedAt.toISOString(), expirationDateTime: new Date(renewedAt.getTime() + 4000 * MINUTE).toISOString() };
    assert.equal(policy.renewAt(record, now).getTime(), renewedAt.getTime() + 3000 * MINUTE);
    const later = new Date(renewedAt.getTime() + 3990 * MINUTE);
    assert.equal(policy.renewAt(record, later).getTime(), later.getTime());
  });

  it('knows the earliest time it could schedule a renewal: a quarter of the lifetime plus all the jitter before expiry', () => {
    const lifetime = 4230 * MINUTE;
    const record = { createdAt: now.toISOString(), lastRenewedAt: null, expirationDateTime: new Date(now.getTime() + lifetime).toISOString() };
    const policy = new RenewalPolicy({ random: () => 0.999999 });
    assert.equal(policy.earliestRenewAt(record).getTime(), now.getTime() + lifetime * (1 - 0.25 * 1.2));
    assert.ok(policy.earliestRenewAt(record).getTime() <= policy.renewAt(record, now).getTime());
  });

  it('keeps a minimum lead for short subscriptions', () => {
    const policy = new RenewalPolicy({ random: () => 0, minLeadMs: 15 * MINUTE });
    const record = { createdAt: now.toISOString(), lastRenewedAt: null, expirationDateTime: new Date(now.getTime() + 45 * MINUTE).toISOString() };
    assert.equal(policy.renewAt(record, now).getTime(), now.getTime() + 30 * MINUTE);
  });

  it('backs off exponentially up to a cap, but never sooner than Retry-After', () => {
    const policy = new RenewalPolicy({ random: () => 0.5, retryBaseMs: MINUTE, retryMaxMs: 30 * MINUTE });
    assert.deepEqual([1, 2, 3, 6, 10].map((n) => policy.retryDelayMs(n, null) / MINUTE), [1, 2, 4, 30, 30]);
    assert.equal(policy.retryDelayMs(1, 120_000), 120_000);
  });

  it('refuses settings that would renew too late or ask Graph for too long', () => {
    assert.throws(() => new RenewalPolicy({ leadFraction: 1 }), RangeError);
    assert.throws(() => new RenewalPolicy({ lifetimeMinutes: 4321 }), RangeError);
    assert.throws(() => new RenewalPolicy({ leadFraction: 0.6, jitterFraction: 0.8 }), RangeError);
  });
});
