import type { Context, Middleware } from '@microsoft/microsoft-graph-client';
import { backoffDelayMs, parseRetryAfter } from '../kernel/retry.js';

export interface RetryPolicy {
  /** Retries after the first attempt (so `maxRetries + 1` attempts at most). */
  maxRetries: number;
  /**
   * Longest wait spent inside one request. A longer `Retry-After` is not slept on: the response is handed
   * back so the caller can reschedule the work (the subscription manager's timer wheel) instead of
   * holding a request open for minutes.
   */
  maxInlineDelayMs: number;
  /** Wait before the first retry when the response has no `Retry-After`; doubles on each retry. */
  baseDelayMs: number;
  /** Per-attempt deadline; Graph answers well within it or not at all. */
  attemptTimeoutMs: number;
  sleep(ms: number): Promise<void>;
  clock(): Date;
  /** Told about every retry (for counting and logs). */
  onRetry?(info: { status: number; attempt: number; delayMs: number; url: string }): void;
}

/** 429 and 503 are Graph's documented "slow down" answers; 504 is a gateway that never reached Graph. */
const RETRYABLE = new Set([429, 503, 504]);

/**
 * Retries throttled requests after the server's `Retry-After`, a bounded number of times. Replaces the
 * Graph client's RetryHandler, whose sleeps cannot be shortened in tests and which would wait up to
 * three minutes inside one call.
 */
export class RetryAfterMiddleware implements Middleware {
  private next: Middleware | undefined;

  constructor(private readonly policy: RetryPolicy) {}

  setNext(next: Middleware): void {
    this.next = next;
  }

  async execute(context: Context): Promise<void> {
    const next = this.next;
    if (!next) throw new Error('RetryAfterMiddleware has no next middleware');
    const url = typeof context.request === 'string' ? context.request : context.request.url;
    for (let attempt = 0; ; attempt++) {
      context.options = { ...context.options, signal: AbortSignal.timeout(this.policy.attemptTimeoutMs) };
      await next.execute(context);
      const response = context.response;
      if (!response || !RETRYABLE.has(response.status) || attempt >= this.policy.maxRetries) return;
      // Graph's Retry-After replaces the backoff here (it may be shorter); no jitter inside one call.
      const delayMs = parseRetryAfter(response.headers.get('retry-after'), this.policy.clock()) ?? backoffDelayMs(attempt + 1, { baseMs: this.policy.baseDelayMs });
      if (delayMs > this.policy.maxInlineDelayMs) return;
      // Free the connection before waiting; the body of a throttling answer is not needed.
      await response.body?.cancel().catch(() => undefined);
      this.policy.onRetry?.({ status: response.status, attempt: attempt + 1, delayMs, url });
      await this.policy.sleep(delayMs);
    }
  }
}
