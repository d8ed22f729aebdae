import assert from 'node:assert/strict';
import sinon from 'sinon';
import { TimerWheel } from '../../../src/subscriptions/TimerWheel.js';
import type { Timers } from '../../../src/kernel/timers.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('TimerWheel', () => {
  let clock: sinon.SinonFakeTimers;
  let timers: Timers & { armed: number };
  let errors: Array<[string, unknown]>;

  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: Date.parse('2026-03-01T00:00:00Z'), toFake: ['Date'] });
    errors = [];
    // The wheel gets the fake clock's timer functions; only Date is faked globally.
    timers = {
      armed: 0,
      setTimeout: (callback, ms) => {
        timers.armed++;
        return clock.setTimeout(callback, ms);
      },
      clearTimeout: (handle) => clock.clearTimeout(handle as number),
    };
  });

  afterEach(() => clock.restore());

  const wheel = (concurrency = 4) =>
    new TimerWheel({ clock: () => new Date(), timers, concurrency, onError: (key, error) => void errors.push([key, error]) });

  const at = (ms: number) => new Date(Date.now() + ms);

  it('runs each task at its time, with a single pending timer for any number of tasks', async () => {
    const w = wheel();
    const ran: string[] = [];
    for (let i = 0; i < 100; i++) w.schedule(`k${i}`, at((100 - i) * HOUR), async () => void ran.push(`k${i}`));
    assert.equal(clock.countTimers(), 1);
    await clock.tickAsync(50 * HOUR);
    assert.equal(ran.length, 50);
    assert.equal(ran[0], 'k99');
    assert.equal(clock.countTimers(), 1);
    await clock.tickAsync(50 * HOUR);
    assert.equal(ran.length, 100);
    assert.equal(clock.countTimers(), 0);
  });

  it('replaces an earlier schedule of the same key instead of piling up', async () => {
    const w = wheel();
    let runs = 0;
    w.schedule('renew', at(2 * DAY), async () => void runs++);
    w.schedule('renew', at(1 * DAY), async () => void runs++);
    w.schedule('renew', at(3 * DAY), async () => void runs++);
    assert.equal(w.size, 1);
    await clock.tickAsync(2.5 * DAY);
    assert.equal(runs, 0, 'the earlier schedules were replaced');
    await clock.tickAsync(DAY);
    assert.equal(runs, 1);
  });

  it('runs tasks due now without waiting for a timer', async () => {
    const w = wheel();
    let ran = false;
    w.schedule('now', new Date(), async () => void (ran = true));
    await w.whenIdle();
    assert.equal(ran, true);
    assert.equal(timers.armed, 0);
  });

  it('cancels one key or every key with a prefix', async () => {
    const w = wheel();
    const ran: string[] = [];
    for (const key of ['chat:a:sync', 'chat:a:remove', 'chat:b:sync', 'sub:1:renew']) w.schedule(key, at(HOUR), async () => void ran.push(key));
    assert.equal(w.cancel('sub:1:renew'), true);
    assert.equal(w.cancelPrefix('chat:a:'), 2);
    await clock.tickAsync(2 * HOUR);
    assert.deepEqual(ran, ['chat:b:sync']);
  });

  it('never runs more tasks at once than its concurrency, and never one key twice at once', async () => {
    const w = wheel(2);
    let running = 0;
    let peak = 0;
    const releases: Array<() => void> = [];
    const task = () => async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise<void>((resolve) => releases.push(resolve));
      running--;
    };
    for (let i = 0; i < 5; i++) w.schedule(`k${i}`, new Date(), task());
    w.schedule('k0', new Date(), task()); // same key as a running task: waits for it
    await Promise.resolve();
    assert.equal(running, 2);
    while (releases.length > 0 || running > 0) {
      releases.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await w.whenIdle();
    assert.equal(peak, 2);
  });

  it('reports a failing task and carries on with the others', async () => {
    const w = wheel();
    let ran = false;
    w.schedule('bad', at(HOUR), async () => {
      throw new Error('boom');
    });
    w.schedule('good', at(HOUR), async () => void (ran = true));
    await clock.tickAsync(HOUR);
    await w.whenIdle();
    assert.equal(ran, true);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.[0], 'bad');
  });

  it('handles delays beyond what setTimeout can hold by re-arming', async () => {
    const w = wheel();
    let ran = false;
    w.schedule('far', at(40 * DAY), async () => void (ran = true));
    await clock.tickAsync(30 * DAY);
    assert.equal(ran, false);
    await clock.tickAsync(10 * DAY);
    assert.equal(ran, true);
  });

  it('keeps its heap small when keys are rescheduled many times', async () => {
    const w = wheel();
    for (let round = 0; round < 1000; round++) w.schedule(`k${round % 10}`, at(HOUR + round), async () => undefined);
    assert.equal(w.size, 10);
    assert.ok((w as unknown as { heap: unknown[] }).heap.length <= 2 * 10 + 65);
  });

  it('stops: forgets its schedules and disarms', async () => {
    const w = wheel();
    let ran = false;
    w.schedule('x', at(HOUR), async () => void (ran = true));
    await w.stop();
    await clock.tickAsync(2 * HOUR);
    assert.equal(ran, false);
    assert.equal(clock.countTimers(), 0);
    w.schedule('y', new Date(), async () => void (ran = true));
    assert.equal(ran, false);
  });
});
