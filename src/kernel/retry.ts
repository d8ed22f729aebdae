/**
 * The one backoff formula and the one `Retry-After` parser. Graph's middleware, the subscription jobs,
 * the outbox and the inbox each keep their own numbers (a `Backoff`), not their own arithmetic.
 */

/** Exponential backoff: `baseMs`, doubled per retry, at most `maxMs`, then ± `jitter` (a fraction) at random. */
export interface Backoff {
  baseMs: number;
  /** Largest delay (default: no limit). */
  maxMs?: number;
  /** ± this fraction of random spread, so many callers do not retry in step (default 0: none). */
  jitter?: number;
}

/** Doubling stops here, so the power stays finite for callers that count attempts for days. */
const MAX_DOUBLINGS = 20;

/** Delay before retry number `attempt` (1 = the first retry), without any server-requested wait. */
export function backoffDelayMs(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
  const exponential = Math.min(backoff.maxMs ?? Infinity, backoff.baseMs * 2 ** Math.min(MAX_DOUBLINGS, Math.max(0, attempt - 1)));
  const jitter = backoff.jitter ?? 0;
  return jitter > 0 ? exponential * (1 - jitter + 2 * jitter * random()) : exponential;
}

/** The backoff delay, never shorter than what the server asked for (`Retry-After`, in ms), in whole ms. */
export function retryDelayMs(attempt: number, retryAfterMs: number | null, backoff: Backoff, random: () => number = Math.random): number {
  return Math.round(Math.max(retryAfterMs ?? 0, backoffDelayMs(attempt, backoff, random)));
}

/** A server asking for a longer wait than this is taken to mean this long (a day): no job waits for weeks. */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60_000;

/** IMF-fixdate, the obsolete RFC 850 form and asctime: the three HTTP-date forms (RFC 9110 §5.6.7). */
const IMF_FIXDATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const RFC_850 = /^[A-Z][a-z]+, \d{2}-[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2} GMT$/;
const ASCTIME = /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/**
 * `Retry-After` in milliseconds from `now`: delay-seconds or an HTTP-date (RFC 9110 §10.2.3,
 * https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3), at most `capMs`; a date in the past is 0.
 * Null when absent or unreadable. Fractional seconds are accepted (some services send them).
 */
export function parseRetryAfter(value: string | null | undefined, now: Date, capMs: number = MAX_RETRY_AFTER_MS): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(trimmed)) ms = Math.round(Number(trimmed) * 1000);
  else if (IMF_FIXDATE.test(trimmed) || RFC_850.test(trimmed)) ms = Date.parse(trimmed) - now.getTime();
  // asctime carries no zone; HTTP dates are always UTC.
  else if (ASCTIME.test(trimmed)) ms = Date.parse(`${trimmed} GMT`) - now.getTime();
  else return null;
  if (Number.isNaN(ms)) return null;
  return Math.min(capMs, Math.max(0, ms));
}
