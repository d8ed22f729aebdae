import { StoreMigrationError } from '../StoreErrors.js';
import { isUnavailable, type PgConnection } from './PgConnection.js';

/** One schema change. Versions only grow; a released migration is never edited, a new one is added. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

// Why hand-rolled: Herald's schema is a handful of tables, and what it needs from a migration tool is
// exactly two properties, each a few lines of SQL here: every migration pending at start-up applies in
// one transaction (all or nothing), and instances starting together serialise on an advisory lock.
// node-pg-migrate and friends add a CLI, config files and their own lock table for that.
//
// Migrations are additive (new tables, new nullable columns), so during a rolling deploy the instances
// still on the previous release keep working on the newer schema.
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'collections, history and seen keys',
    sql: `
      -- Every table whose records belong to a tenant carries tenant_id, so the schema can later be
      -- distributed by tenant (Citus / Azure Cosmos DB for PostgreSQL; the distribution column then
      -- joins the primary key). Records are JSONB documents; the columns beside them are what queries
      -- filter and order on.
      CREATE TABLE installations (key text PRIMARY KEY, tenant_id text NOT NULL, chat_id text, doc jsonb NOT NULL);
      CREATE INDEX installations_scope ON installations (tenant_id, chat_id);
      CREATE TABLE subscriptions (key text PRIMARY KEY, tenant_id text NOT NULL, chat_id text, doc jsonb NOT NULL);
      CREATE INDEX subscriptions_scope ON subscriptions (tenant_id, chat_id);
      CREATE INDEX subscriptions_chat ON subscriptions (chat_id);
      CREATE TABLE chats (key text PRIMARY KEY, tenant_id text NOT NULL, chat_id text, doc jsonb NOT NULL);
      CREATE INDEX chats_scope ON chats (tenant_id, chat_id);
      CREATE TABLE change_logs (key text PRIMARY KEY, tenant_id text NOT NULL, doc jsonb NOT NULL);
      CREATE INDEX change_logs_tenant ON change_logs (tenant_id);
      -- Summaries, posts and history belong to a chat; their records do not name its tenant yet.
      CREATE TABLE pending_summaries (key text PRIMARY KEY, chat_id text, doc jsonb NOT NULL);
      -- Work that instances claim with a lease (FOR UPDATE SKIP LOCKED on the claim index).
      CREATE TABLE inbox (
        key text PRIMARY KEY, order_at timestamptz NOT NULL, due_at timestamptz,
        leased_by text, leased_until timestamptz, doc jsonb NOT NULL
      );
      CREATE INDEX inbox_claim ON inbox (order_at, key);
      CREATE TABLE outbox (
        key text PRIMARY KEY, chat_id text, order_at timestamptz NOT NULL, due_at timestamptz,
        leased_by text, leased_until timestamptz, doc jsonb NOT NULL
      );
      CREATE INDEX outbox_claim ON outbox (order_at, key);
      CREATE INDEX outbox_chat ON outbox (chat_id);
      CREATE TABLE history (
        chat_id text NOT NULL, id text NOT NULL, seq bigserial NOT NULL, at timestamptz NOT NULL,
        kind text NOT NULL, doc jsonb NOT NULL, PRIMARY KEY (chat_id, id)
      );
      CREATE INDEX history_page ON history (chat_id, at DESC, seq);
      CREATE INDEX history_trim ON history (chat_id, seq DESC);
      CREATE TABLE seen_keys (key text PRIMARY KEY, at timestamptz NOT NULL);
      CREATE INDEX seen_keys_at ON seen_keys (at);
    `,
  },
  {
    version: 2,
    name: 'generated notification certificates, shared by every instance',
    sql: `
      -- Without NOTIFICATION_CERT_FILE, the certificate Herald generates must be the same on every
      -- instance: Graph may deliver a notification encrypted for it to any of them.
      CREATE TABLE notification_certificates (thumbprint text PRIMARY KEY, created_at timestamptz NOT NULL, doc jsonb NOT NULL);
    `,
  },
  {
    version: 3,
    name: 'subscriptions asked of Graph and not yet stored',
    sql: `
      -- Written before each POST /subscriptions: a notification through the new subscription may reach
      -- another instance before the 201, and the instance that sent the POST may die before it.
      CREATE TABLE pending_creations (key text PRIMARY KEY, tenant_id text NOT NULL, chat_id text, doc jsonb NOT NULL);
      CREATE INDEX pending_creations_scope ON pending_creations (tenant_id, chat_id);
    `,
  },
];

/** Advisory lock namespace ('HRLD'); the second half of the key is the schema, so schemas migrate independently. */
const LOCK_NAMESPACE = 0x48524c44;

/**
 * Brings the schema on `pool`'s search path up to the newest of `migrations`, all pending ones in one
 * transaction under a transaction-scoped advisory lock: an instance starting at the same moment waits,
 * then finds nothing left to do. A failing migration rolls everything back (StoreMigrationError).
 * Resolves with the schema's version afterwards (which may be newer than these migrations know).
 */
export async function applyMigrations(connection: PgConnection, migrations: readonly Migration[] = MIGRATIONS): Promise<number> {
  return connection.transaction('migrate', async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))', [LOCK_NAMESPACE]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const { rows } = await client.query<{ version: number }>('SELECT coalesce(max(version), 0)::integer AS version FROM schema_migrations');
    let version = rows[0]?.version ?? 0;
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (migration.version <= version) continue;
      try {
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      } catch (error) {
        throw isUnavailable(error) ? error : new StoreMigrationError(migration.version, migration.name, error);
      }
      version = migration.version;
    }
    return version;
  });
}
