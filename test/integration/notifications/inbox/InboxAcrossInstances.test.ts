import assert from 'node:assert/strict';
import { silentLogger } from '../../../../src/log/createLogger.js';
import { InboxProcessor, type InboxTimers } from '../../../../src/notifications/inbox/InboxProcessor.js';
import { NotificationMetrics } from '../../../../src/notifications/inbox/NotificationMetrics.js';
import { openPostgresStore, type PostgresStore } from '../../../../src/storage/postgres/PostgresStore.js';
import { inboxBody, ManualTimers, RecordingPipeline } from '../../../support/notifications/inboxDoubles.js';
import { freshSchema, waitFor, type TestSchema } from '../../../support/storage/testPostgres.js';

// Short so the tests wait for leases to run out in well under a second (production: 30 s).
const LEASE_MS = 500;
const HEARTBEAT_MS = Math.floor(LEASE_MS / 3);
const TAKEOVER_MS = 100;

/**
 * Several Herald instances on one PostgreSQL: each is its own PostgresStore on one schema with its own
 * instance id, real clocks and real timers (a dead instance: one whose heartbeat never fires again).
 */
describe('notification inbox across instances (PostgreSQL)', function () {
  this.timeout(20_000);
  let db: TestSchema;
  let pipeline: RecordingPipeline;
  const opened: Array<{ store: PostgresStore; processor: InboxProcessor }> = [];

  before(async function () {
    this.timeout(120_000); // starting an embedded server (no reachable PostgreSQL) takes a while
    db = await freshSchema('inbox');
  });
  after(async () => db?.drop());

  beforeEach(async () => {
    pipeline = new RecordingPipeline();
    const store = await openPostgresStore({ url: db.url, schema: db.schema });
    await db.admin(`DELETE FROM ${db.schema}.inbox`);
    await store.close();
  });
  afterEach(async () => {
    pipeline.releaseAll();
    for (const { store, processor } of opened.splice(0)) {
      await processor.stop();
      await store.close();
    }
  });

  /** One instance; `timers` replaces its real ones (a ManualTimers that is never fired = it stops beating). */
  const instance = async (instanceId: string, timers?: InboxTimers) => {
    const store = await openPostgresStore({ url: db.url, schema: db.schema });
    const metrics = new NotificationMetrics();
    const processor = new InboxProcessor({
      store, instanceId, pipeline, metrics, clock: () => new Date(), log: silentLogger(),
      lease: { leaseMs: LEASE_MS, heartbeatMs: HEARTBEAT_MS, takeoverEveryMs: TAKEOVER_MS }, ...(timers ? { timers } : {}),
    });
    opened.push({ store, processor });
    await processor.start();
    return { store, processor, metrics };
  };

  /** Instance a (its heartbeat fires only when the test fires `timers`) accepts a batch and stalls after its first item. */
  const stalledOnA = async (items: number) => {
    const timers = new ManualTimers();
    const a = await instance('a', timers);
    pipeline.holdAfter = 1;
    const batch = await a.processor.accept('notifications', inboxBody(items), items);
    await pipeline.whenHeld();
    return { a, timers, batch };
  };

  const storedCount = async () => Number((await db.admin(`SELECT count(*) AS n FROM ${db.schema}.inbox`)).rows[0].n);
  const handledOnce = (ids: string[], items: number) => {
    for (const id of ids) for (let i = 0; i < items; i++) assert.equal(pipeline.handled.get(`${id}#${i}`), 1, `${id}#${i}`);
  };

  it('processes every batch once, whichever of two running instances accepted it', async () => {
    const a = await instance('a');
    const b = await instance('b');
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await (i % 2 ? b : a).processor.accept('notifications', inboxBody(2), 2)).id);
    await waitFor(async () => (await storedCount()) === 0);
    await a.processor.idle();
    await b.processor.idle();
    handledOnce(ids, 2);
    assert.equal(pipeline.runs.length, 20);
    assert.deepEqual([a.metrics.snapshot().takenOver, b.metrics.snapshot().takenOver], [0, 0]);
  });

  it('never lets the other instance take a batch whose owner is alive, however long its processing takes', async () => {
    pipeline.itemMs = 400; // 3 items: 1.2 s, more than twice the lease
    const a = await instance('a');
    const b = await instance('b');
    const batch = await a.processor.accept('notifications', inboxBody(3), 3);
    await waitFor(async () => (await storedCount()) === 0);
    assert.deepEqual(pipeline.runs.map((r) => r.id), [batch.id]);
    assert.equal(pipeline.overlap.get(batch.id), 1);
    handledOnce([batch.id], 3);
    assert.deepEqual([b.metrics.snapshot().takenOver, a.metrics.snapshot().leasesLost], [0, 0]);
  });

  it('lets a live instance take over the batch of one that died mid-batch, after the lease, skipping what it recorded', async () => {
    const { a, timers: deadTimers, batch } = await stalledOnA(3);
    deadTimers.fire(HEARTBEAT_MS); // its last heartbeat: records item 0 as finished; then it dies
    await a.processor.heartbeat();
    const diedAt = Date.now();
    pipeline.holdAfter = null;

    const b = await instance('b');
    await waitFor(async () => (await storedCount()) === 0);
    const tookMs = Date.now() - diedAt;
    assert.ok(tookMs >= LEASE_MS - 50, `taken over after ${tookMs} ms, before the lease ran out`);
    assert.ok(tookMs < LEASE_MS + 5 * TAKEOVER_MS + 1_000, `taken over only after ${tookMs} ms`);
    assert.deepEqual(pipeline.runs.map((r) => r.skip), [[], [0]]);
    handledOnce([batch.id], 3);
    assert.equal(b.metrics.snapshot().takenOver, 1);
    assert.equal(b.metrics.snapshot().inbox, 0);
  });

  it('does not let the old owner complete a batch whose lease was taken over while it stalled', async () => {
    const { a, batch } = await stalledOnA(2);
    const b = await instance('b');
    await pipeline.whenHeld(2); // b took it over after the lease and stalls as well

    pipeline.releaseAll(); // a wakes first: it finishes item 1 but may not remove the batch
    await a.processor.idle();
    assert.equal(a.metrics.snapshot().leasesLost, 1);
    await b.processor.idle();
    await waitFor(async () => (await storedCount()) === 0);
    assert.equal(b.metrics.snapshot().takenOver, 1);
    assert.ok(pipeline.runs.every((r) => r.id === batch.id));
  });

  it('lets a stalled owner find at its next heartbeat that its lease is lost, and stop the batch there', async () => {
    const { a, timers: stalledTimers, batch } = await stalledOnA(2);
    await instance('b');
    await pipeline.whenHeld(2);

    stalledTimers.fire(HEARTBEAT_MS);
    await a.processor.heartbeat();
    assert.deepEqual([a.metrics.snapshot().leasesLost, a.metrics.snapshot().inbox], [1, 0]);
    pipeline.releaseAll();
    await waitFor(async () => (await storedCount()) === 0);
    // a recorded no progress before it stalled, so b handled item 0 again (the deduplication logs' part);
    // item 1 only b handled: a stopped before it.
    assert.deepEqual(pipeline.runs.map((r) => r.skip), [[], []]);
    assert.equal(pipeline.handled.get(`${batch.id}#1`), 1);
  });
});
