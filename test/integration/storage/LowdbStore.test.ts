import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LowdbStore } from '../../../src/storage/LowdbStore.js';
import { StorageCorruptError } from '../../../src/storage/AtomicJsonFile.js';
import type { Installation } from '../../../src/model/installation.js';

const installation = (chatId: string): Installation => ({
  chatId,
  tenantId: 't1',
  serviceUrl: 'http://127.0.0.1:1/',
  conversationReference: { conversation: { id: chatId, isGroup: true, conversationType: 'groupChat', name: '' } },
  status: 'installed',
  installedAt: '2026-01-01T00:00:00.000Z',
  uninstalledAt: null,
  uninstallReason: null,
  lastActivityAt: '2026-01-01T00:00:00.000Z',
});

describe('lowdb store', () => {
  let dir: string;
  // Every file store a test opens is closed once it is over, so no file handle is left for the garbage collector (DEP0137).
  let opened: LowdbStore[] = [];
  const openFile = async (path: string) => {
    const store = await LowdbStore.openFile(path);
    opened.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.allSettled(opened.map((store) => store.close()));
    opened = [];
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'herald-store-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps records across a reopen', async () => {
    const store = await openFile(dir);
    await store.installations.put('19:a@thread.v2', installation('19:a@thread.v2'));
    await store.close();
    const again = await openFile(dir);
    assert.equal(again.installations.get('19:a@thread.v2')?.tenantId, 't1');
  });

  /** What a fresh start would see now, from a copy (the running store is left alone). */
  async function onDisk(): Promise<LowdbStore> {
    const copy = await mkdtemp(join(tmpdir(), 'herald-store-copy-'));
    copies.push(copy);
    await cp(dir, copy, { recursive: true });
    return openFile(copy);
  }
  let copies: string[] = [];
  afterEach(async () => {
    await Promise.all(copies.map((copy) => rm(copy, { recursive: true, force: true })));
    copies = [];
  });

  it('coalesces many changes made in one tick into one file write', async () => {
    const store = await openFile(dir);
    const before = store.writes;
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.installations.put(`c${i}`, installation(`c${i}`))));
    assert.equal(store.writes - before, 1);
    assert.equal((await onDisk()).installations.list().length, 50);
  });

  it('resolves a mutation only once it is on disk', async () => {
    const store = await openFile(dir);
    await store.installations.put('c1', installation('c1'));
    assert.ok((await onDisk()).installations.get('c1'));
  });

  it('hands out copies, so callers cannot change stored records by accident', async () => {
    const store = await LowdbStore.memory();
    await store.installations.put('c', installation('c'));
    const copy = store.installations.get('c');
    assert.ok(copy);
    copy.status = 'uninstalled';
    assert.equal(store.installations.get('c')?.status, 'installed');
  });

  it('updates a record atomically and deletes it when the updater returns undefined', async () => {
    const store = await LowdbStore.memory();
    await store.installations.put('c', installation('c'));
    const updated = await store.installations.update('c', (cur) => (cur ? { ...cur, status: 'uninstalled' } : cur));
    assert.equal(updated?.status, 'uninstalled');
    await store.installations.update('c', () => undefined);
    assert.equal(store.installations.get('c'), undefined);
  });

  it('leaves no temp files and one journal segment after writes', async () => {
    const store = await openFile(dir);
    for (let i = 0; i < 5; i++) await store.installations.put(`c${i}`, installation(`c${i}`));
    assert.deepEqual(await readdir(dir), ['store']);
    assert.deepEqual(await readdir(join(dir, 'store')), ['journal-00000001.jsonl']);
  });

  it('keeps the last complete state when a crash left a torn snapshot temp file behind', async () => {
    const store = await openFile(dir);
    await store.installations.put('c', installation('c'));
    await store.close();
    // A crash mid-snapshot leaves only a partial temp file; the journal is untouched.
    await writeFile(join(dir, 'store', 'snapshot.999.1.tmp'), '{"c":"installations","k":"c","v":{"chatId":"ot');
    const again = await openFile(dir);
    assert.equal(again.installations.get('c')?.chatId, 'c');
    assert.ok(!(await readdir(join(dir, 'store'))).some((name) => name.endsWith('.tmp')), 'and the temp file is cleared away');
  });

  it('refuses to start on a corrupt file instead of silently losing data', async () => {
    await writeFile(join(dir, 'herald.json'), '{not json');
    await assert.rejects(LowdbStore.openFile(dir), StorageCorruptError);
  });

  it('records seen keys once and prunes old ones', async () => {
    const store = await LowdbStore.memory();
    assert.equal(await store.seen.add('k1', new Date('2026-01-01T00:00:00Z')), true);
    assert.equal(await store.seen.add('k1', new Date('2026-01-01T00:00:01Z')), false);
    await store.seen.add('k2', new Date('2026-01-02T00:00:00Z'));
    assert.equal(await store.seen.prune(new Date('2026-01-01T12:00:00Z')), 1);
    assert.equal(store.seen.has('k1'), false);
    assert.equal(store.seen.has('k2'), true);
  });

  it('lists history newest first, filtered and paged', async () => {
    const store = await LowdbStore.memory();
    for (let i = 0; i < 5; i++) {
      await store.history.append({ id: `h${i}`, chatId: 'c', at: `2026-01-0${i + 1}T00:00:00.000Z`, kind: i % 2 ? 'left' : 'joined', actor: `P${i}` });
    }
    assert.deepEqual(store.history.list('c', { limit: 2 }).map((e) => e.id), ['h4', 'h3']);
    assert.deepEqual(store.history.list('c', { limit: 2, before: 'h3' }).map((e) => e.id), ['h2', 'h1']);
    assert.deepEqual(store.history.list('c', { kinds: ['left'] }).map((e) => e.id), ['h3', 'h1']);
  });
});
