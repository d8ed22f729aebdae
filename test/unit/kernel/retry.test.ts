import assert from 'node:assert/strict';
import { backoffDelayMs, MAX_RETRY_AFTER_MS, parseRetryAfter, retryDelayMs } from '../../../src/kernel/retry.js';

const NOW = new Date('2026-03-01T10:00:00Z');

describe('backoff', () => {
  it('doubles from the base per retry and stops at the maximum', () => {
    const backoff = { baseMs: 1_000, maxMs: 10_000 };
    assert.deepEqual([1, 2, 3, 4, 5, 60].map((n) => backoffDelayMs(n, backoff)), [1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
  });

  it('spreads by ± the jitter fraction, using the random source it is given', () => {
    const backoff = { baseMs: 2_000, jitter: 0.2 };
    assert.equal(Math.round(backoffDelayMs(1, backoff, () => 0)), 1_600);
    assert.equal(Math.round(backoffDelayMs(1, backoff, () => 1)), 2_400);
    assert.equal(Math.round(backoffDelayMs(1, backoff, () => 0.5)), 2_000);
  });

  it('stays finite for attempts counted over days', () => {
    assert.ok(Number.isFinite(backoffDelayMs(10_000, { baseMs: 1_000 })));
  });

  it('never retries sooner than the server asked, in whole milliseconds', () => {
    const backoff = { baseMs: 1_000, jitter: 0.2 };
    assert.equal(retryDelayMs(1, 30_000, backoff, () => 0.5), 30_000);
    assert.equal(retryDelayMs(1, 10, backoff, () => 0.3), 920);
    assert.equal(retryDelayMs(1, null, { baseMs: 333.3 }), 333);
  });
});

describe('Retry-After (RFC 9110 §10.2.3)', () => {
  it('reads delay-seconds', () => {
    assert.equal(parseRetryAfter('120', NOW), 120_000);
    assert.equal(parseRetryAfter(' 0 ', NOW), 0);
    assert.equal(parseRetryAfter('1.5', NOW), 1_500);
    assert.equal(parseRetryAfter('1', NOW), 1_000, 'a bare number is seconds, never a year');
  });

  it('reads an HTTP-date in each of its three forms, relative to now', () => {
    assert.equal(parseRetryAfter('Sun, 01 Mar 2026 10:02:00 GMT', NOW), 120_000);
    assert.equal(parseRetryAfter('Sunday, 01-Mar-26 10:02:00 GMT', NOW), 120_000);
    assert.equal(parseRetryAfter('Sun Mar  1 10:02:00 2026', NOW), 120_000, 'asctime is UTC');
  });

  it('treats a date in the past as "now"', () => {
    assert.equal(parseRetryAfter('Sun, 01 Mar 2026 09:00:00 GMT', NOW), 0);
  });

  it('caps what it is asked to wait', () => {
    assert.equal(parseRetryAfter('99999999', NOW), MAX_RETRY_AFTER_MS);
    assert.equal(parseRetryAfter('600', NOW, 60_000), 60_000);
    assert.equal(parseRetryAfter('Tue, 01 Mar 2033 10:00:00 GMT', NOW), MAX_RETRY_AFTER_MS);
  });

  it('gives null for an absent or unreadable value instead of guessing', () => {
    for (const value of [null, undefined, '', '-5', 'soon', '5 minutes', '2026-03-01T10:02:00Z', 'Sun, 01 Mar 2026 10:02:00']) {
      assert.equal(parseRetryAfter(value, NOW), null, String(value));
    }
  });
});
