import assert from 'node:assert/strict';
import sinon from 'sinon';
import { SummaryWindow } from '../../../src/announcements/SummaryWindow.js';
import type { AnnouncementChange } from '../../../src/announcements/AnnouncementChange.js';
import { systemTimers, type Timers } from '../../../src/kernel/timers.js';
import { LowdbStore } from '../../../src/storage/LowdbStore.js';

const CHAT = '19:window@thread.v2';
const joined: AnnouncementChange = {
  kind: 'joined', at: '2026-01-01T00:00:00.000Z',
  person: { userId: 'aaaaaaaa-0000-4000-8000-00000000000a', displayName: 'Ada', guest: false, external: false },
};

describe('summary window', () => {
  let fake: sinon.SinonFakeTimers;
  beforeEach(() => {
    fake = sinon.useFakeTimers({ now: Date.parse('2026-01-01T00:00:00.000Z'), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => fake.restore());

  it('closes a window whose timer fires a moment before the wall clock says it is over', async () => {
    const store = await LowdbStore.memory();
    // Node's timers can run a millisecond ahead of Date.now(): these fire 1 ms before their delay.
    const early: Timers = { setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms - 1)), clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) };
    const clock = () => new Date();
    const due: Array<{ chatId: string; at: number }> = [];
    const window = new SummaryWindow({ store, clock, timers: early, onDue: (chatId) => due.push({ chatId, at: clock().getTime() }) });
    const pending = await window.add(CHAT, [joined], 3000);
    await fake.tickAsync(2999);
    assert.equal(due.length, 0, 'not handed on before the window is over by the clock');
    await fake.tickAsync(5);
    assert.equal(due.length, 1, 'handed on once the clock reaches the end');
    assert.ok(due[0]!.at >= Date.parse(pending!.windowEndsAt));
  });

  it('re-arms a stored window that was found not yet due', async () => {
    const store = await LowdbStore.memory();
    const due: string[] = [];
    const window = new SummaryWindow({ store, clock: () => new Date(), timers: systemTimers(), onDue: (chatId) => due.push(chatId) });
    await window.add(CHAT, [joined], 3000);
    window.stop();
    window.restore();
    window.rearm(CHAT);
    await fake.tickAsync(3000);
    assert.deepEqual(due, [CHAT], 'one hand-on, not one per arm');
  });
});
