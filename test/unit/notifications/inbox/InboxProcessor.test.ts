import assert from 'node:assert/strict';
import sinon from 'sinon';
import { silentLogger } from '../../../../src/log/createLogger.js';
import type { InboxBatch } from '../../../../src/model/inbox.js';
import { InboxClosedError, InboxProcessor, type BatchProcessor } from '../../../../src/notifications/inbox/InboxProcessor.js';
import { NotificationMetrics } from '../../../../src/notifications/inbox/NotificationMetrics.js';
import { ProcessingStoppedError, RetryLaterError } from '../../../../src/notifications/route/ItemOutcome.js';
import type { BatchRun } from '../../../../src/notifications/route/NotificationPipeline.js';
import { openSqliteMemory, type SqliteStore } from '../../../../src/storage/sqlite/SqliteStore.js';
import { Registry } from 'prom-client';

const body = (n: number) => ({ value: Array.from({ length: n }, (_, i) => ({ subscriptionId: `s${i}` })) });

/** A pipeline double: records what it saw, finishes items as told. */
class ScriptedPipeline implements BatchProcessor {
  seen: Array<{ id: string; skip: number[] }> = [];
  behaviour: (batch: InboxBatch, run: BatchRun, attempt: number) => Promise<void> = async (batch, run) => {
    const items = (batch.body as { value: unknown[] }).value.length;
    for (let i = 0; i < items; i++) if (!run.skip.has(i)) run.onItem(i, { status: 'emitted', event: 'change' });
  };
  async process(batch: InboxBatch, run: BatchRun): Promise<void> {
    this.seen.push({ id: batch.id, skip: [...run.skip] });
    return this.behaviour(batch, run, this.seen.filter((s) => s.id === batch.id).length);
  }
}

describe('notification inbox', () => {
  let store: SqliteStore;
  let pipeline: ScriptedPipeline;
  let metrics: NotificationMetrics;
  let now: Date;

  beforeEach(async () => {
    store = await openSqliteMemory();
    pipeline = new ScriptedPipeline();
    metrics = new NotificationMetrics();
    now = new Date('2026-06-01T12:00:00Z');
  });

  const processor = (retry = {}) => new InboxProcessor({ store: store, pipeline, metrics, clock: () => now, log: silentLogger(), retry });

  it('stores a batch before accepting it, processes it afterwards and then removes it', async () => {
    const inbox = processor();
    await inbox.start();
    const batch = await inbox.accept('notifications', body(2), 2);
    assert.ok(await store.inbox.get(batch.id), 'durable when accept resolves');
    assert.equal(metrics.snapshot().received, 2);
    await inbox.idle();
    assert.equal(await store.inbox.get(batch.id), undefined);
    assert.deepEqual(pipeline.seen.map((s) => s.id), [batch.id]);
    const health = metrics.snapshot();
    assert.deepEqual([health.received, health.processed, health.dropped, health.inbox], [2, 2, 0, 0]);
  });

  it('replays batches left in the inbox by a crash, once', async () => {
    const first = processor();
    first.pause();
    await first.start();
    const batch = await first.accept('notifications', body(1), 1);
    assert.equal(metrics.snapshot().inbox, 1);
    await first.stop(); // the process dies here: nothing was processed

    metrics = new NotificationMetrics();
    const second = processor();
    second.pause();
    await second.start();
    assert.equal(metrics.snapshot().inbox, 1, 'leftovers count as inbox');
    second.resume();
    await second.idle();
    assert.deepEqual(pipeline.seen.map((s) => s.id), [batch.id]);
    assert.equal((await store.inbox.count()), 0);
    assert.equal(metrics.snapshot().processed, 1);
  });

  it('does not process batches twice when they arrive between listen and start', async () => {
    const inbox = processor();
    const early = await inbox.accept('notifications', body(1), 1);
    await inbox.start();
    await inbox.idle();
    assert.deepEqual(pipeline.seen.map((s) => s.id), [early.id]);
  });

  it('counts drops by reason and keeps processed + dropped + inbox = received', async () => {
    pipeline.behaviour = async (_batch, run) => {
      run.onItem(0, { status: 'emitted', event: 'change' });
      run.onItem(1, { status: 'dropped', reason: 'clientStateMismatch' });
      run.onItem(2, { status: 'duplicate' });
      run.onItem(3, { status: 'ignored', reason: 'stale' });
    };
    const inbox = processor();
    await inbox.start();
    await inbox.accept('notifications', body(4), 4);
    await inbox.idle();
    const h = metrics.snapshot();
    assert.deepEqual([h.received, h.processed, h.dropped, h.inbox, h.duplicates, h.emitted], [4, 3, 1, 0, 1, 1]);
    assert.deepEqual(h.droppedByReason, { clientStateMismatch: 1 });
    assert.deepEqual(h.ignoredByReason, { stale: 1 });
    assert.equal(h.lagMs.count, 4);
    const registry = new Registry();
    metrics.expose(registry);
    assert.match(await registry.metrics(), /herald_notifications_dropped_total\{reason="clientStateMismatch"\} 1/);
  });

  describe('retries', () => {
    let clock: sinon.SinonFakeTimers;
    beforeEach(() => {
      clock = sinon.useFakeTimers({ now, toFake: ['setTimeout', 'clearTimeout'] });
    });
    afterEach(() => clock.restore());

    it('keeps a batch whose processing must wait (keys or Graph unreachable) and tries again with backoff, skipping finished items', async () => {
      pipeline.behaviour = async (_batch, run, attempt) => {
        if (!run.skip.has(0)) run.onItem(0, { status: 'emitted', event: 'change' });
        if (attempt < 3) throw new RetryLaterError('resourceUnavailable', 'Graph is down');
        run.onItem(1, { status: 'emitted', event: 'change' });
      };
      const inbox = processor({ initialMs: 1000, maxMs: 60_000 });
      await inbox.start();
      const batch = await inbox.accept('notifications', body(2), 2);
      await inbox.idle();
      assert.equal(metrics.snapshot().retrying, 1);
      assert.ok(await store.inbox.get(batch.id), 'still stored while waiting');
      await clock.tickAsync(1000);
      await inbox.idle();
      assert.equal(pipeline.seen.length, 2);
      await clock.tickAsync(1999);
      assert.equal(pipeline.seen.length, 2, 'the second retry waits twice as long');
      await clock.tickAsync(1);
      await inbox.idle();
      assert.deepEqual(pipeline.seen.map((s) => s.skip), [[], [0], [0]]);
      assert.equal(await store.inbox.get(batch.id), undefined);
      const h = metrics.snapshot();
      assert.deepEqual([h.processed, h.inbox, h.retrying], [2, 0, 0]);
    });

    it('drops what is left when the batch is older than Graph\'s own retry window', async () => {
      pipeline.behaviour = async () => {
        throw new RetryLaterError('verificationUnavailable', 'keys unreachable');
      };
      const inbox = processor({ initialMs: 1000, giveUpAfterMs: 10_000 });
      await inbox.start();
      const batch = await inbox.accept('notifications', body(3), 3);
      await inbox.idle();
      now = new Date(now.getTime() + 10_000);
      await clock.tickAsync(60_000);
      await inbox.idle();
      assert.equal(await store.inbox.get(batch.id), undefined);
      const h = metrics.snapshot();
      assert.deepEqual([h.dropped, h.inbox], [3, 0]);
      assert.deepEqual(h.droppedByReason, { verificationUnavailable: 3 });
    });

    it('asks for a catch-up of the items a batch given up left unfinished, once, before dropping it', async () => {
      pipeline.behaviour = async (_batch, run) => {
        if (!run.skip.has(0)) run.onItem(0, { status: 'emitted', event: 'change' });
        throw new RetryLaterError('resourceUnavailable', 'Graph unreachable');
      };
      const givenUp: Array<{ id: string; unfinished: readonly number[]; reason: string; stored: boolean }> = [];
      const inbox = new InboxProcessor({
        store, pipeline, metrics, clock: () => now, log: silentLogger(), retry: { initialMs: 1000, giveUpAfterMs: 10_000 },
        onGivenUp: async (batch, unfinished, reason) => void givenUp.push({ id: batch.id, unfinished, reason, stored: Boolean(await store.inbox.get(batch.id)) }),
      });
      await inbox.start();
      const batch = await inbox.accept('notifications', body(3), 3);
      await inbox.idle();
      now = new Date(now.getTime() + 10_000);
      await clock.tickAsync(60_000);
      await inbox.idle();
      assert.deepEqual(givenUp, [{ id: batch.id, unfinished: [1, 2], reason: 'resourceUnavailable', stored: true }]);
      assert.equal(await store.inbox.get(batch.id), undefined);
    });

    it('gives up on a batch that keeps failing unexpectedly', async () => {
      pipeline.behaviour = async () => {
        throw new TypeError('bug');
      };
      const inbox = processor({ initialMs: 10, maxUnexpectedFailures: 3 });
      await inbox.start();
      await inbox.accept('notifications', body(1), 1);
      for (let i = 0; i < 5; i++) {
        await inbox.idle();
        await clock.tickAsync(1000);
      }
      assert.equal(pipeline.seen.length, 3);
      assert.deepEqual(metrics.snapshot().droppedByReason, { processingFailed: 1 });
      assert.equal((await store.inbox.count()), 0);
    });
  });

  it('stops between items on shutdown, keeping the unfinished batch for the next start', async () => {
    let release!: () => void;
    const started = new Promise<void>((resolve) => {
      pipeline.behaviour = async (_batch, run) => {
        run.onItem(0, { status: 'emitted', event: 'change' });
        resolve();
        await new Promise<void>((r) => (release = r));
        if (run.signal.aborted) throw new ProcessingStoppedError();
        run.onItem(1, { status: 'emitted', event: 'change' });
      };
    });
    const inbox = processor();
    await inbox.start();
    const batch = await inbox.accept('notifications', body(2), 2);
    await started;
    const stopped = inbox.stop();
    release();
    await stopped;
    assert.ok(await store.inbox.get(batch.id));
    await assert.rejects(inbox.accept('notifications', body(1), 1), InboxClosedError);
  });
});
