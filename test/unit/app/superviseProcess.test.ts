import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import sinon from 'sinon';
import { CRASH_STOP_TIMEOUT_MS, superviseProcess, type SupervisedProcess } from '../../../src/app/superviseProcess.js';
import { silentLogger } from '../../../src/log/createLogger.js';

function fakeProcess(): SupervisedProcess & EventEmitter & { exits: number[] } {
  const emitter = new EventEmitter() as EventEmitter & { exits: number[]; exit(code: number): void };
  emitter.exits = [];
  emitter.exit = (code: number) => void emitter.exits.push(code);
  return emitter;
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('process supervision', () => {
  it('stops Herald and exits 0 on SIGTERM, even when the signal came while it was starting', async () => {
    const proc = fakeProcess();
    let finishStart: (running: { stop(): Promise<void> }) => void = () => {};
    const stopped = sinon.spy(async () => {});
    superviseProcess(new Promise((resolve) => (finishStart = resolve)), silentLogger(), proc);
    proc.emit('SIGTERM');
    await settle();
    assert.deepEqual(proc.exits, [], 'waits for the start to finish');
    finishStart({ stop: stopped });
    await settle();
    assert.equal(stopped.callCount, 1);
    assert.deepEqual(proc.exits, [0]);
  });

  it('logs an error nothing caught, stops Herald and exits 1 so a supervisor restarts it', async () => {
    const proc = fakeProcess();
    const stopped = sinon.spy(async () => {});
    superviseProcess(Promise.resolve({ stop: stopped }), silentLogger(), proc);
    proc.emit('uncaughtException', new Error('boom'));
    proc.emit('unhandledRejection', new Error('again'));
    await settle();
    assert.equal(stopped.callCount, 1, 'one stop for any number of crashes');
    assert.deepEqual(proc.exits, [1]);
  });

  it('exits 1 after a bounded time when the stop after a crash hangs', async () => {
    const clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const proc = fakeProcess();
      superviseProcess(Promise.resolve({ stop: () => new Promise<void>(() => {}) }), silentLogger(), proc);
      proc.emit('uncaughtException', new Error('boom'));
      await clock.tickAsync(CRASH_STOP_TIMEOUT_MS - 1);
      assert.deepEqual(proc.exits, []);
      await clock.tickAsync(1);
      assert.deepEqual(proc.exits, [1]);
    } finally {
      clock.restore();
    }
  });
});
