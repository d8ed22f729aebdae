import { retryDelayMs as kernelRetryDelayMs } from '../kernel/retry.js';

export interface RetryPolicy {
  /** First retry delay (before jitter). */
  baseMs: number;
  /** Largest delay between attempts. */
  maxDelayMs: number;
  /** ± this fraction of random jitter, so many chats do not retry in step. */
  jitter: number;
  /** A post still undelivered this long after it was created is given up. */
  maxAgeMs: number;
}

/** Teams' guidance: exponential backoff with random jitter, honouring Retry-After. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseMs: 2_000, maxDelayMs: 5 * 60_000, jitter: 0.2, maxAgeMs: 24 * 60 * 60_000 };

/**
 * Delay before retry number `attempt` (1 = first retry): exponential with jitter, and never shorter
 * than the server's Retry-After (the kernel's one backoff, with the outbox's numbers).
 */
export function retryDelayMs(attempt: number, retryAfterMs: number | null, policy: RetryPolicy, random: () => number): number {
  return kernelRetryDelayMs(attempt, retryAfterMs, { baseMs: policy.baseMs, maxMs: policy.maxDelayMs, jitter: policy.jitter }, random);
}
