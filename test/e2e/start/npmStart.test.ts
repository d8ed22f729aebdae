import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `npm start` itself, as App Service runs it (infra/azure.bicep: appCommandLine 'npm start'): it compiles
 * only when the sources changed, and SIGTERM or SIGINT sent to the npm process ends Herald gracefully
 * (npm hands the signal to Herald, which flushes and exits 0), leaving nothing running.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const URL_LINE = /Herald playground: (http:\/\/127\.0\.0\.1:\d+\/playground\/)/;

interface NpmStart {
  npm: ChildProcess;
  output: () => string;
  url: Promise<string>;
  exit: Promise<number | null>;
}

function npmStart(dataDir: string): NpmStart {
  // Only what a person's shell would have: no credentials, so the playground starts.
  const npm = spawn('npm', ['start'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const url = new Promise<string>((resolve, reject) => {
    const read = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const match = URL_LINE.exec(text);
      if (match?.[1]) resolve(match[1]);
    };
    npm.stdout?.on('data', read);
    npm.stderr?.on('data', read);
    npm.once('exit', (code) => reject(new Error(`npm start exited (${String(code)}) before Herald printed its URL:\n${text}`)));
  });
  url.catch(() => undefined);
  const exit = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
  return { npm, output: () => text, url, exit };
}

/** The processes under `pid` (children, grandchildren, …), read from /proc. */
async function descendants(pid: number): Promise<number[]> {
  const { readdir } = await import('node:fs/promises');
  const parents = new Map<number, number[]>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
  }
  const found: number[] = [];
  const walk = (p: number) => {
    for (const child of parents.get(p) ?? []) {
      found.push(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('npm start, the command App Service runs', function () {
  // The first start in a fresh clone compiles Herald.
  this.timeout(240_000);
  let workDir: string;
  const started: NpmStart[] = [];

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'herald-npm-start-'));
  });

  afterEach(async () => {
    for (const run of started.splice(0)) {
      if (run.npm.exitCode !== null || run.npm.signalCode !== null) continue;
      for (const pid of await descendants(run.npm.pid as number)) if (alive(pid)) process.kill(pid, 'SIGKILL');
      run.npm.kill('SIGKILL');
      await run.exit;
    }
  });

  after(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`ends Herald gracefully when ${signal} is sent to the npm process alone: exit 0, port closed, nothing left running`, async () => {
      const dataDir = join(workDir, signal);
      const run = npmStart(dataDir);
      started.push(run);
      const url = await run.url;
      const herald = await descendants(run.npm.pid as number);
      assert.ok(herald.length > 0, 'npm started Herald');
      assert.equal((await fetch(new URL('/healthz', url))).status, 200);

      run.npm.kill(signal);
      assert.equal(await run.exit, 0, run.output());
      for (const pid of herald) assert.equal(alive(pid), false, `process ${pid} started by npm start is gone`);
      await assert.rejects(fetch(new URL('/healthz', url)), 'the port is closed');
      const saved = JSON.parse(await readFile(join(dataDir, 'playground', 'playground.json'), 'utf8')) as { meta: { chatId: string } };
      assert.match(saved.meta.chatId, /^19:/, 'the playground saved its world on the way out');
    });
  }

  it('compiles only when the sources changed: a second start says so and does not compile', async () => {
    const first = npmStart(join(workDir, 'first'));
    started.push(first);
    await first.url;
    first.npm.kill('SIGTERM');
    assert.equal(await first.exit, 0, first.output());

    const second = npmStart(join(workDir, 'second'));
    started.push(second);
    await second.url;
    assert.match(second.output(), /Herald is already compiled: nothing changed since the last build/);
    assert.doesNotMatch(second.output(), /Compiling Herald/);
    second.npm.kill('SIGTERM');
    assert.equal(await second.exit, 0, second.output());
  });
});
