import { HeraldError } from '../kernel/errors.js';

/** The storage layer's own short codes (kept for `/healthz` and logs); the catalogue code is `code`. */
export type StoreErrorCode = 'STORE_UNAVAILABLE' | 'STORE_MIGRATION_FAILED';

/**
 * The store cannot be reached (database down, network cut, connection refused or dropped). Nothing was
 * written by the operation that failed unless the database committed it before the connection broke;
 * callers answer 5xx (Graph retries) and try again later. The store recovers by itself once the
 * database is back.
 */
export class StoreUnavailableError extends HeraldError {
  readonly storeCode = 'STORE_UNAVAILABLE' satisfies StoreErrorCode;
  /** The driver's own code (`ECONNREFUSED`, `57P01`…), when it gave one. */
  readonly driverCode: string | null;

  constructor(
    /** What was being done, e.g. `installations.get`. */
    readonly operation: string,
    /** Where the store is, without credentials, e.g. `postgres://db.example:5432/herald`. */
    readonly location: string,
    cause: unknown,
  ) {
    super('herald.store.unavailable', `the database in DATABASE_URL (${location}) cannot be reached (${operation}): ${describeCause(cause)}`, { cause, context: { location, operation } });
    this.name = 'StoreUnavailableError';
    const code = (cause as { code?: unknown } | null)?.code;
    this.driverCode = typeof code === 'string' ? code : null;
  }
}

/** A schema migration failed; its transaction was rolled back, so no part of it (or of later ones) is applied. */
export class StoreMigrationError extends HeraldError {
  readonly storeCode = 'STORE_MIGRATION_FAILED' satisfies StoreErrorCode;

  constructor(
    readonly version: number,
    readonly migration: string,
    cause: unknown,
  ) {
    super('herald.store.migration_failed', `database migration ${version} (${migration}) failed and was rolled back: ${describeCause(cause)}`, { cause, context: { version, migration } });
    this.name = 'StoreMigrationError';
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
