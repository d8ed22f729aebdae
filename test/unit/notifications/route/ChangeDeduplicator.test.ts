import assert from 'node:assert/strict';
import { openSqliteMemory, type SqliteStore } from '../../../../src/storage/sqlite/SqliteStore.js';
import { ChangeDeduplicator, DEDUPE_RETENTION_MS, type ChangeReport } from '../../../../src/notifications/route/ChangeDeduplicator.js';

const perChat = 'sub-per-chat';
const tenantWide = 'sub-tenant-wide';
let occurrence = 0;
const t0 = new Date('2026-06-01T12:00:00Z');

function report(subscriptionId: string, changeType: string, extra: Partial<ChangeReport> = {}): ChangeReport {
  return {
    tenantId: 'T1',
    resource: 'member:19:c@thread.v2:M1',
    changeType,
    contentHash: '',
    subscriptionId,
    stamp: null,
    occurrence: `o${++occurrence}`,
    at: t0,
    ...extra,
  };
}

describe('change deduplication', () => {
  let dedupe: ChangeDeduplicator;
  let store: SqliteStore;
  beforeEach(async () => {
    store = await openSqliteMemory();
    dedupe = new ChangeDeduplicator(store.changeLogs);
  });

  const status = async (r: ChangeReport) => ((await dedupe.decide(r))).status;

  it('a duplicate\'s commit does not persist a change still being handled: a crash before it was handled replays it as new', async () => {
    const first = await dedupe.decide(report(perChat, 'deleted'));
    assert.equal(first.status, 'new');
    assert.equal(await status(report(tenantWide, 'deleted')), 'duplicate');
    await dedupe.commitDuplicate('T1', 'member:19:c@thread.v2:M1');
    // Crash: the first report's batch replays against what was stored.
    const replayed = new ChangeDeduplicator(store.changeLogs);
    assert.equal((await replayed.decide(report(perChat, 'deleted'))).status, 'new');
  });

  it('persists the change once its own report was handled', async () => {
    const first = await dedupe.decide(report(perChat, 'deleted'));
    assert.equal(first.status, 'new');
    await dedupe.commit('T1', 'member:19:c@thread.v2:M1', first.status === 'new' ? first.changeKey : undefined);
    assert.equal((await new ChangeDeduplicator(store.changeLogs).decide(report(tenantWide, 'deleted'))).status, 'duplicate');
  });

  it('a chat update still being handled does not make its replay stale', async () => {
    const chat = { resource: 'chat:19:c@thread.v2', contentHash: 'h2', stamp: '2026-06-01T12:05:00Z' };
    const older = await dedupe.decide(report(perChat, 'updated', { ...chat, contentHash: 'h1', stamp: '2026-06-01T12:00:00Z' }));
    await dedupe.commit('T1', chat.resource, older.status === 'new' ? older.changeKey : undefined);
    assert.equal(await status(report(perChat, 'updated', chat)), 'new');
    assert.equal(await status(report(tenantWide, 'updated', chat)), 'duplicate');
    await dedupe.commitDuplicate('T1', chat.resource);
    assert.equal((await new ChangeDeduplicator(store.changeLogs).decide(report(perChat, 'updated', chat))).status, 'new');
  });

  it('hands a change on once when Graph delivers it again', async () => {
    assert.equal(await status(report(perChat, 'created')), 'new');
    assert.equal(await status(report(perChat, 'created')), 'duplicate');
  });

  it('hands a change on once when a per-chat and a tenant-wide subscription both report it', async () => {
    assert.equal(await status(report(perChat, 'created')), 'new');
    assert.equal(await status(report(tenantWide, 'created')), 'duplicate');
  });

  it('gives duplicates the changeKey of the change they repeat', async () => {
    const first = await dedupe.decide(report(perChat, 'created'));
    const second = await dedupe.decide(report(tenantWide, 'created'));
    assert.ok(first.status === 'new' && second.status === 'duplicate');
    assert.equal(second.changeKey, first.changeKey);
  });

  it('lets a genuine re-join after a leave through (same membership, same content)', async () => {
    assert.equal(await status(report(perChat, 'created')), 'new');
    assert.equal(await status(report(perChat, 'deleted')), 'new');
    assert.equal(await status(report(perChat, 'created')), 'new');
  });

  it('does not mistake a lagging subscription catching up for a re-join', async () => {
    // per-chat reports join and leave; then the tenant-wide one reports the same join and leave.
    assert.equal(await status(report(perChat, 'created')), 'new');
    assert.equal(await status(report(perChat, 'deleted')), 'new');
    assert.equal(await status(report(tenantWide, 'created')), 'duplicate');
    assert.equal(await status(report(tenantWide, 'deleted')), 'duplicate');
    // …and a real re-join is still reported once, whichever subscription is first.
    assert.equal(await status(report(tenantWide, 'created')), 'new');
    assert.equal(await status(report(perChat, 'created')), 'duplicate');
  });

  it('gives a re-join a changeKey of its own', async () => {
    const first = await dedupe.decide(report(perChat, 'created'));
    await dedupe.decide(report(perChat, 'deleted'));
    const again = await dedupe.decide(report(perChat, 'created'));
    assert.ok(first.status === 'new' && again.status === 'new');
    assert.notEqual(again.changeKey, first.changeKey);
  });

  it('keeps resources and tenants apart', async () => {
    assert.equal(await status(report(perChat, 'created')), 'new');
    assert.equal(await status(report(perChat, 'created', { resource: 'member:19:c@thread.v2:M2' })), 'new');
    assert.equal(await status(report(perChat, 'created', { tenantId: 'T2' })), 'new');
    assert.equal(await status(report(perChat, 'created', { tenantId: 't1' })), 'duplicate', 'tenant ids compare without case');
  });

  it('treats an older chat update arriving after a newer one as stale', async () => {
    const chat = { resource: 'chat:19:c@thread.v2' };
    assert.equal(await status(report(perChat, 'updated', { ...chat, contentHash: 'b', stamp: '2026-06-01T12:05:00Z' })), 'new');
    assert.equal(await status(report(tenantWide, 'updated', { ...chat, contentHash: 'a', stamp: '2026-06-01T12:01:00Z' })), 'stale');
    assert.equal(await status(report(tenantWide, 'updated', { ...chat, contentHash: 'b', stamp: '2026-06-01T12:05:00Z' })), 'duplicate');
    assert.equal(await status(report(perChat, 'updated', { ...chat, contentHash: 'c', stamp: '2026-06-01T12:06:00Z' })), 'new');
  });

  it('remembers across a restart once committed, and re-decides uncommitted changes identically', async () => {
    const handedOn = await dedupe.decide(report(perChat, 'created', { occurrence: 'batch-1#0' }));
    await dedupe.commit('T1', 'member:19:c@thread.v2:M1');
    const afterRestart = new ChangeDeduplicator(store.changeLogs);
    assert.equal((await afterRestart.decide(report(tenantWide, 'created'))).status, 'duplicate');

    // Not committed (crash before the change was handed on): the replay is new again, with the same key.
    const uncommitted = await dedupe.decide(report(perChat, 'created', { resource: 'member:19:c@thread.v2:M9', occurrence: 'batch-2#0' }));
    const replayed = await new ChangeDeduplicator(store.changeLogs).decide(report(perChat, 'created', { resource: 'member:19:c@thread.v2:M9', occurrence: 'batch-2#0' }));
    assert.ok(handedOn.status === 'new' && uncommitted.status === 'new' && replayed.status === 'new');
    assert.equal(replayed.changeKey, uncommitted.changeKey);
  });

  it('forgets changes after the retry window', async () => {
    await dedupe.decide(report(perChat, 'created'));
    await dedupe.commit('T1', 'member:19:c@thread.v2:M1');
    assert.equal(await dedupe.prune(new Date(t0.getTime() - 1)), 0);
    assert.equal(await dedupe.prune(new Date(t0.getTime() + DEDUPE_RETENTION_MS)), 1);
    assert.equal(await store.changeLogs.get('t1|member:19:c@thread.v2:M1'), undefined);
    assert.equal(await status(report(tenantWide, 'created')), 'new');
  });
});
