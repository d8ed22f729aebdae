import assert from 'node:assert/strict';
import { MIGRATIONS } from '../../../src/storage/schema/migrations.js';
import { spawn } from 'node:child_process';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshSchema, type TestSchema } from '../../support/storage/testPostgres.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const TSX = import.meta.resolve('tsx');
const URL_LINE = /^Herald playground: (http:\/\/127\.0\.0\.1:\d+)\/playground\/$/m;

interface Started {
  /** Resolves with the base URL once Herald listens, or with null when it exits first. */
  ready: Promise<string | null>;
  exit: Promise<number | null>;
  output(): string;
  kill(signal: NodeJS.Signals): void;
}

/** `npm start` (bin/herald.ts through tsx) in the playground, with DATABASE_URL set. */
function startHerald(dataDir: string, databaseUrl: string): Started {
  const child = spawn(process.execPath, ['--import', TSX, join(ROOT, 'bin', 'herald.ts')], {
    cwd: dataDir,
    env: { PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn', DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<string | null>((resolve) => {
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const match = URL_LINE.exec(text);
      if (match?.[1]) resolve(match[1]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exit.then(() => resolve(null));
  });
  return { ready, exit, output: () => text, kill: (signal) => child.kill(signal) };
}

describe('npm start with DATABASE_URL', function () {
  this.timeout(120_000);
  let dataDir: string;
  let running: Started | undefined;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'herald-db-start-'));
  });
  afterEach(async () => {
    running?.kill('SIGKILL');
    await running?.exit;
    running = undefined;
    await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses to start when the database is down: a plain message naming DATABASE_URL, exit code 1', async () => {
    running = startHerald(dataDir, 'postgres://herald:s3cret@127.0.0.1:1/herald');
    assert.equal(await running.ready, null, running.output());
    assert.equal(await running.exit, 1);
    const output = running.output();
    assert.match(output, /^Herald could not start: the database in DATABASE_URL \(postgres:\/\/herald@127\.0\.0\.1:1\/herald\) cannot be reached.*ECONNREFUSED.*start the database or fix DATABASE_URL\.$/m);
    assert.doesNotMatch(output, /s3cret/);
    assert.doesNotMatch(output, /\n\s+at /, 'no stack trace');
  });

  describe('with the database up', () => {
    let db: TestSchema;
    before(async () => {
      db = await freshSchema('start');
    });
    after(async () => db?.drop());

    it('migrates it, keeps Herald\'s state there (nothing in DATA_DIR) and reports it in /healthz', async () => {
      const url = new URL(db.url);
      url.searchParams.set('options', `-c search_path=${db.schema}`);
      running = startHerald(dataDir, url.toString());
      const base = await running.ready;
      assert.ok(base, running.output());
      const health = (await (await fetch(`${base}/healthz`)).json()) as { store?: Record<string, unknown> };
      assert.equal(health.store?.kind, 'postgres');
      assert.equal(health.store?.reachable, true);
      assert.equal(health.store?.migrationVersion, Math.max(...MIGRATIONS.map((m) => m.version)));
      const applied = await db.admin(`SELECT version FROM ${db.schema}.herald_migrations ORDER BY version`);
      assert.deepEqual(applied.rows, MIGRATIONS.map((m) => ({ version: m.version })));
      // The generated notification certificate is in the database, for every instance.
      assert.equal((await db.admin(`SELECT thumbprint FROM ${db.schema}.notification_certificates`)).rowCount, 1);
      await assert.rejects(access(join(dataDir, 'certificates')), 'no certificate in DATA_DIR');
      // Adding Herald to the playground's chat is stored in PostgreSQL, not in an embedded store.
      const installed = await fetch(`${base}/playground/api/herald/install`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      assert.equal(installed.status, 200, await installed.text());
      const rows = await db.admin(`SELECT doc->>'status' AS status FROM ${db.schema}.installations`);
      assert.deepEqual(rows.rows, [{ status: 'installed' }]);
      await assert.rejects(access(join(dataDir, 'herald.db')), 'no embedded store in DATA_DIR');
      await assert.rejects(access(join(dataDir, 'playground', 'herald', 'herald.db')), 'nor in the playground’s folder');
      running.kill('SIGTERM');
      assert.equal(await running.exit, 0, running.output());
    });
  });
});
