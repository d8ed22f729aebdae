import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startHeraldProcess, type HeraldProcess } from '../../support/process/heraldProcess.js';

/** Live mode with nothing to reach: the store is what these starts are about. */
const LIVE = {
  AAD_APP_CLIENT_ID: randomUUID(),
  AAD_APP_CLIENT_SECRET: 'secret-for-store-start-tests',
  AAD_APP_TENANT_ID: randomUUID(),
  BOT_AUTH: 'off',
  PUBLIC_URL: 'https://herald.example.invalid',
  AAD_AUTHORITY_HOST: 'https://127.0.0.1:9',
  GRAPH_ENDPOINT: 'https://127.0.0.1:9',
  LOG_LEVEL: 'info',
};

/** A plain message on stderr and exit 1: no JSON log line, no stack. */
async function assertPlainRefusal(run: HeraldProcess, message: RegExp): Promise<string> {
  assert.equal(await run.exit, 1, run.output());
  const output = run.output();
  assert.match(output, message, output);
  assert.doesNotMatch(output, /^\s+at /m, 'a plain message, not a stack');
  return output;
}

describe('npm start: the embedded store in DATA_DIR', function () {
  this.timeout(90_000);
  let workDir: string;
  const running: HeraldProcess[] = [];

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'herald-store-start-'));
  });
  afterEach(async () => {
    for (const run of running.splice(0)) {
      if (run.child.exitCode === null && run.child.signalCode === null) {
        run.child.kill('SIGTERM');
        await run.exit;
      }
    }
  });
  after(async () => {
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  const start = (dataDir: string, env: Record<string, string> = LIVE) => {
    const run = startHeraldProcess(workDir, dataDir, env);
    running.push(run);
    return run;
  };

  it('refuses a second Herald on the same DATA_DIR, naming DATA_DIR, the process that holds it and DATABASE_URL; the first keeps running', async () => {
    const dataDir = join(workDir, 'shared');
    const first = start(dataDir);
    const url = await first.url;
    const second = start(dataDir, { ...LIVE, PORT: '0' });
    const output = await assertPlainRefusal(second, new RegExp(`DATA_DIR \\(${dataDir}\\) is in use by another Herald process \\(pid ${first.child.pid}\\)`));
    assert.match(output, /DATABASE_URL/);
    const health = await fetch(new URL('/healthz', url));
    assert.equal(health.status, 200, 'the first Herald is untouched');
    assert.equal(((await health.json()) as { store: { reachable: boolean } }).store.reachable, true);
  });

  it('refuses a second playground on the same DATA_DIR too', async () => {
    const dataDir = join(workDir, 'playground');
    const first = start(dataDir, {});
    await first.url;
    await assertPlainRefusal(start(dataDir, {}), /is in use by another Herald process/);
  });

  it('starts on a DATA_DIR whose pid file names a process that is gone (a Herald killed earlier)', async () => {
    const dataDir = join(workDir, 'stale');
    await mkdir(dataDir, { recursive: true });
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    await writeFile(join(dataDir, 'herald.pid'), `${gone}\n`);
    const run = start(dataDir);
    await run.url;
    assert.equal((await readFile(join(dataDir, 'herald.pid'), 'utf8')).trim(), String(run.child.pid));
  });

  it('refuses a herald.db that is not a database, naming the file', async () => {
    const dataDir = join(workDir, 'corrupt');
    await mkdir(dataDir, { recursive: true });
    const junk = 'this is not what Herald wrote\n'.repeat(200);
    await writeFile(join(dataDir, 'herald.db'), junk);
    await assertPlainRefusal(start(dataDir), new RegExp(`^Herald could not start: ${join(dataDir, 'herald.db')} is not a Herald store`, 'm'));
    assert.equal(await readFile(join(dataDir, 'herald.db'), 'utf8'), junk, 'the file is left as it was');
  });

  it("refuses another application's SQLite database as herald.db", async () => {
    const dataDir = join(workDir, 'foreign');
    await mkdir(dataDir, { recursive: true });
    const foreign = new Database(join(dataDir, 'herald.db'));
    foreign.exec('CREATE TABLE photos (id integer PRIMARY KEY, name text)');
    foreign.close();
    await assertPlainRefusal(start(dataDir), /herald\.db is a SQLite database of another application/);
  });
});
