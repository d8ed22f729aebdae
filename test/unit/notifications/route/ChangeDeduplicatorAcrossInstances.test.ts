import assert from 'node:assert/strict';
import { ChangeDeduplicator, mergeLogs, type ChangeReport } from '../../../../src/notifications/route/ChangeDeduplicator.js';
import type { ResourceChangeLog } from '../../../../src/storage/records.js';
import { openSqliteMemory, type SqliteStore } from '../../../../src/storage/sqlite/SqliteStore.js';

const member = 'member:19:c@thread.v2:M1';
const t0 = new Date('2026-06-01T12:00:00Z');
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);

const report = (subscriptionId: string, changeType: string, extra: Partial<ChangeReport> = {}): ChangeReport => ({
  tenantId: 'T1', resource: member, changeType, contentHash: '', subscriptionId, stamp: null, occurrence: `${subscriptionId}-${changeType}`, at: t0, ...extra,
});

/** Two instances' deduplicators over one store, each loaded before the other did anything. */
describe('change deduplication across instances', () => {
  let store: SqliteStore;
  let a: ChangeDeduplicator;
  let b: ChangeDeduplicator;
  beforeEach(async () => {
    store = await openSqliteMemory();
    a = new ChangeDeduplicator(store.changeLogs);
    b = new ChangeDeduplicator(store.changeLogs);
  });

  const handOn = async (dedupe: ChangeDeduplicator, r: ChangeReport) => {
    const verdict = await dedupe.decide(r);
    if (verdict.status === 'new') await dedupe.commit(r.tenantId, r.resource, verdict.changeKey);
    return verdict;
  };

  it('calls a change another instance handed on a duplicate once it refreshed the resource, with that change\'s key', async () => {
    const first = await handOn(a, report('per-chat', 'created'));
    const second = await handOn(b, report('tenant-wide', 'created'));
    assert.equal(second.status, 'duplicate');
    assert.ok(first.status === 'new' && second.status === 'duplicate' && second.changeKey === first.changeKey);
  });

  it('keeps the other instance\'s changes of a resource when committing its own', async () => {
    await handOn(a, report('per-chat', 'created', { at: at(0) }));
    await b.decide(report('per-chat', 'deleted', { at: at(1) })); // b did not refresh: it never heard of the join
    await b.commit('T1', member);
    const stored = await store.changeLogs.get(`t1|${member}`);
    assert.deepEqual(Object.keys(stored?.changes ?? {}).sort(), ['created|', 'deleted|']);
    assert.equal(stored?.changes['created|']?.superseded, true, 'the leave came after the join');
    assert.equal(stored?.changes['deleted|']?.superseded, false);
  });

  it('lets a re-join through on another instance (the same subscription reporting a superseded change again)', async () => {
    await handOn(a, report('per-chat', 'created', { at: at(0), occurrence: 'join-1' }));
    await handOn(a, report('per-chat', 'deleted', { at: at(1) }));
    const rejoin = await handOn(b, report('per-chat', 'created', { at: at(2), occurrence: 'join-2' }));
    assert.equal(rejoin.status, 'new');
    assert.equal((await handOn(a, report('tenant-wide', 'created', { at: at(3) }))).status, 'duplicate');
  });

  it('prunes only its own old changes, keeping another instance\'s recent ones', async () => {
    await handOn(a, report('per-chat', 'created', { at: at(0) }));
    await handOn(b, report('per-chat', 'deleted', { at: at(60) }));
    await a.prune(at(30));
    assert.deepEqual(Object.keys((await store.changeLogs.get(`t1|${member}`))?.changes ?? {}), ['deleted|']);
  });

  it('merges one change known to both sides into one, with every reporter', async () => {
    const change = { changeKey: 'k1', at: t0.toISOString(), superseded: false };
    const theirs: ResourceChangeLog = { key: 'r', latestStamp: '2026-06-01T12:00:00Z', changes: { 'c|': { ...change, reporters: ['s1'] } } };
    const mine: ResourceChangeLog = { key: 'r', latestStamp: null, changes: { 'c|': { ...change, reporters: ['s2'] } } };
    const merged = mergeLogs(theirs, mine);
    assert.deepEqual(merged.changes['c|']?.reporters, ['s2', 's1']);
    assert.equal(merged.latestStamp, '2026-06-01T12:00:00Z');
  });
});
