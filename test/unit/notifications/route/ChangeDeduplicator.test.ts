import assert from 'node:assert/strict';
import { LowdbStore } from '../../../../src/storage/LowdbStore.js';
import { ChangeDeduplicator, DEDUPE_RETENTION_MS, type ChangeReport } from '../../../../src/notifications/route/ChangeDeduplicator.js';
import { asyncStoreFrom } from '../../../../src/storage/asyncStoreFrom.js';

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
  let store: LowdbStore;
  beforeEach(async () => {
    store = await LowdbStore.memory();
    dedupe = (await ChangeDeduplicator.load(asyncStoreFrom(store).changeLogs));
  });

  const status = (r: ChangeReport) => dedupe.decide(r).status;

  it('a duplicate\'s commit does not persist a change still being handled: a crash before it was handled replays it as new', async () => {
    const first = dedupe.decide(report(perChat, 'deleted'));
    assert.equal(first.status, 'new');
    assert.equal(status(report(tenantWide, 'deleted')), 'duplicate');
    await dedupe.commitDuplicate('T1', 'member:19:c@thread.v2:M1');
    // Crash: the first report's batch replays against what was stored.
    const replayed = (await ChangeDeduplicator.load(asyncStoreFrom(store).changeLogs));
    assert.equal(replayed.decide(report(perChat, 'deleted')).status, 'new');
  });

  it('persists the change once its own report was handled', async () => {
    const first = dedupe.decide(report(perChat, 'deleted'));
    assert.equal(first.status, 'new');
    await dedupe.commit('T1', 'member:19:c@thread.v2:M1', first.status === 'new' ? first.changeKey : undefined);
    assert.equal((await ChangeDeduplicator.load(asyncStoreFrom(store).changeLogs)).decide(report(tenantWide, 'deleted')).status, 'duplicate');
  });

  it('a chat update still being handled does not make its replay stale', async () => {
    const chat = { resource: 'chat:19:c@thread.v2', contentHash: 'h2', stamp: '2026-06-01T12:05:00Z' };
    const older = dedupe.decide(report(perChat, 'updated', { ...chat, contentHash: 'h1', stamp: '2026-06-01T12:00:00Z' }));
    await dedupe.commit('T1', chat.resource, older.status === 'new' ? older.changeKey : undefined);
    assert.equal(status(report(perChat, 'updated', chat)), 'new');
    assert.equal(status(report(tenantWide, 'updated', chat)), 'duplicate');
    await dedupe.commitDuplicate('T1', chat.resource);
    assert.equal((await ChangeDeduplicator.load(asyncStoreFrom(store).changeLogs)).decide(report(perChat, 'updated', chat)).status, 'new');
  });

  it('hands a change on once when Graph delivers it again', () => {
    assert.equal(status(report(perChat, 'created')), 'new');
    assert.equal(status(report(perChat, 'created')), 'duplicate');
  });

  it('hands a change on once when a per-chat and a tenant-wide subscription both report it', () => {
    assert.equal(status(report(perChat, 'created')), 'new');
    assert.equal(status(report(tenantWide, 'created')), 'duplicate');
  });

  it('gives duplicates the changeKey of the change they repeat', () => {
    const first = dedupe.decide(report(perChat, 'created'));
    const second = dedupe.decide(report(tenantWide, 'created'));
    assert.ok(first.status === 'new' && second.status === 'duplicate');
    assert.equal(second.changeKey, first.changeKey);
  });

  it('lets a genuine re-join after a leave through (same membership, same content)', () => {
    assert.equal(status(report(perChat, 'created')), 'new');
    assert.equal(status(report(perChat, 'deleted')), 'new');
    assert.equal(status(report(perChat, 'created')), 'new');
  });

  it('does not mistake a lagging subscription catching up for a re-join', () => {
    // per-chat reports join and leave; then the tenant-wide one reports the same join and leave.
    assert.equal(status(report(perChat, 'created')), 'new');
    assert.equal(status(report(perChat, 'deleted')), 'new');
    assert.equal(status(report(tenantWide, 'created')), 'duplicate');
    assert.equal(status(report(tenantWide, 'deleted')), 'duplicate');
    // …and a real re-join is still reported once, whichever subscription is first.
    assert.equal(status(report(tenantWide, 'created')), 'new');
    assert.equal(status(report(perChat, 'created')), 'duplicate');
  });

  it('gives a re-join a changeKey of its own', () => {
    const first = dedupe.decide(report(perChat, 'created'));
    dedupe.decide(report(perChat, 'deleted'));
    const again = dedupe.decide(report(perChat, 'created'));
    assert.ok(first.status === 'new' && again.status === 'new');
    assert.notEqual(again.changeKey, first.changeKey);
  });

  it('keeps resources and tenants apart', () => {
    assert.equal(status(report(perChat, 'created')), 'new');
    assert.equal(status(report(perChat, 'created', { resource: 'member:19:c@thread.v2:M2' })), 'new');
    assert.equal(status(report(perChat, 'created', { tenantId: 'T2' })), 'new');
    assert.equal(status(report(perChat, 'created', { tenantId: 't1' })), 'duplicate', 'tenant ids compare without case');
  });

  it('treats an older chat update arriving after a newer one as stale', () => {
    const chat = { resource: 'chat:19:c@thread.v2' };
    assert.equal(status(report(perChat, 'updated', { ...chat, contentHash: 'b', stamp: '2026-06-01T12:05:00Z' })), 'new');
    assert.equal(status(report(tenantWide, 'updated', { ...chat, contentHash: 'a', stamp: '2026-06-01T12:01:00Z' })), 'stale');
    assert.equal(status(report(tenantWide, 'updated', { ...chat, contentHash: 'b', stamp: '2026-06-01T12:05:00Z' })), 'duplicate');
    assert.equal(status(report(perChat, 'updated', { ...chat, contentHash: 'c', stamp: '2026-06-01T12:06:00Z' })), 'new');
  });

  it('remembers across a restart once committed, and re-decides uncommitted changes identically', async () => {
    const handedOn = dedupe.decide(report(perChat, 'created', { occurrence: 'batch-1#0' }));
    await dedupe.commit('T1', 'member:19:c@thread.v2:M1');
    const afterRestart = (await ChangeDeduplicator.load(asyncStoreFrom(store).changeLogs));
    assert.equal(afterRestart.decide(report(tenantWide, 'created')).status, 'duplicate');

    // Not committed (crash before the change was handed on): the replay is new again, with the same key.
    const uncommitted = dedupe.decide(report(perChat, 'created', { resource: 'member:19:c@thread.v2:M9', occurrence: 'batch-2#0' }));
    const replayed = (await ChangeDeduplicator.load(asyncStoreFrom(store).changeLogs)).decide(report(perChat, 'created', { resource: 'member:19:c@thread.v2:M9', occurrence: 'batch-2#0' }));
    assert.ok(handedOn.status === 'new' && uncommitted.status === 'new' && replayed.status === 'new');
    assert.equal(replayed.changeKey, uncommitted.changeKey);
  });

  it('forgets changes after the retry window', async () => {
    dedupe.decide(report(perChat, 'created'));
    await dedupe.commit('T1', 'member:19:c@thread.v2:M1');
    assert.equal(await dedupe.prune(new Date(t0.getTime() - 1)), 0);
    assert.equal(await dedupe.prune(new Date(t0.getTime() + DEDUPE_RETENTION_MS)), 1);
    assert.equal(store.changeLogs.list().length, 0);
    assert.equal(status(report(tenantWide, 'created')), 'new');
  });
});
