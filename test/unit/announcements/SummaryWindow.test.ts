import assert from 'node:assert/strict';
import sinon from 'sinon';
import type { AnnouncementChange } from '../../../src/announcements/AnnouncementChange.js';
import { SummaryWindow } from '../../../src/announcements/SummaryWindow.js';
import type { Timers } from '../../../src/kernel/timers.js';
import { openSqliteMemory, type SqliteStore } from '../../../src/storage/sqlite/SqliteStore.js';

const CHAT = '19:window@thread.v2';

describe('summary window', () => {
  let clock: sinon.SinonFakeTimers;
  let store: SqliteStore;
  let due: string[];

  beforeEach(async () => {
    clock = sinon.useFakeTimers({ now: Date.parse('2026-03-02T08:00:00Z'), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    store = await openSqliteMemory();
    due = [];
  });
  afterEach(() => clock.restore());

  /** Adds changes to the chat's window as the announcement service does: in a unit of work. */
  async function collect(window: SummaryWindow, changes: AnnouncementChange[], windowMs: number): Promise<void> {
    const after: Array<() => void> = [];
    await store.transaction(async (tx) => {
      const open = await tx.pendingSummaries.get(CHAT);
      await window.keep({ tx, afterCommit: (fn) => void after.push(fn) }, CHAT, [...(open?.changes ?? []), ...changes], windowMs, open);
    });
    for (const fn of after) fn();
  }

  const change = (): AnnouncementChange => ({ kind: 'joined', at: new Date().toISOString(), person: { userId: 'u1', displayName: 'Ada', guest: false, external: false } });

  it('closes on time even when its timer fires a little before the wall clock reaches the end', async () => {
    // Timers run on a monotonic clock; under load they can come due a millisecond "early" by Date.
    const early: Timers = { setTimeout: (callback, ms) => clock.setTimeout(callback, Math.max(0, ms - 1)), clearTimeout: (handle) => clock.clearTimeout(handle as number) };
    const window = new SummaryWindow({ store: store, clock: () => new Date(), timers: early, onDue: (chatId) => void due.push(chatId) });
    await collect(window, [change()], 5_000);
    await clock.tickAsync(4_999);
    assert.deepEqual(due, [], 'not before its end');
    await clock.tickAsync(1_000);
    assert.deepEqual(due, [CHAT], 'due once its end has passed, not stuck open');
  });

  it('is due once at its end with exact timers', async () => {
    const exact: Timers = { setTimeout: (callback, ms) => clock.setTimeout(callback, ms), clearTimeout: (handle) => clock.clearTimeout(handle as number) };
    const window = new SummaryWindow({ store: store, clock: () => new Date(), timers: exact, onDue: (chatId) => void due.push(chatId) });
    await collect(window, [change()], 5_000);
    await collect(window, [change()], 5_000);
    await clock.tickAsync(5_000);
    assert.deepEqual(due, [CHAT]);
    assert.equal((await window.get(CHAT))?.changes.length, 2);
  });

  it('re-arms a stored window that was found not yet due, once', async () => {
    const exact: Timers = { setTimeout: (callback, ms) => clock.setTimeout(callback, ms), clearTimeout: (handle) => clock.clearTimeout(handle as number) };
    const window = new SummaryWindow({ store: store, clock: () => new Date(), timers: exact, onDue: (chatId) => void due.push(chatId) });
    await collect(window, [change()], 5_000);
    window.stop();
    window.restore();
    window.rearm(CHAT);
    await clock.tickAsync(5_000);
    assert.deepEqual(due, [CHAT], 'one hand-on, not one per arm');
  });

  it('hands on, at its next sweep, a due window it has no timer for (opened by another instance)', async () => {
    const exact: Timers = { setTimeout: (callback, ms) => clock.setTimeout(callback, ms), clearTimeout: (handle) => clock.clearTimeout(handle as number) };
    const window = new SummaryWindow({ store: store, clock: () => new Date(), timers: exact, onDue: (chatId) => void due.push(chatId), sweepMs: 1_000 });
    await window.restore();
    await store.pendingSummaries.put(CHAT, { chatId: CHAT, windowEndsAt: new Date(Date.now() - 1).toISOString(), changes: [change()] });
    await clock.tickAsync(999);
    assert.deepEqual(due, []);
    await clock.tickAsync(1);
    assert.deepEqual(due, [CHAT]);
    window.stop();
  });
});
