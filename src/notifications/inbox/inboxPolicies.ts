// What the inbox is told about retrying and about sharing batches with other instances.

export interface RetryPolicy {
  initialMs: number;
  maxMs: number;
  /** Graph itself gives up after 4 hours; so does Herald, dropping what is left. */
  giveUpAfterMs: number;
  /** Unexpected errors (bugs, not outages) are retried this many times before the batch is dropped. */
  maxUnexpectedFailures: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { initialMs: 1_000, maxMs: 60_000, giveUpAfterMs: 4 * 60 * 60 * 1000, maxUnexpectedFailures: 5 };

/** How batches are held by one instance while several share the inbox. */
export interface InboxLeasePolicy {
  /** How long a batch stays this instance's without a heartbeat (default 30 s): a dead instance's batches are taken over after it. */
  leaseMs: number;
  /** How often held batches' leases are extended (default a third of the lease). */
  heartbeatMs: number;
  /** How often batches whose lease ran out (their instance died) are looked for and taken over (default 5 s). */
  takeoverEveryMs: number;
  /** Batches claimed per query while taking over. */
  claimLimit: number;
}

/**
 * On a store several instances share (PostgreSQL), each instance beats (`store.instances`) with every
 * heartbeat, this often by default, and the takeover loop runs this often: a killed instance is stale
 * after STALE_AFTER_BEATS heartbeats without a beat, and its batches are taken over at the next pass
 * (within about 8 s), not when their 30 s leases run out.
 */
export const SHARED_HEARTBEAT_MS = 2_000;
export const SHARED_TAKEOVER_EVERY_MS = 2_000;
/** Heartbeats an instance may miss before its batches are taken over (a GC pause or a slow beat is not death). */
export const STALE_AFTER_BEATS = 3;

/** The timers the heartbeat and the takeover loop run on (fake ones in tests). */
export interface InboxTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

// Looked up at call time, so sinon's fake timers installed after load apply.
export const GLOBAL_TIMERS: InboxTimers = {
  setInterval: (fn, ms) => {
    const handle = globalThis.setInterval(fn, ms);
    handle.unref?.();
    return handle;
  },
  clearInterval: (handle) => globalThis.clearInterval(handle as ReturnType<typeof setInterval>),
};
