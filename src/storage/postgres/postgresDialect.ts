import { sql } from 'kysely';
import type { Dialect } from '../dialect.js';
import { StoreUnavailableError } from '../errors.js';
import { lostBeforeUse, type PgConnection } from './PgConnection.js';
import { fromPg, fromPgText, toPg, toPgText } from './pgText.js';

/** Advisory lock namespace of migrations ('HRLD'); the second half is the schema, so schemas migrate independently. */
const MIGRATION_LOCK = 0x48524c44;

/** PostgreSQL's side of the dialect: jsonb documents, NUL-safe strings, advisory locks, SKIP LOCKED claims. */
export function postgresDialect(connection: PgConnection): Dialect {
  return {
    kind: 'postgres',
    location: connection.location,
    jsonType: 'jsonb',
    sequenceColumn: (table, column) => table.addColumn(column, 'bigserial', (c) => c.primaryKey()),
    skipLockedClaims: true,
    text: toPgText,
    fromText: fromPgText,
    encodeDoc: (item) => JSON.stringify(toPg(item)),
    decodeDoc: <T>(value: unknown) => fromPg(value) as T,
    // Seed 0: a key space apart from the key locks' (seed 2, pgKeyLocks).
    lockKey: async (trx, space, key) => {
      await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`${space}:${toPgText(key)}`}, 0))`.execute(trx);
    },
    lockMigrations: async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK}, hashtext(current_schema()))`.execute(trx);
    },
    retryable: lostBeforeUse,
    translate: (operation, error) => (error instanceof StoreUnavailableError ? error : connection.translate(operation, error)),
  };
}
