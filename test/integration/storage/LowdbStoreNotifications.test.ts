import assert from 'node:assert/strict';
import { appendFile, cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JournalFile } from '../../../src/storage/JournalFile.js';
import { LowdbStore } from '../../../src/storage/LowdbStore.js';
import type { ResourceChangeLog } from '../../../src/storage/HeraldStore.js';

type StoreAdapter = Parameters<typeof LowdbStore.open>[0];
type StoreDocument = Parameters<StoreAdapter['write']>[0];

/** An in-memory adapter whose first write waits until the test releases it. */
function gatedAdapter() {
  const writes: string[] = [];
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const adapter: StoreAdapter = {
    read: async () => null,
    write: async (data: StoreDocument) => {
      if (writes.length === 0) await gate;
      writes.push(JSON.stringify(data));
    },
  };
  return { adapter, writes, release: () => release() };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

const log = (key: string): ResourceChangeLog => ({
  key,
  latestStamp: null,
  changes: { 'created|': { changeKey: `${key}|created||o1`, at: '2026-06-01T00:00:00.000Z', reporters: ['s1'], superseded: false } },
});

describe('lowdb store: notification bookkeeping', () => {
  it('keeps change logs across a reopen', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'herald-store-'));
    try {
      const store = await LowdbStore.openFile(dir);
      await store.changeLogs.put('t|member:c:m', log('t|member:c:m'));
      await store.close();
      const again = await LowdbStore.openFile(dir);
      assert.deepEqual(again.changeLogs.get('t|member:c:m'), log('t|member:c:m'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('opens files written before change logs existed', async () => {
    const gated = gatedAdapter();
    gated.adapter.read = async () => ({ version: 1, installations: {}, subscriptions: {}, chats: {}, inbox: {}, outbox: {}, pendingSummaries: {}, history: {}, seen: {} }) as unknown as StoreDocument;
    const store = await LowdbStore.open(gated.adapter);
    assert.deepEqual(store.changeLogs.list(), []);
  });

  it('groups mutations made while a write is running into the next single write (group commit)', async () => {
    const gated = gatedAdapter();
    const store = await LowdbStore.open(gated.adapter);
    const first = store.inbox.put('b0', { id: 'b0', route: 'notifications', receivedAt: 'x', body: { value: [] } });
    await tick(); // the first write has started and is waiting at the gate
    const later: Promise<void>[] = [];
    for (let i = 1; i <= 5; i++) {
      later.push(store.inbox.put(`b${i}`, { id: `b${i}`, route: 'notifications', receivedAt: 'x', body: { value: [] } }));
      await tick();
    }
    gated.release();
    await first;
    await Promise.all(later);
    assert.equal(store.writes, 2, 'five mutations in five ticks shared one write');
    const last = JSON.parse(gated.writes.at(-1) ?? '{}') as { inbox: Record<string, unknown> };
    assert.equal(Object.keys(last.inbox).length, 6);
  });
});

describe('lowdb store: the notifications journal (inbox and change logs)', () => {
  let dir: string;
  // Tests that play a crash leave their store open on purpose; it is closed once the test is over, so
  // no file handle is left for the garbage collector to close (DEP0137).
  let opened: LowdbStore[] = [];
  const openStore = async (path: string) => {
    const store = await LowdbStore.openFile(path);
    opened.push(store);
    return store;
  };
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'herald-journal-'));
  });
  afterEach(async () => {
    await Promise.allSettled(opened.map((store) => store.close()));
    opened = [];
    await rm(dir, { recursive: true, force: true });
  });

  const batch = (id: string) => ({ id, route: 'notifications' as const, receivedAt: '2026-06-01T00:00:00.000Z', body: { value: [{ n: id }] } });

  it('has an inbox batch on disk when put resolves (seen by a second process opening the directory)', async () => {
    const store = await openStore(dir);
    await store.inbox.put('b1', batch('b1'));
    const other = await openStore(dir);
    assert.deepEqual(other.inbox.get('b1'), batch('b1'));
  });

  /** What a fresh start would see now (a copy, so opening it does not disturb the running store). */
  async function afterCrash(): Promise<{ inbox: string[]; changeLogs: string[] }> {
    const copy = await mkdtemp(join(tmpdir(), 'herald-journal-copy-'));
    try {
      await cp(dir, copy, { recursive: true });
      const store = await LowdbStore.openFile(copy);
      try {
        return { inbox: store.inbox.list().map((b) => b.id), changeLogs: store.changeLogs.list().map((l) => l.key) };
      } finally {
        await store.close();
      }
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  }

  it('writes inbox removals with the next flush rather than forcing one (a lost removal only replays the batch)', async () => {
    const store = await openStore(dir);
    await store.inbox.put('b1', batch('b1'));
    await store.inbox.delete('b1');
    assert.equal(store.inbox.get('b1'), undefined);
    assert.deepEqual((await afterCrash()).inbox, ['b1'], 'not on disk yet: a crash now brings it back');
    await store.inbox.put('b2', batch('b2'));
    assert.deepEqual((await afterCrash()).inbox, ['b2'], 'written along with the next put');
    await store.inbox.delete('b2');
    await store.close();
    assert.deepEqual((await afterCrash()).inbox, [], 'and by close');
  });

  it('never lets an inbox removal reach the disk before the change logs written ahead of it', async () => {
    const store = await openStore(dir);
    await store.inbox.put('b1', batch('b1'));
    await store.changeLogs.put('k', log('k')); // lazy: resolves at once
    await store.inbox.delete('b1'); // lazy too
    assert.deepEqual(await afterCrash(), { inbox: ['b1'], changeLogs: [] }, 'a crash now replays the batch');
    await store.inbox.put('b2', batch('b2'));
    assert.deepEqual(await afterCrash(), { inbox: ['b2'], changeLogs: ['k'] }, 'one flush writes both, in order');
  });

  it('writes lazy mutations within a second even when nothing else is written', async () => {
    const store = await openStore(dir);
    await store.changeLogs.put('k', log('k'));
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.deepEqual((await afterCrash()).changeLogs, ['k']);
    await store.close();
  });

  it('keeps the journals out of herald.json, so a notification does not rewrite the document', async () => {
    const store = await openStore(dir);
    const before = store.writes;
    await store.inbox.put('b1', batch('b1'));
    await store.changeLogs.put('k', log('k'));
    assert.equal(store.writes, before);
    await store.flush();
    assert.deepEqual((await readdir(dir)).sort(), ['notifications.jsonl']);
  });

  it('ignores a line torn by a crash mid-append', async () => {
    const store = await openStore(dir);
    await store.inbox.put('b1', batch('b1'));
    await store.close();
    await appendFile(join(dir, 'notifications.jsonl'), '{"c":"inbox","k":"b2","v":{"id":"b2","rou');
    const again = await openStore(dir);
    assert.deepEqual(again.inbox.list().map((b) => b.id), ['b1']);
  });

  it('rewrites a journal that is mostly deleted records when it opens', async () => {
    const store = await openStore(dir);
    for (let i = 0; i < 20; i++) await store.inbox.put(`b${i}`, batch(`b${i}`));
    for (let i = 0; i < 19; i++) await store.inbox.delete(`b${i}`);
    await store.close();
    const lines = async () => (await readFile(join(dir, 'notifications.jsonl'), 'utf8')).split('\n').filter(Boolean).length;
    assert.equal(await lines(), 39);
    const again = await openStore(dir);
    assert.deepEqual(again.inbox.list().map((b) => b.id), ['b19']);
    assert.equal(await lines(), 1);
  });

  it('groups appends made in one tick into one fsynced write', async () => {
    const journal = await JournalFile.open(join(dir, 'logs.jsonl'));
    const logs = journal.collection<ResourceChangeLog>('logs');
    await Promise.all(Array.from({ length: 50 }, (_, i) => logs.put(`k${i}`, log(`k${i}`))));
    assert.equal(journal.flushes, 1);
    await journal.close();
    const again = await JournalFile.open(join(dir, 'logs.jsonl'));
    assert.equal(again.collection<ResourceChangeLog>('logs').list().length, 50);
  });

  it('moves inbox batches and change logs an older version kept in herald.json into the journals', async () => {
    await writeFile(
      join(dir, 'herald.json'),
      JSON.stringify({ version: 1, installations: {}, subscriptions: {}, chats: {}, inbox: { b1: batch('b1') }, outbox: {}, pendingSummaries: {}, history: {}, seen: {}, changeLogs: { k: log('k') } }),
    );
    const store = await openStore(dir);
    assert.deepEqual(store.inbox.get('b1'), batch('b1'));
    await store.close();
    const onDisk = JSON.parse(await readFile(join(dir, 'herald.json'), 'utf8')) as { inbox: object; changeLogs: object };
    assert.deepEqual([onDisk.inbox, onDisk.changeLogs], [{}, {}]);
    const again = await openStore(dir);
    assert.deepEqual(again.inbox.get('b1'), batch('b1'));
    assert.deepEqual(again.changeLogs.get('k'), log('k'));
  });
});
