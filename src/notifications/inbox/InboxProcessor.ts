import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import { HeraldError } from '../../kernel/errors.js';
import { backoffDelayMs } from '../../kernel/retry.js';
import type { InboxBatch } from '../../model/inbox.js';
import { DEFAULT_LEASE_MS, type Claimed, type Store } from '../../storage/Store.js';
import type { BatchRun } from '../route/NotificationPipeline.js';
import { ProcessingStoppedError, RetryLaterError, type DropReason } from '../route/ItemOutcome.js';
import type { NotificationMetrics } from './NotificationMetrics.js';
import { itemCount, type BatchState } from './BatchState.js';
import { DEFAULT_RETRY_POLICY, GLOBAL_TIMERS, SHARED_HEARTBEAT_MS, SHARED_TAKEOVER_EVERY_MS, STALE_AFTER_BEATS, type InboxLeasePolicy, type InboxTimers, type RetryPolicy } from './inboxPolicies.js';

export { DEFAULT_RETRY_POLICY, type InboxLeasePolicy, type InboxTimers, type RetryPolicy } from './inboxPolicies.js';

export interface BatchProcessor {
  process(batch: InboxBatch, run: BatchRun): Promise<void>;
}

export interface InboxProcessorDeps {
  /** `instances`: where this instance beats, so others take its batches at once if it dies; `kind`: shared stores beat often. */
  store: Pick<Store, 'inbox'> & Partial<Pick<Store, 'instances' | 'kind'>>;
  /** This instance's id: the owner of the leases it holds (default: a random one). */
  instanceId?: string;
  lease?: Partial<InboxLeasePolicy>;
  timers?: InboxTimers;
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
  /** Told of the unfinished items of a batch given up, to catch up on what they carried (a reconcile of their chats). */
  onGivenUp?: (batch: InboxBatch, unfinished: readonly number[], reason: DropReason) => Promise<void>;
}

/** The processor is stopping; the caller should refuse the request (503) so Graph retries it. */
export class InboxClosedError extends HeraldError {
  constructor() {
    super('herald.notification.inbox_closed', 'the notification inbox is closed');
    this.name = 'InboxClosedError';
  }
}

/**
 * The durable queue between the HTTP answer and the processing: a batch is written to the inbox before
 * Graph gets its 202, processed afterwards, and removed only when every item is finished. Nothing
 * accepted is lost.
 *
 * Several instances may share the inbox: the accepting instance stores the batch already leased to
 * itself and extends the lease while it holds the batch (queued, running or waiting for a retry). A
 * takeover loop on every instance claims batches whose lease ran out (their instance died; after a
 * restart, the leftovers), or whose instance stopped beating (killed: taken at once rather than after
 * the lease), and processes them. An instance that finds its lease lost stops that batch and
 * leaves it to the new owner; finished items are recorded in the batch with the heartbeat so the new
 * owner skips them (the deduplication logs cover the last few seconds).
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
  private readonly lease: InboxLeasePolicy;
  private readonly owner: string;
  private readonly timers: InboxTimers;
  private heartbeatTimer: unknown = null;
  private takeoverTimer: unknown = null;
  private beating: Promise<void> | null = null;
  private takingOver: Promise<void> | null = null;
  private waiters: Array<() => void> = [];

  constructor(private readonly deps: InboxProcessorDeps) {
    this.retry = { ...DEFAULT_RETRY_POLICY, ...deps.retry };
    this.concurrency = Math.max(1, deps.concurrency ?? 16);
    const leaseMs = deps.lease?.leaseMs ?? DEFAULT_LEASE_MS;
    const shared = deps.store.kind === 'postgres';
    const heartbeatMs = Math.max(1, Math.min(Math.floor(leaseMs / 3), shared ? SHARED_HEARTBEAT_MS : Infinity));
    this.lease = { leaseMs, heartbeatMs, takeoverEveryMs: shared ? SHARED_TAKEOVER_EVERY_MS : 5_000, claimLimit: 64, ...deps.lease };
    this.owner = deps.instanceId ?? `inbox-${randomUUID()}`;
    this.timers = deps.timers ?? GLOBAL_TIMERS;
  }

  /** Stores the batch durably, leased to this instance; resolves when it is safe to answer 202. */
  async accept(route: InboxBatch['route'], body: unknown, items: number): Promise<InboxBatch> {
    if (this.stopping) throw new InboxClosedError();
    const batch: InboxBatch = { id: randomUUID(), route, receivedAt: this.deps.clock().toISOString(), body };
    await this.deps.store.inbox.putClaimed(batch.id, batch, { owner: this.owner, at: this.deps.clock(), leaseMs: this.lease.leaseMs });
    this.deps.metrics.accepted(items);
    this.enqueue(batch, items);
    return batch;
  }

  /** Takes over what is left in the inbox (an earlier run's, a dead instance's), then processes as they come. */
  async start(): Promise<void> {
    if (this.started || this.stopping) return;
    this.started = true;
    this.startHeartbeat();
    await this.beat();
    await this.takeOver();
    if (this.stopping) return;
    this.takeoverTimer ??= this.timers.setInterval(() => void this.takeOver(), this.lease.takeoverEveryMs);
    this.pump();
  }

  /**
   * Claims batches nobody holds any more (their lease ran out) and queues them oldest first. Runs at
   * start and then every `takeoverEveryMs`; one pass at a time.
   */
  takeOver(): Promise<void> {
    this.takingOver ??= this.claimAbandoned().finally(() => (this.takingOver = null));
    return this.takingOver;
  }

  private async claimAbandoned(): Promise<void> {
    let batches = 0;
    let items = 0;
    try {
      for (;;) {
        if (this.stopping) return;
        const at = this.deps.clock();
        // Also the batches of instances that stopped beating (killed): at once, not when their leases run out.
        const staleOwnersBefore = new Date(at.getTime() - STALE_AFTER_BEATS * this.lease.heartbeatMs);
        const claimed = await this.deps.store.inbox.claim({ owner: this.owner, at, leaseMs: this.lease.leaseMs, limit: this.lease.claimLimit, staleOwnersBefore });
        for (const taken of claimed) {
          const state = this.adopt(taken);
          if (!state) continue;
          batches++;
          items += state.items - state.done.size;
        }
        if (claimed.length < this.lease.claimLimit) break;
      }
    } catch (error) {
      this.deps.log.error({ err: error }, 'taking over notification batches failed; trying again later');
    } finally {
      if (batches > 0) this.deps.log.info({ batches, items }, 'took over notification batches nobody was processing (an earlier run or a dead instance accepted them)');
    }
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
   * everything unfinished stays in the inbox, handed back (lease released, progress recorded) for
   * another instance or the next start.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.takeoverTimer !== null) this.timers.clearInterval(this.takeoverTimer);
    this.takeoverTimer = null;
    for (const state of this.batches.values()) {
      state.abort.abort();
      if (state.retryTimer) {
        clearTimeout(state.retryTimer);
        state.retryTimer = null;
        this.deps.metrics.retrying--;
      }
    }
    this.queue.length = 0;
    await this.idle();
    await this.takingOver;
    if (this.heartbeatTimer !== null) this.timers.clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
    await this.beating;
    // Handed back with their progress, so another instance takes them over at once instead of after the lease.
    await Promise.all([...this.batches.values()].map((state) => this.handBack(state)));
    await this.deps.store.instances?.gone(this.owner).catch((error: unknown) => this.deps.log.warn({ err: error }, 'could not record that this instance stopped'));
  }

  private async handBack(state: BatchState): Promise<void> {
    try {
      if (state.lost) return;
      await this.saveProgress(state);
      await this.deps.store.inbox.release(state.batch.id, this.owner);
    } catch (error) {
      // Still stored: another instance takes it over once the lease runs out.
      this.deps.log.warn({ err: error, batchId: state.batch.id }, 'could not hand back a notification batch');
    }
  }

  /** Queues a claimed batch in order of receipt; null when this instance already holds it (its lease had run out meanwhile). */
  private adopt({ key, item }: Claimed<InboxBatch>): BatchState | null {
    if (this.batches.has(key)) return null;
    const done = new Set((item.done ?? []).filter((index) => Number.isInteger(index)));
    const state = this.hold(item, itemCount(item), done);
    this.deps.metrics.tookOver(state.items - done.size);
    const at = this.queue.findIndex((id) => {
      const queued = this.batches.get(id);
      return queued !== undefined && queued.batch.receivedAt > item.receivedAt;
    });
    if (at === -1) this.queue.push(key);
    else this.queue.splice(at, 0, key);
    this.pump();
    return state;
  }

  private enqueue(batch: InboxBatch, items: number): void {
    this.hold(batch, items, new Set());
    this.queue.push(batch.id);
    this.pump();
  }

  private hold(batch: InboxBatch, items: number, done: Set<number>): BatchState {
    this.deps.metrics.batches++;
    const state: BatchState = { batch, items, done, saved: done.size, lost: false, abort: new AbortController(), attempts: 0, unexpectedFailures: 0, retryTimer: null, completed: false };
    // The pipeline listens for the abort while it waits (listeners are removed when done).
    setMaxListeners(0, state.abort.signal);
    if (this.stopping) state.abort.abort();
    this.batches.set(batch.id, state);
    this.startHeartbeat();
    return state;
  }

  private startHeartbeat(): void {
    if (this.heartbeatTimer !== null || this.stopping) return;
    this.heartbeatTimer = this.timers.setInterval(() => void this.heartbeat(), this.lease.heartbeatMs);
  }

  /**
   * Beats, extends the lease of every batch this instance holds and records finished items in the stored batch.
   * A batch whose lease is lost (this instance stalled past it and another took the batch over) is let go.
   */
  heartbeat(): Promise<void> {
    this.beating ??= Promise.all([this.beat(), ...[...this.batches.values()].map((state) => this.keep(state))]).then(
      () => void (this.beating = null),
    );
    return this.beating;
  }

  /** Tells the other instances this one is alive (its batches are taken over once its beats stop). */
  private async beat(): Promise<void> {
    await this.deps.store.instances?.beat(this.owner, this.deps.clock()).catch((error: unknown) => this.deps.log.warn({ err: error }, 'could not record that this instance is alive'));
  }

  private async keep(state: BatchState): Promise<void> {
    const id = state.batch.id;
    try {
      const held = await this.deps.store.inbox.extend(id, { owner: this.owner, at: this.deps.clock(), leaseMs: this.lease.leaseMs });
      if (state.lost || this.batches.get(id) !== state) return;
      if (!held) return this.letGo(state);
      await this.saveProgress(state);
    } catch (error) {
      // The store is unreachable: the lease may run out, in which case the next heartbeat lets the batch go.
      this.deps.log.warn({ err: error, batchId: id }, 'could not extend the lease of a notification batch');
    }
  }

  /** Writes the finished items into the stored batch (merged with what is there: never forgets one). */
  private async saveProgress(state: BatchState): Promise<void> {
    if (state.done.size <= state.saved) return;
    const done = [...state.done];
    await this.deps.store.inbox.update(state.batch.id, (current) => current && { ...current, done: [...new Set([...(current.done ?? []), ...done])].sort((a, b) => a - b) });
    state.saved = Math.max(state.saved, done.length);
  }

  /** Another instance holds the batch now: stop it here without completing, and stop counting its items. */
  private letGo(state: BatchState): void {
    state.lost = true;
    state.abort.abort();
    this.batches.delete(state.batch.id);
    const queued = this.queue.indexOf(state.batch.id);
    if (queued !== -1) this.queue.splice(queued, 1);
    if (state.retryTimer) {
      clearTimeout(state.retryTimer);
      state.retryTimer = null;
      this.deps.metrics.retrying--;
    }
    this.deps.metrics.batches--;
    this.deps.metrics.lostLease(state.items - state.done.size);
    this.deps.log.warn({ batchId: state.batch.id, owner: this.owner }, 'lost the lease of a notification batch; another instance has taken it over');
    this.notifyIdle();
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
        signal: state.abort.signal,
        onItem: (index, outcome) => {
          state.done.add(index);
          this.deps.metrics.finished(outcome, this.deps.clock().getTime() - Date.parse(batch.receivedAt), !state.lost);
        },
        // The last chat's unit removes the batch in its own transaction, only while the lease is ours.
        completeIn: async (tx) => void (state.completed = await tx.inbox.complete(batch.id, this.owner)),
      });
      if (state.lost) return;
      await this.finish(state);
    } catch (error) {
      if (state.lost || error instanceof ProcessingStoppedError) return;
      if (error instanceof RetryLaterError) return this.retryLater(state, error.reason, error.message);
      state.unexpectedFailures++;
      this.deps.log.error({ err: error, batchId: batch.id, attempt: state.attempts }, 'processing a notification batch failed');
      if (state.unexpectedFailures >= this.retry.maxUnexpectedFailures) return this.giveUp(state, 'processingFailed');
      return this.retryLater(state, 'processingFailed', error instanceof Error ? error.message : String(error));
    }
  }

  private async finish(state: BatchState): Promise<void> {
    this.batches.delete(state.batch.id);
    this.deps.metrics.batches--;
    if (state.completed) return;
    try {
      // Only while still ours: a batch another instance took over meanwhile is that instance's to remove.
      if (!(await this.deps.store.inbox.complete(state.batch.id, this.owner))) {
        this.deps.metrics.lostLease(0);
        this.deps.log.warn({ batchId: state.batch.id, owner: this.owner }, 'finished a notification batch whose lease another instance had taken; left it to that instance');
      }
    } catch (error) {
      // Processed but still stored: its takeover after the lease meets the deduplication logs.
      this.deps.log.error({ err: error, batchId: state.batch.id }, 'could not remove a processed batch from the inbox');
    }
  }

  private async retryLater(state: BatchState, reason: DropReason, detail: string): Promise<void> {
    const age = this.deps.clock().getTime() - Date.parse(state.batch.receivedAt);
    if (age >= this.retry.giveUpAfterMs) return this.giveUp(state, reason);
    if (this.stopping || state.lost) return;
    const delay = backoffDelayMs(state.attempts, { baseMs: this.retry.initialMs, maxMs: this.retry.maxMs });
    this.deps.log.warn({ batchId: state.batch.id, reason, detail, attempt: state.attempts, retryInMs: delay }, 'notification batch will be retried');
    this.deps.metrics.retrying++;
    state.retryTimer = setTimeout(() => {
      state.retryTimer = null;
      this.deps.metrics.retrying--;
      if (state.lost) return;
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
    const unfinished = [...Array(state.items).keys()].filter((index) => !state.done.has(index));
    const catchUp = unfinished.length > 0 ? this.deps.onGivenUp?.(state.batch, unfinished, reason) : undefined;
    await catchUp?.catch((error: unknown) => this.deps.log.error({ err: error, batchId: state.batch.id }, 'could not ask for a catch-up of a batch given up'));
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
