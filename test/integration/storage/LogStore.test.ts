import assert from 'node:assert/strict';
import { appendFile, cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HistoryEntry } from '../../../src/model/history.js';
import type { Installation } from '../../../src/model/installation.js';
import { StorageCorruptError } from '../../../src/storage/AtomicJsonFile.js';
import { AppendLog } from '../../../src/storage/log/AppendLog.js';
import { LogStore } from '../../../src/storage/log/LogStore.js';

/** A DATA_DIR written by the store Herald had before the log store (built with that code, kept as it came out). */
const FIXTURE_V1 = fileURLToPath(new URL('../../fixtures/storage/datadir-v1/', import.meta.url));
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';

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
const entry = (chatId: string, n: number): HistoryEntry => ({ id: `h${n}`, chatId, at: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(), kind: 'joined', actor: `P${n}` });
/** Small thresholds, so a test's few hundred lines are enough to compact. */
const SMALL = { compactMinChars: 4096, compactRatio: 2 };

describe('log store (the embedded file store)', () => {
  let dir: string;
  let opened: LogStore[] = [];
  const open = async (path = dir, options = SMALL) => {
    const store = await LogStore.open(path, options);
    opened.push(store);
    return store;
  };
  const files = async () => (await readdir(join(dir, 'store'))).sort();
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'herald-log-'));
  });
  afterEach(async () => {
    await Promise.allSettled(opened.map((store) => store.close()));
    opened = [];
    await rm(dir, { recursive: true, force: true });
  });

  describe('migrating a DATA_DIR of the earlier format', () => {
    beforeEach(async () => {
      await cp(FIXTURE_V1, dir, { recursive: true });
    });

    it('keeps every installation, subscription, chat, post, window, history entry, seen key, batch and change log', async () => {
      const store = await open();
      assert.deepEqual(store.installations.list().map((i) => i.chatId).sort(), ['19:fixture-1@thread.v2', '19:fixture-2@thread.v2']);
      assert.deepEqual(store.subscriptions.list().map((s) => s.id).sort(), ['sub-chat-1', 'sub-chat-2', 'sub-chatMembers-1', 'sub-chatMembers-2', 'sub-tenant']);
      assert.equal(store.subscriptions.get('sub-chat-1')?.clientState, 'state-sub-chat-1');
      assert.equal(store.chats.get('19:fixture-2@thread.v2')?.roster.u1?.displayName, 'Ada');
      assert.equal(store.outbox.get('post-1')?.attempts, 1);
      assert.equal(store.pendingSummaries.list().length, 1);
      assert.deepEqual(store.history.list('19:fixture-1@thread.v2').map((e) => e.id), ['h-1-2', 'h-1-1']);
      assert.equal(store.seen.has('seen-key-1'), true);
      assert.deepEqual(store.inbox.list().map((b) => b.id), ['batch-open'], 'the journal replayed over the document, deletion included');
      assert.equal(store.changeLogs.get(`${TENANT}|member:19:fixture-1@thread.v2:u2`)?.changes['created|abc']?.changeKey, 'ck-1');
    });

    it('keeps the old files aside and starts from the new store afterwards', async () => {
      const store = await open();
      await store.installations.update('19:fixture-1@thread.v2', (i) => (i ? { ...i, status: 'uninstalled' } : i));
      await store.close();
      assert.deepEqual((await readdir(dir)).sort(), ['herald.json.migrated', 'notifications.jsonl.migrated', 'store']);
      const again = await open();
      assert.equal(again.installations.get('19:fixture-1@thread.v2')?.status, 'uninstalled');
      assert.equal(again.installations.list().length, 2);
    });

    it('loses nothing and doubles nothing when a crash came after the new snapshot but before the old files were moved', async () => {
      const store = await open();
      await store.close();
      // As if the process died right after writing snapshot 0: the old files are still in place.
      await cp(join(FIXTURE_V1, 'herald.json'), join(dir, 'herald.json'));
      await cp(join(FIXTURE_V1, 'notifications.jsonl'), join(dir, 'notifications.jsonl'));
      const again = await open();
      assert.equal(again.installations.list().length, 2);
      assert.deepEqual(again.history.list('19:fixture-1@thread.v2').map((e) => e.id), ['h-1-2', 'h-1-1']);
    });
  });

  describe('the journal', () => {
    it('costs a history entry the same bytes whether the chat has 5 entries or 1,500', async () => {
      const store = await open(dir, { compactMinChars: 64 * 1024 * 1024, compactRatio: 2 });
      const grows = async (n: number) => {
        const segment = join(dir, 'store', (await files()).at(-1) ?? '');
        const before = (await stat(segment)).size;
        await store.history.append(entry('c', n));
        return (await stat(segment)).size - before;
      };
      for (let i = 0; i < 5; i++) await store.history.append(entry('c', i));
      const early = await grows(5);
      await Promise.all(Array.from({ length: 1500 }, (_, i) => store.history.append(entry('c', 10 + i))));
      assert.equal(await grows(6), early);
    });

    it('refuses to open a segment damaged in the middle rather than drop what follows', async () => {
      const store = await open();
      await store.installations.put('a', installation('a'));
      await store.close();
      const segment = join(dir, 'store', (await files()).at(-1) ?? '');
      await writeFile(segment, `{"c":"installations","k":"x","v":{oops}\n${await readFile(segment, 'utf8')}`);
      await assert.rejects(LogStore.open(dir), StorageCorruptError);
    });

    it('ignores a torn last line of an older segment, not only of the newest', async () => {
      const first = await open();
      await first.installations.put('a', installation('a'));
      await first.close();
      const segment = join(dir, 'store', (await files()).at(-1) ?? '');
      await appendFile(segment, '{"c":"installations","k":"b","v":{"chat');
      const second = await open();
      await second.installations.put('c', installation('c'));
      await second.close();
      const third = await open();
      assert.deepEqual(third.installations.list().map((i) => i.chatId).sort(), ['a', 'c']);
    });
  });

  describe('sealing a segment (what a snapshot covers)', () => {
    it('keeps every line appended before the seal, lazy ones included, in the sealed segment, and the later ones in the next', async () => {
      const log = new AppendLog(join(dir, 'store'), 1);
      await log.append('{"c":"a","k":"lazy","v":1}\n', false);
      const sealed = log.seal();
      await log.append('{"c":"a","k":"after","v":2}\n', true);
      assert.equal(await sealed, 1);
      await log.close();
      assert.equal(await readFile(join(dir, 'store', 'journal-00000001.jsonl'), 'utf8'), '{"c":"a","k":"lazy","v":1}\n');
      assert.equal(await readFile(join(dir, 'store', 'journal-00000002.jsonl'), 'utf8'), '{"c":"a","k":"after","v":2}\n');
    });
  });

  describe('compaction', () => {
    it('folds a journal that is mostly deleted records into a snapshot when it opens', async () => {
      const store = await open(dir, { compactMinChars: 64 * 1024 * 1024, compactRatio: 2 });
      for (let i = 0; i < 50; i++) await store.installations.put(`c${i}`, installation(`c${i}`));
      for (let i = 0; i < 49; i++) await store.installations.delete(`c${i}`);
      await store.close();
      const again = await open();
      await again.compacted();
      assert.deepEqual(again.installations.list().map((i) => i.chatId), ['c49']);
      const [snapshot, ...others] = await files();
      assert.deepEqual(others, []);
      assert.match(snapshot ?? '', /^snapshot-/);
      const lines = (await readFile(join(dir, 'store', snapshot ?? ''), 'utf8')).split('\n').filter(Boolean);
      assert.equal(lines.length, 1);
    });

    it('runs in the background once the journal outgrows the live records, keeping every record and history entry', async () => {
      const store = await open();
      for (let i = 0; i < 200; i++) await store.installations.put(`c${i % 5}`, installation(`c${i % 5}`));
      for (let i = 0; i < 20; i++) await store.history.append(entry('chat', i));
      await store.compacted();
      assert.ok(store.compactions > 0);
      await store.close();
      assert.ok((await files()).some((name) => name.startsWith('snapshot-')));
      const again = await open();
      assert.equal(again.installations.list().length, 5);
      assert.deepEqual(again.history.list('chat', { limit: 100 }).map((e) => e.id), Array.from({ length: 20 }, (_, i) => `h${19 - i}`));
    });

    it('lets mutations go on while it writes, and writes a snapshot of the moment it started', async () => {
      // Compacts once the journal holds about 130 puts.
      const store = await open(dir, { compactMinChars: 130 * (JSON.stringify(installation('c0')).length + 40), compactRatio: 2 });
      for (let i = 0; i < 100; i++) await store.installations.put(`c${i % 5}`, installation(`c${i % 5}`));
      assert.equal(store.compactions, 0);
      // This put crosses the threshold: the snapshot is taken with it, the ones after go to the new segment.
      const crossing = Array.from({ length: 60 }, (_, i) => store.installations.put(`c${i % 5}`, installation(`c${i % 5}`)));
      await Promise.all(crossing);
      const during = store.installations.put('late', installation('late'));
      await during;
      await store.compacted();
      await store.close();
      const snapshot = (await files()).find((name) => name.startsWith('snapshot-')) ?? '';
      assert.ok(!(await readFile(join(dir, 'store', snapshot), 'utf8')).includes('"late"'), 'the later put is not in the snapshot');
      const again = await open();
      assert.equal(again.installations.get('late')?.chatId, 'late', 'but in the journal after it');
      assert.equal(again.installations.list().length, 6);
    });

    /** A store with history, compacted once; returns the directory before and after the compaction. */
    async function compactedOnce(): Promise<{ before: string; after: string }> {
      const store = await open(dir, { compactMinChars: 64 * 1024 * 1024, compactRatio: 2 });
      for (let i = 0; i < 30; i++) await store.history.append(entry('chat', i));
      for (let i = 0; i < 30; i++) await store.installations.put(`c${i % 3}`, installation(`c${i % 3}`));
      await store.close();
      const before = await mkdtemp(join(tmpdir(), 'herald-log-before-'));
      await cp(dir, before, { recursive: true });
      const compacting = await open(dir, { compactMinChars: 1, compactRatio: 2 });
      await compacting.compacted();
      await compacting.close();
      const after = await mkdtemp(join(tmpdir(), 'herald-log-after-'));
      await cp(dir, after, { recursive: true });
      return { before, after };
    }

    const assertFullState = (store: LogStore) => {
      assert.equal(store.installations.list().length, 3);
      assert.deepEqual(store.history.list('chat', { limit: 100 }).map((e) => e.id), Array.from({ length: 30 }, (_, i) => `h${29 - i}`));
    };

    it('loses nothing when killed before the snapshot was renamed into place (a partial temp file)', async () => {
      const { before, after } = await compactedOnce();
      try {
        await rm(dir, { recursive: true });
        await cp(before, dir, { recursive: true });
        const snapshot = (await readdir(join(after, 'store'))).find((name) => name.startsWith('snapshot-')) ?? '';
        const text = await readFile(join(after, 'store', snapshot), 'utf8');
        await writeFile(join(dir, 'store', 'snapshot.4242.1.tmp'), text.slice(0, Math.floor(text.length / 2)));
        assertFullState(await open());
      } finally {
        await Promise.all([rm(before, { recursive: true }), rm(after, { recursive: true })]);
      }
    });

    it('loses and repeats nothing when killed after the rename, before the old segments were deleted', async () => {
      const { before, after } = await compactedOnce();
      try {
        // The new snapshot beside every segment it covers.
        await cp(join(before, 'store'), join(dir, 'store'), { recursive: true });
        assert.ok((await files()).length > 1);
        assertFullState(await open());
        assert.deepEqual((await files()).filter((name) => name.startsWith('journal-')).length, 0, 'the covered segments are cleared away');
      } finally {
        await Promise.all([rm(before, { recursive: true }), rm(after, { recursive: true })]);
      }
    });
  });
});
