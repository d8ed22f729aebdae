import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';
import { StoreMigrationError } from '../errors.js';
import type { Tables } from './tables.js';

/** One schema change. Versions only grow; a released migration is never edited, a new one is added. */
export interface Migration {
  version: number;
  name: string;
  up(db: Kysely<Tables>, dialect: Dialect): Promise<void>;
}

// One migration set for both engines, written with Kysely's schema builder; the few type names that
// differ come from the dialect. Migrations are additive (new tables, new nullable columns), so during a
// rolling deploy the instances still on the previous release keep working on the newer schema.
//
// Why not Kysely's Migrator: it refuses to run when the database holds a migration this release does
// not know (a newer instance migrated first), which is exactly the rolling deploy above. What Herald
// needs is two properties, each a few lines here: all pending migrations apply in one transaction (all
// or nothing), and instances starting together serialise on a lock (PostgreSQL: an advisory lock).
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'records, work queues, history, seen keys and certificates',
    up: async (db, dialect) => {
      const json = sql.raw(dialect.jsonType);
      // Every table whose records belong to a tenant carries tenant_id, so the schema can later be
      // distributed by tenant (Citus / Azure Cosmos DB for PostgreSQL).
      await db.schema
        .createTable('installations')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('chat_id', 'text', (c) => c.notNull())
        .addColumn('installed', 'integer', (c) => c.notNull())
        .addColumn('doc', json, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('installations_installed').on('installations').columns(['installed', 'tenant_id']).execute();

      await db.schema
        .createTable('subscriptions')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('chat_id', 'text')
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('cert_thumbprint', 'text')
        .addColumn('cert_id', 'text')
        .addColumn('doc', json, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('subscriptions_tenant').on('subscriptions').columns(['tenant_id', 'chat_id']).execute();
      await db.schema.createIndex('subscriptions_chat').on('subscriptions').column('chat_id').execute();
      await db.schema.createIndex('subscriptions_expiry').on('subscriptions').column('expires_at').execute();
      await db.schema.createIndex('subscriptions_certificate').on('subscriptions').columns(['cert_thumbprint', 'cert_id']).execute();

      await db.schema
        .createTable('chats')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('has_problem', 'integer', (c) => c.notNull())
        .addColumn('has_tenant_problem', 'integer', (c) => c.notNull())
        .addColumn('doc', json, (c) => c.notNull())
        .execute();
      // Partial indexes: few chats have a problem, so the questions about them read few rows.
      await db.schema.createIndex('chats_problem').on('chats').column('key').where(sql.ref('has_problem'), '=', 1).execute();
      await db.schema.createIndex('chats_tenant_problem').on('chats').column('tenant_id').where(sql.ref('has_tenant_problem'), '=', 1).execute();

      await db.schema
        .createTable('change_logs')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('oldest_at', 'bigint')
        .addColumn('doc', json, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('change_logs_oldest').on('change_logs').column('oldest_at').execute();

      await db.schema
        .createTable('pending_summaries')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('chat_id', 'text', (c) => c.notNull())
        .addColumn('doc', json, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('pending_creations')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('chat_id', 'text')
        .addColumn('doc', json, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('pending_creations_tenant').on('pending_creations').column('tenant_id').execute();

      // Work that instances claim with a lease.
      for (const table of ['inbox', 'outbox'] as const) {
        let work = db.schema
          .createTable(table)
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('order_at', 'bigint', (c) => c.notNull())
          .addColumn('due_at', 'bigint')
          .addColumn('leased_by', 'text')
          .addColumn('leased_until', 'bigint')
          .addColumn('doc', json, (c) => c.notNull());
        if (table === 'outbox') work = work.addColumn('chat_id', 'text', (c) => c.notNull());
        await work.execute();
        await db.schema.createIndex(`${table}_claim`).on(table).columns(['order_at', 'key']).execute();
      }
      await db.schema.createIndex('outbox_chat').on('outbox').column('chat_id').execute();

      await dialect
        .sequenceColumn(db.schema.createTable('history'), 'seq')
        .addColumn('chat_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('doc', json, (c) => c.notNull())
        .addUniqueConstraint('history_entry', ['chat_id', 'id'])
        .execute();
      await db.schema.createIndex('history_page').on('history').columns(['chat_id', 'at', 'seq']).execute();

      await db.schema
        .createTable('seen_keys')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('seen_keys_at').on('seen_keys').column('at').execute();

      // Without NOTIFICATION_CERT_FILE, the certificate Herald generates must be the same on every
      // instance: Graph may deliver a notification encrypted for it to any of them.
      await db.schema
        .createTable('notification_certificates')
        .addColumn('thumbprint', 'text', (c) => c.primaryKey())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('doc', json, (c) => c.notNull())
        .execute();
    },
  },
  {
    version: 2,
    name: 'instances and their last beat',
    up: async (db) => {
      // Work leased to an instance whose beats stopped is taken over at once (claims join this table).
      await db.schema
        .createTable('instances')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('beat_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
];

/**
 * Brings the schema up to the newest of `migrations`, all pending ones in one transaction, under the
 * dialect's migration lock: an instance starting at the same moment waits, then finds nothing left to
 * do. A failing migration rolls everything back (StoreMigrationError). Resolves with the schema's
 * version afterwards (which may be newer than these migrations know).
 */
export async function applyMigrations(db: Kysely<Tables>, dialect: Dialect, migrations: readonly Migration[] = MIGRATIONS): Promise<number> {
  try {
    return await migrateInOneTransaction(db, dialect, migrations);
  } catch (error) {
    throw dialect.translate('migrate', error, true);
  }
}

function migrateInOneTransaction(db: Kysely<Tables>, dialect: Dialect, migrations: readonly Migration[]): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await dialect.lockMigrations(trx);
    await trx.schema
      .createTable('herald_migrations')
      .ifNotExists()
      .addColumn('version', 'integer', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('applied_at', 'bigint', (c) => c.notNull())
      .execute();
    const found = await trx.selectFrom('herald_migrations').select((eb) => eb.fn.max('version').as('version')).executeTakeFirst();
    let version = Number(found?.version ?? 0);
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (migration.version <= version) continue;
      try {
        await migration.up(trx, dialect);
        await trx.insertInto('herald_migrations').values({ version: migration.version, name: migration.name, applied_at: Date.now() }).execute();
      } catch (error) {
        const translated = dialect.translate('migrate', error, true);
        throw translated !== error ? translated : new StoreMigrationError(migration.version, migration.name, error);
      }
      version = migration.version;
    }
    return version;
  });
}
