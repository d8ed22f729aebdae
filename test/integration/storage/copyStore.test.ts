import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyChatState } from '../../../src/model/chat.js';
import { copyStore } from '../../../src/storage/copyStore.js';
import { openSqliteStore } from '../../../src/storage/sqlite/SqliteStore.js';
import { openPostgresStore } from '../../../src/storage/postgres/PostgresStore.js';
import type { Store } from '../../../src/storage/Store.js';
import { batch, entry, installation, post, subscription } from '../../support/storage/storeRecords.js';
import { freshSchema, type TestSchema } from '../../support/storage/testPostgres.js';

/** An embedded DATA_DIR with a record of every kind, closed (as after Herald stopped). */
async function fillDataDir(dir: string): Promise<void> {
  const store = await openSqliteStore(dir);
  await store.installations.put('19:one', installation('19:one', 'tenant-a'));
  await store.subscriptions.put('s1', subscription('s1', 'tenant-a', '19:one'));
  await store.subscriptions.put('s2', subscription('s2', 'tenant-a', null));
  await store.chats.put('19:one', emptyChatState('19:one', 'tenant-a'));
  await store.inbox.put('b1', batch('b1', '2026-03-01T10:00:00.000Z'));
  await store.outbox.put('p1', post('p1', '19:one', '2026-03-01T10:00:01.000Z'));
  await store.pendingSummaries.put('19:one', { chatId: '19:one', windowEndsAt: '2026-03-01T10:00:05.000Z', changes: [{ kind: 'joined', userId: 'u1' }] });
  await store.pendingCreations.put('pc1', {
    key: 'pc1', kind: 'chat', tenantId: 'tenant-a', chatId: '19:one', resource: '/chats/19:one', changeType: 'updated', clientState: 'secret',
    notificationUrl: 'https://herald.example/api/notifications', encryptionCertificateId: 'c1', encryptionCertificateThumbprint: 'AB', startedAt: '2026-03-01T10:00:00.000Z', startedBy: 'i-1',
  });
  await store.changeLogs.put('tenant-a|/chats/19:one', { key: 'tenant-a|/chats/19:one', latestStamp: null, changes: {} });
  await store.history.append(entry('19:one', 'e1', '2026-03-01T10:00:01.000Z'));
  await store.history.append(entry('19:one', 'e2', '2026-03-01T10:00:02.000Z', 'left'));
  await store.history.append(entry('19:one', 'e3', '2026-03-01T10:00:02.000Z', 'renamed'));
  // History of a chat Herald no longer has any record of is still copied.
  await store.history.append(entry('19:gone', 'g1', '2026-02-01T10:00:00.000Z', 'uninstalled'));
  await store.seen.add('seen-1', new Date('2026-03-01T09:00:00.000Z'));
  await store.close();
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') return `{${Object.keys(value).sort().map((k) => `${k}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(value);
}

async function everything(store: Store) {
  // In a stable order whatever order each backend lists in (JSONB does not keep key order either).
  const sorted = async <T>(items: Promise<T[]>) => (await items).sort((a, b) => (canonical(a) < canonical(b) ? -1 : 1));
  return {
    installations: await store.installations.get('19:one'),
    subscriptions: await sorted(store.subscriptions.all()),
    chats: await store.chats.get('19:one'),
    inbox: await store.inbox.get('b1'),
    outbox: await store.outbox.ofChat('19:one'),
    pendingSummaries: await sorted(store.pendingSummaries.all()),
    pendingCreations: await store.pendingCreations.ofTenant('tenant-a'),
    changeLogs: await store.changeLogs.get('tenant-a|/chats/19:one'),
    history: [await store.history.page('19:one'), await store.history.page('19:gone')],
    seen: await store.seen.has('seen-1'),
  };
}

describe('copying the embedded SQLite store into PostgreSQL (store:migrate)', () => {
  let dir: string;
  let db: TestSchema;
  before(async function () {
    this.timeout(120_000);
    db = await freshSchema('copy');
  });
  after(async () => db?.drop());
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'herald-copy-'));
    await fillDataDir(dir);
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('copies every record, history in the same order, and the seen keys', async () => {
    const source = await openSqliteStore(dir);
    const target = await openPostgresStore({ url: db.url, schema: db.schema });
    try {
      const report = await copyStore(source.engine, target.engine);
      assert.deepEqual(report, { installations: 1, subscriptions: 2, chats: 1, inbox: 1, outbox: 1, pending_summaries: 1, pending_creations: 1, change_logs: 1, history: 4, seen_keys: 1 });
      const copied = await everything(target);
      assert.deepEqual(copied, await everything(source));
      assert.deepEqual(copied.history[0]!.map((e) => e.id), ['e2', 'e3', 'e1']);

      // Copying again (say, after an interrupted run) changes nothing.
      await copyStore(source.engine, target.engine);
      assert.deepEqual(await everything(target), copied);
      const claimable = await target.inbox.claim({ owner: 'new-instance', at: new Date('2026-03-01T10:00:00.000Z'), leaseMs: 30_000, limit: 10 });
      assert.deepEqual(claimable.map((c) => c.key), ['b1'], 'copied work is not leased to anyone');
    } finally {
      await source.close();
      await target.close();
    }
  });
});
