import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openSqliteStore } from '../../../src/storage/sqlite/SqliteStore.js';
import { installation } from '../../support/storage/storeRecords.js';
import { freshSchema, type TestSchema } from '../../support/storage/testPostgres.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const run = promisify(execFile);

/** `npm run store:migrate -- …` from the repository root with only the environment given. */
async function storeMigrate(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run('npm', ['run', '--silent', 'store:migrate', '--', ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } });
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, out: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

describe('npm run store:migrate', function () {
  this.timeout(120_000);
  let db: TestSchema;
  let dataDir: string;
  before(async () => {
    db = await freshSchema('cli');
    dataDir = await mkdtemp(join(tmpdir(), 'herald-migrate-'));
    const store = await openSqliteStore(dataDir);
    await store.installations.put('19:one', installation('19:one'));
    await store.close();
  });
  after(async () => {
    await db?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const databaseUrl = () => {
    const url = new URL(db.url);
    url.searchParams.set('options', `-c search_path=${db.schema}`);
    return url.toString();
  };

  it('copies --from a DATA_DIR into DATABASE_URL and says what it copied', async () => {
    const { code, out } = await storeMigrate(['--from', dataDir], { DATABASE_URL: databaseUrl() });
    assert.equal(code, 0, out);
    assert.match(out, /copied .* installations 1,/);
    const rows = await db.admin(`SELECT key, tenant_id FROM ${db.schema}.installations`);
    assert.deepEqual(rows.rows, [{ key: '19:one', tenant_id: 'tenant-a' }]);
  });

  it('refuses without DATABASE_URL, naming it', async () => {
    const { code, out } = await storeMigrate(['--from', dataDir], {});
    assert.equal(code, 1);
    assert.match(out, /^store:migrate: DATABASE_URL: set it/m);
  });

  it('copies again without harm (the same records, nothing twice)', async () => {
    const { code, out } = await storeMigrate(['--from', dataDir], { DATABASE_URL: databaseUrl() });
    assert.equal(code, 0, out);
    const rows = await db.admin(`SELECT key FROM ${db.schema}.installations`);
    assert.deepEqual(rows.rows, [{ key: '19:one' }]);
  });

  it('refuses a folder that holds no embedded store, and creates nothing there', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'herald-migrate-empty-'));
    try {
      const { code, out } = await storeMigrate(['--from', empty], { DATABASE_URL: databaseUrl() });
      assert.equal(code, 1);
      assert.match(out, /holds no embedded store \(no herald\.db\)/);
      assert.deepEqual(await readdir(empty), []);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
