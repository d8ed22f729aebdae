import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * .ci/run, driven with a stand-in for the test command: it bounds each run, says plainly when it had to kill
 * one, ends with the total CI reads, and runs on the machine's Node.js and on Node.js 24 from the registry.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MACHINE_MAJOR = process.versions.node.split('.')[0] as string;

interface CiRun {
  code: number | null;
  output: string;
  lastLines: string[];
}

function ci(env: Record<string, string>): Promise<CiRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(ROOT, '.ci/run')], {
      cwd: ROOT,
      env: { ...process.env, HERALD_CI_SKIP_INSTALL: '1', HERALD_CI_NODE_VERSIONS: MACHINE_MAJOR, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const kill = setTimeout(() => child.kill('SIGKILL'), 170_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(kill);
      resolve({ code, output, lastLines: output.trimEnd().split('\n').slice(-3) });
    });
  });
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('.ci/run', function () {
  this.timeout(180_000);
  let scratch: string;

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'herald-ci-test-'));
  });
  after(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('kills a test command that prints its summary and never ends, says so on its last lines, and exits non-zero', async () => {
    const pidFile = join(scratch, 'grandchild.pid');
    // The original hang: the summary printed, then a process (here a grandchild) holding on for good.
    const hang = `node -e "require('fs').writeFileSync('${pidFile}', String(process.pid)); console.log('7 passed, 0 failed, 0 skipped'); setInterval(() => {}, 1000)"`;
    const started = Date.now();
    const run = await ci({ HERALD_CI_TEST_LIMIT: '3', HERALD_CI_TEST_COMMAND: hang });
    assert.ok(Date.now() - started < 60_000);
    assert.notEqual(run.code, 0);
    assert.match(run.lastLines.join('\n'), /KILLED: the test command did not end within 3 s on Node v\d+/);
    assert.equal(run.lastLines.at(-1), '7 passed, 1 failed');
    const pid = Number(await readFile(pidFile, 'utf8'));
    assert.equal(isAlive(pid), false, 'what the test command started is killed with it');
  });

  it('passes on a test command that ends with every test passed, ending with the total', async () => {
    const run = await ci({ HERALD_CI_TEST_COMMAND: `echo '5 passed, 0 failed, 2 skipped'` });
    assert.equal(run.code, 0, run.output);
    assert.equal(run.lastLines.at(-1), '5 passed, 0 failed');
  });

  it('names the failed tests just above the total, where a truncated log still shows them', async () => {
    const failing = `printf 'FAILED: the store keeps a lease (test/a.test.ts)\\n3 passed, 1 failed, 0 skipped\\n'; exit 1`;
    const run = await ci({ HERALD_CI_TEST_COMMAND: failing });
    assert.notEqual(run.code, 0);
    assert.match(run.lastLines.at(-2) ?? '', /^Node v\d+.*: FAILED: the store keeps a lease \(test\/a\.test\.ts\)$/);
    assert.equal(run.lastLines.at(-1), '3 passed, 1 failed');
  });

  it('fails when the test command exits non-zero after every test passed (the exit watchdog found a leak)', async () => {
    const run = await ci({ HERALD_CI_TEST_COMMAND: `echo '5 passed, 0 failed, 0 skipped'; exit 1` });
    assert.notEqual(run.code, 0);
    assert.match(run.output, /every test passed, but the test command exited with code 1/);
    assert.equal(run.lastLines.at(-1), '5 passed, 1 failed');
  });

  it('fails when the test command ends without a summary (the type check or lint failed)', async () => {
    const run = await ci({ HERALD_CI_TEST_COMMAND: `echo 'error TS2322: nope'; exit 2` });
    assert.notEqual(run.code, 0);
    assert.match(run.output, /ended \(exit code 2\) without a test summary/);
    assert.equal(run.lastLines.at(-1), '0 passed, 1 failed');
  });

  it('runs the test command on the machine\'s Node.js and on Node.js 24 from the npm registry, adding up both', async () => {
    const run = await ci({
      HERALD_CI_NODE_VERSIONS: `${MACHINE_MAJOR} 24`,
      HERALD_CI_TEST_COMMAND: `node -e "console.log('running on ' + process.version); console.log('3 passed, 0 failed, 0 skipped')"`,
    });
    assert.equal(run.code, 0, run.output);
    assert.match(run.output, new RegExp(`running on v${MACHINE_MAJOR}\\.`));
    assert.match(run.output, /running on v24\./);
    assert.match(run.output, /Node 24: 3 passed, 0 failed, 0 skipped/);
    assert.equal(run.lastLines.at(-1), '6 passed, 0 failed');
  });
});
