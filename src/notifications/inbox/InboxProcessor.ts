import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import { HeraldError } from '../../kernel/errors.js';
import { backoffDelayMs } from '../../kernel/retry.js';
import type { InboxBatch } from '../../model/inbox.js';
import type { StoreContract } from '../../storage/StoreContract.js';
import { readEnvelope } from '../decode/normalizeNotification.js';
import type { BatchRun } from '../route/NotificationPipeline.js';
import { ProcessingStoppedError, RetryLaterError, type DropReason } from '../route/ItemOutcome.js';
import type { NotificationMetrics } from './NotificationMetrics.js';

export interface BatchProcessor {
  process(batch: InboxBatch, run: BatchRun): Promise<void>;
}

export interface RetryPolicy {
  initialMs: number;
  maxMs: number;
  /** Graph itself gives up after 4 hours; so does Herald, dropping what is left. */
  giveUpAfterMs: number;
  /** Unexpected errors (bugs, not outages) are retried this many times before the batch is dropped. */
  maxUnexpectedFailures: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { initialMs: 1_000, maxMs: 60_000, giveUpAfterMs: 4 * 60 * 60 * 1000, maxUnexpectedFailures: 5 };

export interface InboxProcessorDeps {
  store: Pick<StoreContract, 'inbox'>;
  pipeline: BatchProcessor;
  metrics: NotificationMetrics;
  clock: () => Date;
  log: Logger;
  /**
   * Batches processed at once (default 16), so one slow Graph read, handler or disk flush does not hold
   * up the rest. CPU work interleaves item by item either way.
   */
  concurrency?: number;
  retry?: Partial<RetryPolicy>;
}

/** The processor is stopping; the caller should refuse the request (503) so Graph retries it. */
export class InboxClosedError extends HeraldError {
  constructor() {
    super('herald.notification.inbox_closed', 'the notification inbox is closed');
    this.name = 'InboxClosedError';
  }
}

interface BatchState {
  batch: InboxBatch;
  items: number;
  done: Set<number>;
  attempts: number;
  unexpectedFailures: number;
  retryTimer: ReturnType<typeof setTimeout> | null;
}

/**
 * The durable queue between the HTTP answer and the processing: a batch is written to the inbox before
 * Graph gets its 202, processed afterwards, and removed only when every item is finished. Leftovers
 * from a crash are replayed on start; nothing accepted is lost.
 */
export class InboxProcessor {
  private readonly batches = new Map<string, BatchState>();
  private readonly queue: string[] = [];
  private readonly retry: RetryPolicy;
  private readonly concurrency: number;
  private running = 0;
  private started = false;
  private paused = false;
  private stopping = false;
  private readonly abort = new AbortController();
  private waiters: Array<() => void> = [];

  constructor(private readonly deps: InboxProcessorDeps) {
    this.retry = { ...DEFAULT_RETRY_POLICY, ...deps.retry };
    this.concurrency = Math.max(1, deps.concurrency ?? 16);
    // Every running batch listens for the stop signal while it waits (listeners are removed when done).
    setMaxListeners(0, this.abort.signal);
  }

  /** Stores the batch durably; resolves when it is safe to answer 202. */
  async accept(route: InboxBatch['route'], body: unknown, items: number): Promise<InboxBatch> {
    if (this.stopping) throw new InboxClosedError();
    const batch: InboxBatch = { id: randomUUID(), route, receivedAt: this.deps.clock().toISOString(), body };
    await this.deps.store.inbox.put(batch.id, batch);
    this.deps.metrics.accepted(items);
    this.enqueue(batch, items);
    return batch;
  }

  /** Replays batches left in the inbox by an earlier run, then processes as they come. */
  async start(): Promise<void> {
    if (this.started || this.stopping) return;
    const stored = await this.deps.store.inbox.list();
    if (this.started || this.stopping) return;
    // Filtered after the read: a batch accepted while it ran is already queued.
    const leftovers = stored
      .filter((b) => !this.batches.has(b.id))
      .sort((a, b) => (a.receivedAt < b.receivedAt ? -1 : a.receivedAt > b.receivedAt ? 1 : 0));
    let items = 0;
    for (const batch of leftovers) {
      const count = itemCount(batch);
      items += count;
      this.deps.metrics.replayed(count);
      this.enqueue(batch, count);
    }
    if (leftovers.length > 0) this.deps.log.info({ batches: leftovers.length, items }, 'replaying notifications accepted before the restart');
    this.started = true;
    this.pump();
  }

  /** Holds processing (accepting goes on). */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.pump();
  }

  /** Resolves when nothing is queued or running (batches waiting for a retry do not count). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /**
   * Stops taking work: running batches stop before their next item (finished items stay finished) and
   * everything unfinished stays in the inbox for the next start.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.abort.abort();
    for (const state of this.batches.values()) {
      if (state.retryTimer) {
        clearTimeout(state.retryTimer);
        state.retryTimer = null;
        this.deps.metrics.retrying--;
      }
    }
    this.queue.length = 0;
    await this.idle();
  }

  private enqueue(batch: InboxBatch, items: number): void {
    this.deps.metrics.batches++;
    this.batches.set(batch.id, { batch, items, done: new Set(), attempts: 0, unexpectedFailures: 0, retryTimer: null });
    this.queue.push(batch.id);
    this.pump();
  }

  private pump(): void {
    while (this.started && !this.paused && !this.stopping && this.running < this.concurrency && this.queue.length > 0) {
      const id = this.queue.shift();
      const state = id === undefined ? undefined : this.batches.get(id);
      if (!state) continue;
      this.running++;
      void this.run(state).finally(() => {
        this.running--;
        this.pump();
        this.notifyIdle();
      });
    }
    this.notifyIdle();
  }

  private async run(state: BatchState): Promise<void> {
    const { batch } = state;
    state.attempts++;
    try {
      await this.deps.pipeline.process(batch, {
        skip: state.done,
        signal: this.abort.signal,
        onItem: (index, outcome) => {
          state.done.add(index);
          this.deps.metrics.finished(outcome, this.deps.clock().getTime() - Date.parse(batch.receivedAt));
        },
      });
      await this.finish(state);
    } catch (error) {
      if (error instanceof ProcessingStoppedError) return;
      if (error instanceof RetryLaterError) return this.retryLater(state, error.reason, error.message);
      state.unexpectedFailures++;
      this.deps.log.error({ err: error, batchId: batch.id, attempt: state.attempts }, 'processing a notification batch failed');
      if (state.unexpectedFailures >= this.retry.maxUnexpectedFailures) return this.giveUp(state, 'processingFailed');
      return this.retryLater(state, 'processingFailed', error instanceof Error ? error.message : String(error));
    }
  }

  private async finish(state: BatchState): Promise<void> {
    this.batches.delete(state.batch.id);
    try {
      await this.deps.store.inbox.delete(state.batch.id);
      this.deps.metrics.batches--;
    } catch (error) {
      // Processed but still stored: a replay after restart meets the deduplication logs.
      this.deps.log.error({ err: error, batchId: state.batch.id }, 'could not remove a processed batch from the inbox');
    }
  }

  private async retryLater(state: BatchState, reason: DropReason, detail: string): Promise<void> {
    const age = this.deps.clock().getTime() - Date.parse(state.batch.receivedAt);
    if (age >= this.retry.giveUpAfterMs) return this.giveUp(state, reason);
    if (this.stopping) return;
    const delay = backoffDelayMs(state.attempts, { baseMs: this.retry.initialMs, maxMs: this.retry.maxMs });
    this.deps.log.warn({ batchId: state.batch.id, reason, detail, attempt: state.attempts, retryInMs: delay }, 'notification batch will be retried');
    this.deps.metrics.retrying++;
    state.retryTimer = setTimeout(() => {
      state.retryTimer = null;
      this.deps.metrics.retrying--;
      this.queue.push(state.batch.id);
      this.pump();
    }, delay);
    state.retryTimer.unref?.();
  }

  /** The batch cannot be processed within Graph's own retry window: what is left is dropped. */
  private async giveUp(state: BatchState, reason: DropReason): Promise<void> {
    const lag = this.deps.clock().getTime() - Date.parse(state.batch.receivedAt);
    const left = state.items - state.done.size;
    for (let index = 0; index < state.items; index++) {
      if (!state.done.has(index)) this.deps.metrics.finished({ status: 'dropped', reason }, lag);
    }
    this.deps.log.error({ batchId: state.batch.id, reason, items: left }, 'giving up on a notification batch');
    await this.finish(state);
  }

  private isIdle(): boolean {
    return this.running === 0 && (this.queue.length === 0 || !this.started || this.paused || this.stopping);
  }

  private notifyIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}

function itemCount(batch: InboxBatch): number {
  const envelope = readEnvelope(batch.body);
  return envelope.ok ? envelope.items.length : 0;
}
