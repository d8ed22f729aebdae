import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { StoreMigrationError, StoreUnavailableError } from '../../../src/storage/errors.js';
import { openPostgresStore } from '../../../src/storage/postgres/PostgresStore.js';
import { MIGRATIONS, type Migration } from '../../../src/storage/schema/migrations.js';
import { freshSchema, type TestSchema } from '../../support/storage/testPostgres.js';

const LATEST = Math.max(...MIGRATIONS.map((m) => m.version));

describe('PostgreSQL store: migrations at start-up', () => {
  let db: TestSchema;
  beforeEach(async function () {
    this.timeout(120_000); // an embedded server is started on the first call when none answers
    db = await freshSchema('migrations');
  });
  afterEach(async () => {
    await db?.drop();
  });

  const tablesOf = async (): Promise<string[]> =>
    (await db.admin('SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name', [db.schema])).rows.map((r: { table_name: string }) => r.table_name);
  const appliedVersions = async (): Promise<number[]> =>
    (await db.admin(`SELECT version FROM ${db.schema}.herald_migrations ORDER BY version`)).rows.map((r: { version: number }) => r.version);
  const open = (migrations?: readonly Migration[]) => openPostgresStore({ url: db.url, schema: db.schema, migrations });

  it('creates the schema on an empty database and records each migration once', async () => {
    const store = await open();
    try {
      assert.equal(store.migrationVersion, LATEST);
      assert.deepEqual(await appliedVersions(), MIGRATIONS.map((m) => m.version));
      for (const table of ['installations', 'subscriptions', 'chats', 'inbox', 'outbox', 'pending_summaries', 'change_logs', 'history', 'seen_keys']) {
        assert.ok((await tablesOf()).includes(table), `table ${table}`);
      }
    } finally {
      await store.close();
    }
  });

  it('lets several instances start at the same moment: each ends on the newest version, each migration applied once', async () => {
    const stores = await Promise.all(Array.from({ length: 4 }, () => open()));
    try {
      assert.deepEqual(stores.map((s) => s.migrationVersion), [LATEST, LATEST, LATEST, LATEST]);
      assert.deepEqual(await appliedVersions(), MIGRATIONS.map((m) => m.version));
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('applies nothing again when the schema is current, keeping the data', async () => {
    const first = await open();
    await first.seen.add('k', new Date('2026-03-01T00:00:00Z'));
    await first.close();
    const again = await open();
    try {
      assert.equal(await again.seen.has('k'), true);
      assert.deepEqual(await appliedVersions(), MIGRATIONS.map((m) => m.version));
    } finally {
      await again.close();
    }
  });

  describe('a failing migration', () => {
    const good: Migration = { version: 1, name: 'first table', up: async (db) => void (await sql`CREATE TABLE first_table (id integer PRIMARY KEY)`.execute(db)) };
    const bad: Migration = {
      version: 2,
      name: 'broken',
      up: async (db) => {
        await sql`CREATE TABLE second_table (id integer)`.execute(db);
        await sql`SELECT no_such_column FROM first_table`.execute(db);
      },
    };
    const after: Migration = { version: 3, name: 'after the broken one', up: async (db) => void (await sql`CREATE TABLE third_table (id integer)`.execute(db)) };

    it('leaves nothing of itself nor of the migrations pending with it', async () => {
      await assert.rejects(open([good, bad, after]), (error: unknown) => error instanceof StoreMigrationError && error.version === 2 && error.code === 'herald.store.migration_failed');
      assert.deepEqual(await tablesOf(), [], 'not even herald_migrations');
    });

    it('keeps the migrations applied by an earlier start, and the version they reached', async () => {
      await (await open([good])).close();
      await assert.rejects(open([good, bad, after]), StoreMigrationError);
      assert.deepEqual(await tablesOf(), ['first_table', 'herald_migrations']);
      assert.deepEqual(await appliedVersions(), [1]);
    });
  });
});

describe('PostgreSQL store: a database that is down at start', () => {
  it('fails to open with STORE_UNAVAILABLE, naming DATABASE_URL without its password', async () => {
    // Port 1 on loopback: nothing listens there.
    const opening = openPostgresStore({ url: 'postgres://herald:s3cret@127.0.0.1:1/herald', connectTimeoutMs: 2_000 });
    await assert.rejects(opening, (error: unknown) => {
      assert.ok(error instanceof StoreUnavailableError);
      assert.equal(error.code, 'herald.store.unavailable');
      assert.equal(error.driverCode, 'ECONNREFUSED');
      assert.match(error.message, /DATABASE_URL \(postgres:\/\/herald@127\.0\.0\.1:1\/herald\)/);
      assert.doesNotMatch(error.message, /s3cret/);
      return true;
    });
  });
});
