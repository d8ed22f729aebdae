import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The leak guard and the exit watchdog (test/support/leakGuard.ts, summaryReporter.cjs), each proven on a
 * child mocha run of a fixture that leaves something running: the run fails within seconds of its summary,
 * naming what was left and the file that started it.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MOCHA = fileURLToPath(new URL('../../../node_modules/mocha/bin/mocha.js', import.meta.url));
const fixture = (name: string) => `test/fixtures/leakGuard/${name}.fixture.ts`;

interface Run {
  code: number | null;
  output: string;
  /** Milliseconds from the summary line to the process's exit. */
  afterSummaryMs: number;
}

function mocha(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MOCHA, ...args], { cwd: ROOT, env: { ...process.env, HERALD_TEST_EXIT_WATCHDOG_MS: '2000' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let summaryAt = 0;
    const read = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (!summaryAt && /\d+ passed, \d+ failed/.test(output)) summaryAt = Date.now();
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    // Bounded: a guard that fails to end the run must fail this test, not hang it.
    const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(kill);
      resolve({ code, output, afterSummaryMs: summaryAt ? Date.now() - summaryAt : Number.NaN });
    });
  });
}

describe('the leak guard', function () {
  this.timeout(90_000);

  describe('each file checked on its own (parallel mode), in one run of four files', () => {
    let run: Run;
    before(async () => {
      run = await mocha(['--parallel', '--jobs', '2', fixture('leavesTimer'), fixture('leavesServer'), fixture('leavesWorker'), fixture('stopsEverything')]);
    });

    it('fails the run: each leaking file fails, the tests themselves pass', () => {
      assert.notEqual(run.code, 0);
      assert.match(run.output, /4 passed, 3 failed/);
    });

    it('names a timer left running, by its callback, and its file', () => {
      assert.match(run.output, /a setInterval heartbeat, started in test\/fixtures\/leakGuard\/leavesTimer\.fixture\.ts/);
    });

    it('names a server left listening, where it listens, and its file', () => {
      assert.match(run.output, /a server, started in test\/fixtures\/leakGuard\/leavesServer\.fixture\.ts \(line \d+\), listening on 127\.0\.0\.1:\d+/);
    });

    it('names a worker thread left running, even an unref\'d one, and its file', () => {
      assert.match(run.output, /a worker thread, started in test\/fixtures\/leakGuard\/leavesWorker\.fixture\.ts, thread \d+/);
    });

    it('blames no file that stopped what it started', () => {
      assert.doesNotMatch(run.output, /started in test\/fixtures\/leakGuard\/stopsEverything/);
    });
  });

  it('in one process (serial mode), ends the run within seconds of the summary, naming the leak', async () => {
    const run = await mocha(['--no-parallel', fixture('leavesTimer')]);
    assert.notEqual(run.code, 0);
    assert.match(run.output, /a setInterval heartbeat, started in test\/fixtures\/leakGuard\/leavesTimer\.fixture\.ts/);
    assert.ok(run.afterSummaryMs < 5_000, `ended ${run.afterSummaryMs} ms after the summary`);
  });

  it('puts down what a leftover callback starts while a later file runs to the file that left it', async () => {
    const run = await mocha(['--no-parallel', fixture('startsLater'), fixture('waits')]);
    assert.notEqual(run.code, 0);
    assert.match(run.output, /a setInterval startedLate, started in test\/fixtures\/leakGuard\/startsLater\.fixture\.ts/);
  });

  it('lets a run whose tests stop what they start pass and end at once', async () => {
    const run = await mocha(['--no-parallel', fixture('stopsEverything')]);
    assert.equal(run.code, 0, run.output);
    assert.match(run.output, /1 passed, 0 failed/);
    assert.ok(run.afterSummaryMs < 1_500, `ended ${run.afterSummaryMs} ms after the summary`);
  });
});

describe('the exit watchdog', function () {
  this.timeout(90_000);

  it('ends a run held by something the guard does not track, saying what holds it, with a non-zero code', async () => {
    const run = await mocha(['--no-parallel', fixture('holdsPort')]);
    assert.equal(run.code, 1);
    assert.match(run.output, /1 passed, 0 failed/);
    assert.match(run.output, /still running 2 s after the summary[\s\S]*held by: MessagePort/);
    assert.ok(run.afterSummaryMs >= 1_900 && run.afterSummaryMs < 6_000, `ended ${run.afterSummaryMs} ms after the summary`);
  });
});
