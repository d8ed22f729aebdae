import type { InboxBatch } from '../../../src/model/inbox.js';
import type { BatchProcessor, InboxTimers } from '../../../src/notifications/inbox/InboxProcessor.js';
import { ProcessingStoppedError } from '../../../src/notifications/route/ItemOutcome.js';
import type { BatchRun } from '../../../src/notifications/route/NotificationPipeline.js';

/** A notification body of `n` items (the processor counts `value`). */
export const inboxBody = (n: number) => ({ value: Array.from({ length: n }, (_, i) => ({ subscriptionId: `s${i}` })) });

/** Interval timers that fire only when the test says so: a heartbeat that never fires is an instance that died. */
export class ManualTimers implements InboxTimers {
  private readonly intervals = new Map<number, { fn: () => void; ms: number }>();
  private next = 1;

  setInterval(fn: () => void, ms: number): unknown {
    const handle = this.next++;
    this.intervals.set(handle, { fn, ms });
    return handle;
  }

  clearInterval(handle: unknown): void {
    this.intervals.delete(handle as number);
  }

  /** The periods of the intervals running now, shortest first. */
  get periods(): number[] {
    return [...this.intervals.values()].map((i) => i.ms).sort((a, b) => a - b);
  }

  /** Fires every interval of period `ms` once. */
  fire(ms: number): void {
    for (const interval of [...this.intervals.values()]) if (interval.ms === ms) interval.fn();
  }
}

/**
 * A pipeline double shared by every processor of a test (several instances): finishes items one by one,
 * records each run, and can hold runs after some items (a stalled or dying instance) until released.
 */
export class RecordingPipeline implements BatchProcessor {
  readonly runs: Array<{ id: string; skip: number[] }> = [];
  /** Items reported finished, per batch id and item index: more than 1 means handled twice. */
  readonly handled = new Map<string, number>();
  /** Runs of one batch in progress at the same moment, at most (per batch id). */
  readonly overlap = new Map<string, number>();
  /** When set, runs pause after finishing this many items (of the run) until `releaseAll`. */
  holdAfter: number | null = null;
  /** Real milliseconds each item takes (PostgreSQL tests: work longer than a lease). */
  itemMs = 0;
  private readonly active = new Map<string, number>();
  private gates: Array<() => void> = [];
  private holdWaiters: Array<() => void> = [];

  get held(): number {
    return this.gates.length;
  }

  async process(batch: InboxBatch, run: BatchRun): Promise<void> {
    this.runs.push({ id: batch.id, skip: [...run.skip].sort((a, b) => a - b) });
    const now = (this.active.get(batch.id) ?? 0) + 1;
    this.active.set(batch.id, now);
    this.overlap.set(batch.id, Math.max(now, this.overlap.get(batch.id) ?? 0));
    try {
      const items = (batch.body as { value: unknown[] }).value.length;
      let finished = 0;
      for (let index = 0; index < items; index++) {
        if (run.skip.has(index)) continue;
        if (this.holdAfter !== null && finished === this.holdAfter) await this.hold();
        if (this.itemMs > 0) await new Promise((resolve) => setTimeout(resolve, this.itemMs));
        if (run.signal.aborted) throw new ProcessingStoppedError();
        const key = `${batch.id}#${index}`;
        this.handled.set(key, (this.handled.get(key) ?? 0) + 1);
        run.onItem(index, { status: 'emitted', event: 'change' });
        finished++;
      }
    } finally {
      this.active.set(batch.id, (this.active.get(batch.id) ?? 1) - 1);
    }
  }

  /** Resolves once `count` runs are being held. */
  async whenHeld(count = 1): Promise<void> {
    while (this.gates.length < count) await new Promise<void>((resolve) => this.holdWaiters.push(resolve));
  }

  releaseAll(): void {
    this.holdAfter = null;
    const gates = this.gates;
    this.gates = [];
    for (const open of gates) open();
  }

  private hold(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.gates.push(resolve);
      const waiters = this.holdWaiters;
      this.holdWaiters = [];
      for (const wake of waiters) wake();
    });
  }
}
