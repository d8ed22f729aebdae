import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteDatabase, type SqliteStatement } from 'kysely';
import { LRUCache } from 'lru-cache';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { KeyedQueue } from '../../kernel/KeyedQueue.js';
import { StoreCorruptError, StoreInUseError, type StoreUnavailableError } from '../errors.js';
import { sqlStore, type EngineStore } from '../queries/sqlStore.js';
import { applyMigrations } from '../schema/migrations.js';
import type { Tables } from '../schema/tables.js';
import { holderOf, removePidFile, writePidFile } from './dataDirLock.js';
import { GroupCommit } from './GroupCommit.js';
import { sqliteDialect, type WriteFailures } from './sqliteDialect.js';

/** The embedded store's file in DATA_DIR. */
export const STORE_FILE = 'herald.db';
/** `PRAGMA application_id` of Herald's file ('HRLD'): a SQLite file of another application is refused, never changed. */
export const HERALD_APPLICATION_ID = 0x48524c44;
/** How long a statement waits for a lock before failing (only ever this process's own checkpoints). */
const BUSY_TIMEOUT_MS = 5_000;

export interface SqliteStoreOptions {
  log?: Logger;
}

export interface SqliteStore extends EngineStore {
  /** The file (or `:memory:`). */
  readonly location: string;
  readonly migrationVersion: number;
  /** The connection itself, for what only SQLite has (tests fill the disk with `max_page_count`). */
  readonly connection: Database.Database;
  /** COMMITs made so far: each is one fsync of the log (`synchronous=FULL`), shared by a group of units. */
  readonly commits: number;
}

/**
 * Herald's embedded store: one SQLite file, `DATA_DIR/herald.db`, held by this process alone.
 *
 * - Exclusive: `locking_mode=EXCLUSIVE` takes the file's lock at open and keeps it until close, so a
 *   second process on the same DATA_DIR is refused at start (StoreInUseError, naming the holder from
 *   the pid file). The operating system drops the lock when its holder dies.
 * - Durable before it answers: WAL with `synchronous=FULL`, so each commit is on disk (fsync of the
 *   log) before its promise resolves, and a kill -9 loses nothing committed. Writes are short
 *   transactions on one connection; the WAL makes each one an append. Concurrent transactions and
 *   writes share commits (GroupCommit): one fsync for all that were waiting.
 * - A file that is not Herald's (not SQLite, damaged header, another application's database) is refused
 *   at open (StoreCorruptError), never changed.
 */
export async function openSqliteStore(dataDir: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
  await mkdir(dataDir, { recursive: true });
  const path = join(dataDir, STORE_FILE);
  const connection = new Database(path, { timeout: 0 });
  try {
    await takeExclusively(connection, dataDir, path);
    connection.pragma('synchronous = FULL');
    connection.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // Savepoints (each unit of a group commit has one) journal in memory, not in temporary files on disk.
    connection.pragma('temp_store = MEMORY');
  } catch (error) {
    connection.close();
    throw error;
  }
  await writePidFile(dataDir);
  return bind(connection, path, options, async () => removePidFile(dataDir));
}

/** A store in memory: the same engine, schema and queries, for tests and tools that need no disk. */
export async function openSqliteMemory(options: SqliteStoreOptions = {}): Promise<SqliteStore> {
  const connection = new Database(':memory:');
  connection.pragma(`application_id = ${HERALD_APPLICATION_ID}`);
  return bind(connection, ':memory:', options, async () => {});
}

async function takeExclusively(connection: Database.Database, dataDir: string, path: string): Promise<void> {
  try {
    connection.pragma('locking_mode = EXCLUSIVE');
    // Reads the header (a file that is not SQLite fails here) and takes the lock for good.
    connection.pragma('journal_mode = WAL');
    connection.exec('BEGIN IMMEDIATE; COMMIT');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') throw new StoreInUseError(dataDir, await holderOf(dataDir));
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') throw new StoreCorruptError(path, 'is not a Herald store (not a SQLite database, or a damaged one)', error);
    throw error;
  }
  const applicationId = connection.pragma('application_id', { simple: true }) as number;
  if (applicationId === HERALD_APPLICATION_ID) return;
  const tables = connection.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'").get() as { n: number };
  if (applicationId !== 0 || tables.n > 0) throw new StoreCorruptError(path, "is a SQLite database of another application, not Herald's");
  connection.pragma(`application_id = ${HERALD_APPLICATION_ID}`);
}

async function bind(connection: Database.Database, location: string, options: SqliteStoreOptions, released: () => Promise<void>): Promise<SqliteStore> {
  const log = options.log;
  const failures: WriteFailures = {
    current: null,
    onFailure: (error: StoreUnavailableError) => {
      if (!failures.current) log?.error({ code: error.code, driverCode: error.driverCode, location, err: error.message }, 'the embedded store cannot write: notifications are refused (Graph retries them) until it can');
      failures.current = error;
    },
    onRecovery: () => {
      failures.current = null;
      log?.info({ location }, 'the embedded store writes again');
    },
  };
  const dialect = sqliteDialect(location, failures);
  const counted = { commits: 0 };
  const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: forKysely(connection, counted) }) });
  let migrationVersion: number;
  try {
    migrationVersion = await applyMigrations(db, dialect);
    // The file is this process's alone: every lease in it was held by a process that is gone, so its
    // work is free to take now rather than when that lease would have run out.
    for (const table of ['inbox', 'outbox'] as const) await db.updateTable(table).set({ leased_by: null, leased_until: null }).where('leased_by', 'is not', null).execute();
  } catch (error) {
    await db.destroy();
    throw error;
  }
  const locks = new KeyedQueue();
  const units = new GroupCommit(db, dialect, connection);
  let closed = false;
  const store = sqlStore({
    db,
    dialect,
    units,
    // One process holds the file: an in-process queue per key is the whole lock.
    locks: { run: (key, task) => locks.run(key, task) },
    sharesCertificates: false,
    health: async () => {
      const failure = failures.current;
      return failure
        ? { kind: 'embedded', reachable: false, migrationVersion, error: failure.driverCode ?? failure.code, advice: failure.advice }
        : { kind: 'embedded', reachable: true, migrationVersion };
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await units.idle();
      await db.destroy();
      await released();
    },
  });
  return Object.defineProperties(Object.assign(store, { location, migrationVersion, connection }), {
    commits: { get: () => counted.commits, enumerable: true },
  }) as SqliteStore;
}

/**
 * The connection as Kysely drives it, with two things Kysely's SQLite driver leaves out: prepared
 * statements are kept and reused (compiling one costs more than running it), and a ROLLBACK after
 * SQLite already rolled the transaction back by itself (it does on a full disk or an I/O error) is
 * skipped, so the caller sees that error, not "no transaction is active". COMMITs that succeed are
 * counted (`SqliteStore.commits`).
 */
function forKysely(connection: Database.Database, counted: { commits: number }): SqliteDatabase {
  const statements = new LRUCache<string, Database.Statement>({ max: 256 });
  const nothing: SqliteStatement = { reader: false, all: () => [], run: () => ({ changes: 0, lastInsertRowid: 0 }), iterate: () => [][Symbol.iterator]() };
  return {
    close: () => connection.close(),
    prepare: (sql) => {
      if (sql === 'rollback' && !connection.inTransaction) return nothing;
      let statement = statements.get(sql);
      if (!statement) statements.set(sql, (statement = connection.prepare(sql)));
      if (sql !== 'commit') return statement as unknown as SqliteStatement;
      const commit = statement as unknown as SqliteStatement;
      return {
        reader: false,
        all: () => [],
        iterate: () => [][Symbol.iterator](),
        run: (parameters) => {
          const result = commit.run(parameters);
          counted.commits++;
          return result;
        },
      };
    },
  };
}
