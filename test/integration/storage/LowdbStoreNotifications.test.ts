import assert from 'node:assert/strict';
import { appendFile, cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppendLog } from '../../../src/storage/log/AppendLog.js';
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

  /** The newest journal segment (where the store appends now). */
  const lastSegment = async () => join(dir, 'store', (await readdir(join(dir, 'store'))).filter((n) => n.startsWith('journal-')).sort().at(-1) ?? 'none');

  it('costs a notification a few appended lines, however much the store holds', async () => {
    const store = await openStore(dir);
    const appended = async () => {
      await store.flush();
      const before = (await stat(await lastSegment())).size;
      await store.inbox.put('b', batch('b'));
      await store.changeLogs.put('k', log('k'));
      await store.inbox.delete('b');
      await store.flush();
      return (await stat(await lastSegment())).size - before;
    };
    await store.inbox.put('first', batch('first'));
    const small = await appended();
    await Promise.all(Array.from({ length: 2000 }, (_, i) => store.changeLogs.put(`k${i}`, log(`k${i}`))));
    assert.equal(await appended(), small, 'the same bytes with 2,000 more records stored');
    assert.ok(small < 1024, `${small} bytes`);
  });

  it('ignores a line torn by a crash mid-append', async () => {
    const store = await openStore(dir);
    await store.inbox.put('b1', batch('b1'));
    await store.close();
    await appendFile(await lastSegment(), '{"c":"inbox","k":"b2","v":{"id":"b2","rou');
    const again = await openStore(dir);
    assert.deepEqual(again.inbox.list().map((b) => b.id), ['b1']);
    await again.inbox.put('b3', batch('b3'));
    await again.close();
    const third = await openStore(dir);
    assert.deepEqual(third.inbox.list().map((b) => b.id).sort(), ['b1', 'b3'], 'writes after the restart go to a new segment, so the torn line stays a last line');
  });

  it('groups appends made in one tick into one fsynced write', async () => {
    const journal = new AppendLog(join(dir, 'store'), 1);
    await Promise.all(Array.from({ length: 50 }, (_, i) => journal.append(`{"c":"logs","k":"k${i}","v":1}\n`, true)));
    assert.equal(journal.commits, 1);
    await journal.close();
    const again = await openStore(dir);
    assert.equal(again.changeLogs.list().length, 0);
    const lines = (await readFile(join(dir, 'store', 'journal-00000001.jsonl'), 'utf8')).split('\n').filter(Boolean);
    assert.equal(lines.length, 50);
  });

  it('moves inbox batches and change logs an older version kept in herald.json into the new store', async () => {
    await writeFile(
      join(dir, 'herald.json'),
      JSON.stringify({ version: 1, installations: {}, subscriptions: {}, chats: {}, inbox: { b1: batch('b1') }, outbox: {}, pendingSummaries: {}, history: {}, seen: {}, changeLogs: { k: log('k') } }),
    );
    const store = await openStore(dir);
    assert.deepEqual(store.inbox.get('b1'), batch('b1'));
    await store.close();
    assert.deepEqual((await readdir(dir)).sort(), ['herald.json.migrated', 'store']);
    const again = await openStore(dir);
    assert.deepEqual(again.inbox.get('b1'), batch('b1'));
    assert.deepEqual(again.changeLogs.get('k'), log('k'));
  });
});
