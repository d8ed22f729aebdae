import type { Dialect } from '../dialect.js';
import { StoreUnavailableError } from '../errors.js';

// SQLite's codes for "the disk or the file refuses writes now" (full, read-only, I/O error, the file or
// its journal cannot be opened, locked by someone else): the store is unavailable until that changes,
// as opposed to a wrong query. https://www.sqlite.org/rescode.html
const UNAVAILABLE = /^SQLITE_(FULL|READONLY|IOERR|CANTOPEN|BUSY|LOCKED|PROTOCOL|NOLFS)/;

export function isSqliteUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && UNAVAILABLE.test(code);
}

/** Whether writes are failing now (set by a failed write, cleared by the next that succeeds). */
export interface WriteFailures {
  current: StoreUnavailableError | null;
  onFailure(error: StoreUnavailableError): void;
  onRecovery(): void;
}

/** SQLite's side of the dialect: one connection, text documents, strings as they are. */
export function sqliteDialect(location: string, failures: WriteFailures): Dialect {
  return {
    kind: 'embedded',
    location,
    jsonType: 'text',
    // An INTEGER PRIMARY KEY is the row id, which SQLite numbers by itself.
    sequenceColumn: (table, column) => table.addColumn(column, 'integer', (c) => c.primaryKey()),
    skipLockedClaims: false,
    text: (value) => value,
    fromText: (value) => value,
    encodeDoc: (item) => JSON.stringify(item),
    decodeDoc: <T>(value: unknown) => JSON.parse(String(value)) as T,
    lockKey: async () => {},
    lockMigrations: async () => {},
    translate: (operation, error, write) => {
      if (error instanceof StoreUnavailableError || !isSqliteUnavailable(error)) return error;
      const unavailable = new StoreUnavailableError(operation, location, error, 'embedded');
      if (write) failures.onFailure(unavailable);
      return unavailable;
    },
    wrote: () => {
      if (failures.current) failures.onRecovery();
    },
  };
}
