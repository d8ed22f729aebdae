import { explain } from '../kernel/errorCatalogue.js';
import { HeraldError } from '../kernel/errors.js';

/**
 * The store cannot be reached or written: the database is down or unreachable (PostgreSQL, code
 * `herald.store.unavailable`), or the embedded store's disk is full or read-only (SQLite,
 * `herald.store.write_failed`). Nothing was written by the operation that failed unless the database
 * committed it before the connection broke; callers answer 5xx (Graph retries) and try again later.
 * The store recovers by itself once the database answers or the disk takes writes again.
 */
export class StoreUnavailableError extends HeraldError {
  /** The driver's own code (`ECONNREFUSED`, `57P01`, `SQLITE_FULL`…), when it gave one. */
  readonly driverCode: string | null;

  constructor(
    /** What was being done, e.g. `installations.get`. */
    readonly operation: string,
    /** Where the store is, without credentials: `postgres://db.example:5432/herald`, or the SQLite file. */
    readonly location: string,
    cause: unknown,
    engine: 'postgres' | 'embedded' = 'postgres',
  ) {
    const code = (cause as { code?: unknown } | null)?.code;
    const driverCode = typeof code === 'string' ? code : null;
    const message =
      engine === 'postgres'
        ? `the database in DATABASE_URL (${location}) cannot be reached (${operation}): ${describeCause(cause)}`
        : `the embedded store ${location} cannot be written (${operation}): ${describeCause(cause)}`;
    super(engine === 'postgres' ? 'herald.store.unavailable' : 'herald.store.write_failed', message, { cause, context: { location, operation, driverCode } });
    this.name = 'StoreUnavailableError';
    this.driverCode = driverCode;
  }
}

/** A schema migration failed; its transaction was rolled back, so no part of it (or of later ones) is applied. */
export class StoreMigrationError extends HeraldError {
  constructor(
    readonly version: number,
    readonly migration: string,
    cause: unknown,
  ) {
    super('herald.store.migration_failed', `database migration ${version} (${migration}) failed and was rolled back: ${describeCause(cause)}`, { cause, context: { version, migration } });
    this.name = 'StoreMigrationError';
  }
}

/** The embedded store's file is not a SQLite database, or one of another application: Herald will not touch it. */
export class StoreCorruptError extends HeraldError {
  constructor(
    readonly path: string,
    why: string,
    cause?: unknown,
  ) {
    super('herald.store.corrupt', `${path} ${why}; move it aside to start fresh, or put back a backup (Herald refuses to start rather than lose what it holds)`, { cause, context: { path } });
    this.name = 'StoreCorruptError';
  }
}

/** Another process holds the embedded store in DATA_DIR (one process per DATA_DIR). */
export class StoreInUseError extends HeraldError {
  constructor(
    readonly dataDir: string,
    /** The holder's process id, when its pid file names a live process. */
    readonly pid: number | null,
  ) {
    super('herald.store.data_dir_in_use', explain('herald.store.data_dir_in_use', { dataDir, pid }), { context: { dataDir, pid } });
    this.name = 'StoreInUseError';
  }
}

function describeCause(cause: unknown): string {
  if (cause instanceof AggregateError && cause.errors.length > 0) return describeCause(cause.errors[0]);
  if (cause instanceof Error) return cause.message || ((cause as { code?: unknown }).code as string | undefined) || cause.name;
  return String(cause);
}

/** `postgres://user:secret@host/db` → `postgres://user@host/db`: locations are logged and shown, secrets never. */
export function redactDatabaseUrl(raw: string): string {
  try {
    const url = new URL(raw);
    url.password = '';
    url.search = '';
    return url.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}
