import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LowdbStore } from '../../src/storage/LowdbStore.js';
import type { ResourceChangeLog } from '../../src/storage/HeraldStore.js';

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
