import { Kysely, PostgresDialect, sql } from 'kysely';
import { StoreUnavailableError } from '../errors.js';
import { sqlStore, type EngineStore } from '../queries/sqlStore.js';
import type { SharedCertificates } from '../Store.js';
import { applyMigrations, MIGRATIONS, type Migration } from '../schema/migrations.js';
import type { Tables } from '../schema/tables.js';
import { PgConnection, type PgConnectionOptions } from './PgConnection.js';
import { pgKeyLocks } from './pgKeyLocks.js';
import { postgresDialect } from './postgresDialect.js';

export interface PostgresStoreOptions extends PgConnectionOptions {
  /** Tests substitute their own; Herald always runs MIGRATIONS. */
  migrations?: readonly Migration[];
  /** Connections for key locks (each key held by this instance uses one). */
  lockConnections?: number;
}

export interface PostgresStore extends EngineStore {
  /** DATABASE_URL without its password. */
  readonly location: string;
  /** Schema version this instance migrated to (or found) at start. */
  readonly migrationVersion: number;
  readonly certificates: SharedCertificates;
}

/**
 * Herald's state in PostgreSQL, shared by any number of instances. Every write is committed before its
 * promise resolves. Opening connects and applies pending migrations; a database that cannot be reached
 * rejects with StoreUnavailableError (naming DATABASE_URL).
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const connection = new PgConnection(options);
  const dialect = postgresDialect(connection);
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool: connection.forKysely() }) });
  let migrationVersion: number;
  try {
    migrationVersion = await applyMigrations(db, dialect, options.migrations ?? MIGRATIONS);
  } catch (error) {
    await db.destroy().catch(() => undefined);
    throw error;
  }
  // Key locks hold a connection each while their task runs: a pool apart, so holders never starve the work.
  const lockConnection = new PgConnection({ ...options, maxConnections: options.lockConnections ?? 20, applicationName: `${options.applicationName ?? 'herald'}-locks` });
  const locks = pgKeyLocks(lockConnection, { log: options.log });
  const store = sqlStore({
    db,
    dialect,
    locks,
    lockedTransaction: (key, fn) => locks.inTransaction(db, key, (trx) => fn({ db: trx, dialect })),
    sharesCertificates: true,
    health: async () => {
      try {
        const row = await sql<{ version: number }>`SELECT coalesce(max(version), 0)::integer AS version FROM herald_migrations`.execute(db);
        return { kind: 'postgres', reachable: true, migrationVersion: row.rows[0]?.version ?? 0 };
      } catch (error) {
        const translated = connection.translate('health', error);
        const code = translated instanceof StoreUnavailableError ? 'STORE_UNAVAILABLE' : (error as { code?: unknown }).code;
        return { kind: 'postgres', reachable: false, migrationVersion, error: typeof code === 'string' ? code : 'STORE_UNAVAILABLE' };
      }
    },
    close: async () => {
      await Promise.all([db.destroy(), lockConnection.close()]);
    },
  });
  const { certificates } = store;
  if (!certificates) throw new Error('a PostgreSQL store shares certificates');
  return Object.assign(store, { location: connection.location, migrationVersion, certificates });
}
