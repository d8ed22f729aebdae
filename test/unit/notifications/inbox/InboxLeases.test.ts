import assert from 'node:assert/strict';
import { silentLogger } from '../../../../src/log/createLogger.js';
import type { InboxBatch } from '../../../../src/model/inbox.js';
import { InboxProcessor } from '../../../../src/notifications/inbox/InboxProcessor.js';
import { NotificationMetrics } from '../../../../src/notifications/inbox/NotificationMetrics.js';
import { openSqliteMemory, type SqliteStore } from '../../../../src/storage/sqlite/SqliteStore.js';
import { inboxBody, ManualTimers, RecordingPipeline } from '../../../support/notifications/inboxDoubles.js';

const LEASE_MS = 30_000;
const HEARTBEAT_MS = 10_000;
const TAKEOVER_MS = 5_000;

/**
 * Two instances in one process over one embedded store (its leases are shared in memory), each with
 * timers that fire only when the test says so and one clock the test moves.
 */
describe('notification inbox: leases, heartbeat and takeover', () => {
  let store: SqliteStore;
  let pipeline: RecordingPipeline;
  let now: Date;
  const advance = (ms: number) => (now = new Date(now.getTime() + ms));

  beforeEach(async () => {
    store = await openSqliteMemory();
    pipeline = new RecordingPipeline();
    now = new Date('2026-06-01T12:00:00Z');
  });

  const instance = (instanceId: string, options: { concurrency?: number } = {}) => {
    const timers = new ManualTimers();
    const metrics = new NotificationMetrics();
    const processor = new InboxProcessor({
      store: store, instanceId, pipeline, metrics, clock: () => now, log: silentLogger(), timers,
      lease: { leaseMs: LEASE_MS, takeoverEveryMs: TAKEOVER_MS }, concurrency: options.concurrency,
    });
    return { processor, timers, metrics };
  };

  const stored = (batch: InboxBatch) => store.inbox.get(batch.id);

  /** Instance a accepts a batch of `items` and stalls after finishing `holdAfter` of them; b is idle. */
  const heldByA = async (items: number, holdAfter: number) => {
    pipeline.holdAfter = holdAfter;
    const a = instance('a');
    const b = instance('b');
    await a.processor.start();
    const batch = await a.processor.accept('notifications', inboxBody(items), items);
    await pipeline.whenHeld();
    return { a, b, batch };
  };

  it('beats every third of the lease and looks for abandoned batches every takeover period, until stopped', async () => {
    const a = instance('a');
    await a.processor.start();
    assert.deepEqual(a.timers.periods, [TAKEOVER_MS, HEARTBEAT_MS]);
    await a.processor.stop();
    assert.deepEqual(a.timers.periods, []);
  });

  it('keeps a batch with the instance that accepted it while its heartbeat extends the lease', async () => {
    const { a, b, batch } = await heldByA(1, 0);
    await b.processor.start();
    advance(LEASE_MS - 1);
    a.timers.fire(HEARTBEAT_MS);
    await a.processor.heartbeat();
    advance(LEASE_MS - 1);
    await b.processor.takeOver();
    assert.equal(b.metrics.snapshot().takenOver, 0, 'the lease was extended');
    pipeline.releaseAll();
    await a.processor.idle();
    assert.equal(await stored(batch), undefined);
    assert.deepEqual(pipeline.runs.map((r) => r.id), [batch.id]);
  });

  it('lets another instance take a batch over once its owner stopped beating (died), skipping the items recorded as finished', async () => {
    const { a, b, batch } = await heldByA(3, 2);
    a.timers.fire(HEARTBEAT_MS); // the last beat before it dies: records items 0 and 1
    await a.processor.heartbeat();
    assert.deepEqual((await stored(batch))?.done, [0, 1]);

    advance(LEASE_MS - 1);
    await b.processor.start();
    assert.equal(b.metrics.snapshot().takenOver, 0, 'not before the lease ran out');
    advance(1);
    pipeline.holdAfter = null;
    b.timers.fire(TAKEOVER_MS);
    await b.processor.takeOver();
    await b.processor.idle();

    assert.deepEqual(pipeline.runs.map((r) => r.skip), [[], [0, 1]]);
    assert.equal(pipeline.handled.get(`${batch.id}#2`), 1);
    assert.equal(await stored(batch), undefined);
    const health = b.metrics.snapshot();
    assert.deepEqual([health.takenOver, health.inbox, health.processed], [1, 0, 1]);
  });

  it('stops a batch whose lease was lost at the next heartbeat and never completes it', async () => {
    const { a, b, batch } = await heldByA(2, 1);
    advance(LEASE_MS); // a stalled past its lease
    await b.processor.start(); // b holds the batch now, and stalls too
    await pipeline.whenHeld(2);

    a.timers.fire(HEARTBEAT_MS);
    await a.processor.heartbeat();
    const health = a.metrics.snapshot();
    assert.deepEqual([health.leasesLost, health.batches, health.inbox], [1, 0, 0]);

    pipeline.releaseAll();
    await a.processor.idle();
    await b.processor.idle();
    assert.equal(pipeline.handled.get(`${batch.id}#1`), 1, 'the old owner stopped before the item');
    assert.equal(await stored(batch), undefined, 'completed by the new owner');
    assert.deepEqual([b.metrics.snapshot().takenOver, b.metrics.snapshot().leasesLost], [1, 0]);
  });

  it('does not count items a let-go batch still finished against the items it holds', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const a = instance('a');
    const b = instance('b');
    a.processor = new InboxProcessor({
      store: store, instanceId: 'a', metrics: a.metrics, clock: () => now, log: silentLogger(), timers: a.timers,
      lease: { leaseMs: LEASE_MS },
      // Finishes its items after the gate whatever the abort signal says (an item already under way).
      pipeline: { process: async (_batch, run) => { await gate; run.onItem(0, { status: 'emitted', event: 'change' }); run.onItem(1, { status: 'emitted', event: 'change' }); } },
    });
    await a.processor.start();
    await a.processor.accept('notifications', inboxBody(2), 2);
    a.processor.pause();
    advance(LEASE_MS / 2);
    await a.processor.accept('notifications', inboxBody(1), 1); // queued, its lease younger
    advance(LEASE_MS / 2);
    b.processor.pause();
    await b.processor.start(); // takes the first batch only
    a.timers.fire(HEARTBEAT_MS);
    await a.processor.heartbeat();
    assert.equal(a.metrics.snapshot().inbox, 1);
    open();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual([a.metrics.snapshot().inbox, a.metrics.snapshot().processed, a.metrics.snapshot().leasesLost], [1, 2, 1]);
  });

  it('leaves a batch it finished after losing the lease to the instance that took it over', async () => {
    const { a, b, batch } = await heldByA(2, 1);
    advance(LEASE_MS);
    b.processor.pause();
    await b.processor.start(); // claimed, not started yet
    pipeline.releaseAll();
    await a.processor.idle();
    assert.ok(await stored(batch), 'the old owner could not complete it');
    assert.equal(a.metrics.snapshot().leasesLost, 1);
    b.processor.resume();
    await b.processor.idle();
    assert.equal(await stored(batch), undefined);
  });

  it('hands its batches back when stopped, so another instance takes them at once', async () => {
    const { a, b, batch } = await heldByA(2, 1);
    const stopped = a.processor.stop();
    pipeline.releaseAll();
    await stopped;
    assert.deepEqual((await stored(batch))?.done, [0], 'with its progress');
    await b.processor.start();
    await b.processor.idle();
    assert.deepEqual(pipeline.runs.map((r) => r.skip), [[], [0]]);
    assert.equal(await stored(batch), undefined);
  });

  it('processes taken-over batches oldest first', async () => {
    for (const [id, minutes] of [['late', 3], ['early', 1], ['middle', 2]] as const) {
      const receivedAt = new Date(now.getTime() - (10 - minutes) * 60_000).toISOString();
      await store.inbox.put(id, { id, route: 'notifications', receivedAt, body: inboxBody(1) });
    }
    const b = instance('b', { concurrency: 1 });
    await b.processor.start();
    await b.processor.idle();
    assert.deepEqual(pipeline.runs.map((r) => r.id), ['early', 'middle', 'late']);
    assert.equal(b.metrics.snapshot().takenOver, 3);
  });

  describe('instances that beat', () => {
    const HEARTBEAT = 2_000;
    const beating = (instanceId: string) => {
      const timers = new ManualTimers();
      const metrics = new NotificationMetrics();
      const processor = new InboxProcessor({
        store, instanceId, pipeline, metrics, clock: () => now, log: silentLogger(), timers,
        lease: { leaseMs: LEASE_MS, heartbeatMs: HEARTBEAT, takeoverEveryMs: HEARTBEAT },
      });
      return { processor, timers, metrics };
    };
    /** Their heartbeat timers fire (living instances): they beat, and look for abandoned batches. */
    const beat = async (...instances: Array<ReturnType<typeof beating>>) => {
      for (const { processor, timers } of instances) {
        timers.fire(HEARTBEAT);
        await processor.heartbeat();
        await processor.takeOver();
      }
    };

    /** a and b started; a accepted a batch and is processing it (held). */
    const bothStartedAHolding = async () => {
      pipeline.holdAfter = 0;
      const a = beating('a');
      const b = beating('b');
      await a.processor.start();
      await b.processor.start();
      const batch = await a.processor.accept('notifications', inboxBody(1), 1);
      await pipeline.whenHeld();
      return { a, b, batch };
    };

    it('takes over the batches of an instance dropped without stopping once it missed three beats, long before its lease runs out', async () => {
      const { a, b, batch } = await bothStartedAHolding();
      // a is dropped here: its timers never fire again. b beats and looks every heartbeat.
      for (let beats = 1; beats <= 3; beats++) {
        advance(HEARTBEAT);
        await beat(b);
        assert.equal(b.metrics.snapshot().takenOver, 0, `a is not stale after ${beats} missed beats`);
      }
      advance(1);
      pipeline.holdAfter = null;
      await b.processor.takeOver();
      await b.processor.idle();
      assert.equal(b.metrics.snapshot().takenOver, 1, `taken over ${3 * HEARTBEAT + 1} ms after a's last beat; its lease runs ${LEASE_MS} ms`);
      assert.equal(pipeline.handled.get(`${batch.id}#0`), 1);
      assert.equal(await stored(batch), undefined);
      // What a dropped instance would have done next does not matter; let its held run end.
      pipeline.releaseAll();
      await a.processor.idle();
    });

    it('leaves the batches of an instance that keeps beating with it, however long they take', async () => {
      const { a, b, batch } = await bothStartedAHolding();
      for (let beats = 0; beats < 30; beats++) {
        advance(HEARTBEAT);
        await beat(a, b);
      }
      assert.equal(b.metrics.snapshot().takenOver, 0);
      pipeline.releaseAll();
      await a.processor.idle();
      assert.equal(await stored(batch), undefined);
      await Promise.all([a.processor.stop(), b.processor.stop()]);
    });

    it('forgets an instance that stopped cleanly', async () => {
      const a = beating('a');
      await a.processor.start();
      advance(60_000);
      assert.deepEqual(await store.instances.stale(now), ['a']);
      await a.processor.stop();
      assert.deepEqual(await store.instances.stale(now), []);
    });

    it('beats and looks for abandoned batches every 2 s by default on a store several instances share', async () => {
      const timers = new ManualTimers();
      const shared = { inbox: store.inbox, instances: store.instances, kind: 'postgres' as const };
      const processor = new InboxProcessor({ store: shared, instanceId: 'a', pipeline, metrics: new NotificationMetrics(), clock: () => now, log: silentLogger(), timers });
      await processor.start();
      assert.deepEqual(timers.periods, [2_000, 2_000]);
      await processor.stop();
    });
  });
});
