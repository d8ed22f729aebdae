/** "At most `limit` events in any `periodMs`". */
export interface RateWindow {
  limit: number;
  periodMs: number;
}

/**
 * Sliding-window rate limits per key (a conversation, a tenant). Several windows apply at once, as in
 * Teams' send limits (7 per second, 8 per 2 s, 60 per 30 s, 1800 per hour per conversation).
 */
export class SlidingWindowLimiter {
  private readonly stamps = new Map<string, number[]>();
  private readonly longest: number;
  private recordsSincePrune = 0;

  constructor(private readonly windows: readonly RateWindow[]) {
    this.longest = Math.max(0, ...windows.map((w) => w.periodMs));
  }

  /** The earliest time (ms) at which one more event for `key` stays within every window. */
  nextAllowedAt(key: string, now: number): number {
    return nextAllowedAt(this.current(key, now), this.windows, now);
  }

  /** The events recorded for `key` that still count in some window, oldest first. */
  stampsOf(key: string, now: number): number[] {
    return [...this.current(key, now)];
  }

  record(key: string, at: number): void {
    const stamps = this.current(key, at);
    stamps.push(at);
    stamps.sort((a, b) => a - b);
    this.stamps.set(key, stamps);
    if (++this.recordsSincePrune >= 1000) this.prune(at);
  }

  /** Forgets keys with no event inside the longest window (bounded memory for idle chats). */
  prune(now: number): void {
    this.recordsSincePrune = 0;
    for (const key of [...this.stamps.keys()]) {
      if (this.current(key, now).length === 0) this.stamps.delete(key);
    }
  }

  private current(key: string, now: number): number[] {
    const stamps = (this.stamps.get(key) ?? []).filter((t) => t > now - this.longest);
    if (stamps.length > 0) this.stamps.set(key, stamps);
    else this.stamps.delete(key);
    return stamps;
  }
}

/** The earliest time (ms) at which one more event stays within every window, given the earlier events' times (sorted). */
export function nextAllowedAt(stamps: readonly number[], windows: readonly RateWindow[], now: number): number {
  let allowed = now;
  for (const { limit, periodMs } of windows) {
    const inWindow = stamps.filter((t) => t > now - periodMs);
    if (inWindow.length >= limit) allowed = Math.max(allowed, inWindow[inWindow.length - limit] + periodMs);
  }
  return allowed;
}

/** The times that still count in some window (no more than the largest limit needs), sorted: what to keep of a log of events. */
export function stampsThatCount(stamps: readonly number[], windows: readonly RateWindow[], now: number): number[] {
  const longest = Math.max(0, ...windows.map((w) => w.periodMs));
  const most = Math.max(0, ...windows.map((w) => w.limit));
  return stamps.filter((t) => t > now - longest).sort((a, b) => a - b).slice(-most);
}

/**
 * Two logs of the same events (one seen by every instance, one kept in memory, which has this
 * instance's events even when the shared one could not be written): each time as often as the log
 * that has it more often (events in one millisecond are several events), sorted.
 */
export function mergeStamps(a: readonly number[], b: readonly number[]): number[] {
  const counts = new Map<number, number>();
  for (const t of a) counts.set(t, (counts.get(t) ?? 0) + 1);
  const fromB = new Map<number, number>();
  for (const t of b) fromB.set(t, (fromB.get(t) ?? 0) + 1);
  for (const [t, n] of fromB) counts.set(t, Math.max(n, counts.get(t) ?? 0));
  return [...counts].flatMap(([t, n]) => Array.from({ length: n }, () => t)).sort((x, y) => x - y);
}

/** Teams' message-send limits per bot and conversation, and per app and tenant (reference §4.2). */
export const TEAMS_SEND_LIMITS = {
  perConversation: [
    { limit: 7, periodMs: 1_000 },
    { limit: 8, periodMs: 2_000 },
    { limit: 60, periodMs: 30_000 },
    { limit: 1_800, periodMs: 3_600_000 },
  ],
  // Microsoft's pages disagree (30 or 50 per second); the newer one says 50.
  perTenant: [{ limit: 50, periodMs: 1_000 }],
} as const satisfies { perConversation: readonly RateWindow[]; perTenant: readonly RateWindow[] };

export interface PacingLimits {
  perConversation: readonly RateWindow[];
  perTenant: readonly RateWindow[];
}
