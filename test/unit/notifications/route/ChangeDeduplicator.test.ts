import assert from 'node:assert/strict';
import { openSqliteMemory, type SqliteStore } from '../../../../src/storage/sqlite/SqliteStore.js';
import { changeLogKey, DEDUPE_RETENTION_MS, DedupeRound, pruneChangeLogs, type ChangeReport, type DedupeVerdict } from '../../../../src/notifications/route/ChangeDeduplicator.js';

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
  let store: SqliteStore;
  beforeEach(async () => {
    store = await openSqliteMemory();
  });

  /** One unit of work deciding one report: read, decide, and (its unit committing) saved. */
  async function decideSaved(r: ChangeReport, save = true): Promise<DedupeVerdict> {
    const round = await DedupeRound.open(store.changeLogs, [changeLogKey(r.tenantId, r.resource)]);
    const verdict = round.decide(r);
    if (save) await round.save(store.changeLogs);
    return verdict;
  }
  const status = async (r: ChangeReport) => (await decideSaved(r)).status;

  it('decides the reports of one unit in order, each seeing those before it', async () => {
    const round = await DedupeRound.open(store.changeLogs, [changeLogKey('T1', 'member:19:c@thread.v2:M1')]);
    assert.equal(round.decide(report(perChat, 'created')).status, 'new');
    assert.equal(round.decide(report(tenantWide, 'created')).status, 'duplicate');
    await round.save(store.changeLogs);
    assert.equal(await status(report(tenantWide, 'created')), 'duplicate', 'saved with its unit');
  });

  it('forgets a decision whose unit was rolled back: the replay is new again, with the same changeKey', async () => {
    const first = await decideSaved(report(perChat, 'created', { occurrence: 'batch-2#0' }), false);
    const replayed = await decideSaved(report(perChat, 'created', { occurrence: 'batch-2#0' }));
    assert.ok(first.status === 'new' && replayed.status === 'new');
    assert.equal(replayed.changeKey, first.changeKey);
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
    const first = await decideSaved(report(perChat, 'created'));
    const second = await decideSaved(report(tenantWide, 'created'));
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
    const first = await decideSaved(report(perChat, 'created'));
    await decideSaved(report(perChat, 'deleted'));
    const again = await decideSaved(report(perChat, 'created'));
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

  it('keeps one entry for a chat however many updates it had: older ones come back only as stale', async () => {
    const chat = { resource: 'chat:19:c@thread.v2' };
    for (let minute = 10; minute < 40; minute++) {
      assert.equal(await status(report(perChat, 'updated', { ...chat, contentHash: `h${minute}`, stamp: `2026-06-01T12:${minute}:00Z` })), 'new');
    }
    const log = await store.changeLogs.get('t1|chat:19:c@thread.v2');
    assert.equal(Object.keys(log?.changes ?? {}).length, 1);
    assert.equal(await status(report(tenantWide, 'updated', { ...chat, contentHash: 'h12', stamp: '2026-06-01T12:12:00Z' })), 'stale');
    assert.equal(await status(report(tenantWide, 'updated', { ...chat, contentHash: 'h39', stamp: '2026-06-01T12:39:00Z' })), 'duplicate');
  });

  it('forgets changes after the retry window', async () => {
    await decideSaved(report(perChat, 'created'));
    assert.equal(await pruneChangeLogs(store.changeLogs, new Date(t0.getTime() - 1)), 0);
    assert.equal(await pruneChangeLogs(store.changeLogs, new Date(t0.getTime() + DEDUPE_RETENTION_MS)), 1);
    assert.equal(await store.changeLogs.get('t1|member:19:c@thread.v2:M1'), undefined);
    assert.equal(await status(report(tenantWide, 'created')), 'new');
  });
});
