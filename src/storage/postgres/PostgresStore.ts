import { pgKeyLocks } from './pgKeyLocks.js';
import type { ChatState } from '../../model/chat.js';
import type { HistoryEntry } from '../../model/history.js';
import type { InboxBatch, OutboxPost, PendingSummary } from '../../model/inbox.js';
import type { Installation } from '../../model/installation.js';
import type { PendingCreationRecord, SubscriptionRecord } from '../../model/subscription.js';
import type { ResourceChangeLog } from '../HeraldStore.js';
import { HISTORY_LIMIT_PER_CHAT } from '../LowdbStore.js';
import { RECORD_SHAPES } from '../recordShapes.js';
import type { AsyncCollection, AsyncHistoryLog, AsyncSeenKeys, ClaimableCollection, KeyLocks, SharedCertificates, StoreContract, StoreHealth, StoredCertificate } from '../StoreContract.js';
import { applyMigrations, MIGRATIONS, type Migration } from './migrations.js';
import { StoreUnavailableError } from '../StoreErrors.js';
import { PgConnection, type PgConnectionOptions } from './PgConnection.js';
import { pgClaimableCollection, pgCollection } from './PgCollection.js';
import { fromPg, toPg, toPgText } from './pgText.js';

export interface PostgresStoreOptions extends PgConnectionOptions {
  /** Tests substitute their own; Herald always runs MIGRATIONS. */
  migrations?: readonly Migration[];
  /** Connections for key locks (each key held by this instance uses one). */
  lockConnections?: number;
}

/**
 * Herald's state in PostgreSQL, shared by any number of instances. Every write is committed before its
 * promise resolves. Opening connects and applies pending migrations; a database that cannot be reached
 * rejects with StoreUnavailableError (naming DATABASE_URL).
 */
export class PostgresStore implements StoreContract {
  readonly kind = 'postgres';
  readonly installations: AsyncCollection<Installation>;
  readonly subscriptions: AsyncCollection<SubscriptionRecord>;
  readonly chats: AsyncCollection<ChatState>;
  readonly inbox: ClaimableCollection<InboxBatch>;
  readonly outbox: ClaimableCollection<OutboxPost>;
  readonly pendingSummaries: AsyncCollection<PendingSummary>;
  readonly pendingCreations: AsyncCollection<PendingCreationRecord>;
  readonly changeLogs: AsyncCollection<ResourceChangeLog>;
  readonly history: AsyncHistoryLog;
  readonly seen: AsyncSeenKeys;
  readonly locks: KeyLocks;
  readonly certificates: SharedCertificates;

  private constructor(
    private readonly db: PgConnection,
    /** Connections that hold key locks, apart from the pool the work itself uses. */
    private readonly lockDb: PgConnection,
    /** Schema version this instance migrated to (or found) at start. */
    readonly migrationVersion: number,
  ) {
    this.installations = pgCollection(db, { name: 'installations', shape: RECORD_SHAPES.installations });
    this.subscriptions = pgCollection(db, { name: 'subscriptions', shape: RECORD_SHAPES.subscriptions });
    this.chats = pgCollection(db, { name: 'chats', shape: RECORD_SHAPES.chats });
    this.inbox = pgClaimableCollection(db, { name: 'inbox', shape: RECORD_SHAPES.inbox });
    this.outbox = pgClaimableCollection(db, { name: 'outbox', shape: RECORD_SHAPES.outbox });
    this.pendingSummaries = pgCollection(db, { name: 'pending_summaries', shape: RECORD_SHAPES.pendingSummaries });
    this.pendingCreations = pgCollection(db, { name: 'pending_creations', shape: RECORD_SHAPES.pendingCreations });
    this.changeLogs = pgCollection(db, { name: 'change_logs', shape: RECORD_SHAPES.changeLogs });
    this.history = historyLog(db);
    this.seen = seenKeys(db);
    this.locks = pgKeyLocks(lockDb);
    this.certificates = sharedCertificates(db);
  }

  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const db = new PgConnection(options);
    try {
      const version = await applyMigrations(db, options.migrations ?? MIGRATIONS);
      const lockDb = new PgConnection({ ...options, maxConnections: options.lockConnections ?? 20, applicationName: `${options.applicationName ?? 'herald'}-locks` });
      return new PostgresStore(db, lockDb, version);
    } catch (error) {
      await db.close().catch(() => undefined);
      throw error;
    }
  }

  /** DATABASE_URL without its password. */
  get location(): string {
    return this.db.location;
  }

  async health(): Promise<StoreHealth> {
    try {
      const { rows } = await this.db.query<{ version: number }>('health', 'SELECT coalesce(max(version), 0)::integer AS version FROM schema_migrations');
      return { kind: 'postgres', reachable: true, migrationVersion: rows[0]?.version ?? 0 };
    } catch (error) {
      const code = error instanceof StoreUnavailableError ? error.storeCode : (error as { code?: unknown }).code;
      return { kind: 'postgres', reachable: false, migrationVersion: this.migrationVersion, error: typeof code === 'string' ? code : 'STORE_UNAVAILABLE' };
    }
  }

  /** Every write is committed before it resolves: nothing to wait for. */
  async flush(): Promise<void> {}

  async close(): Promise<void> {
    await Promise.all([this.db.close(), this.lockDb.close()]);
  }
}

function historyLog(db: PgConnection): AsyncHistoryLog {
  return {
    append: async (entry) => {
      // One statement: the insert, and the same bound as the embedded store (the oldest appended entries
      // beyond it are dropped). The DELETE does not see the row being inserted, hence limit - 1.
      await db.query(
        'history.append',
        `WITH inserted AS (
           INSERT INTO history (chat_id, id, at, kind, doc) VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT (chat_id, id) DO NOTHING RETURNING seq
         )
         DELETE FROM history WHERE EXISTS (SELECT 1 FROM inserted) AND chat_id = $1
           AND seq <= (SELECT seq FROM history WHERE chat_id = $1 ORDER BY seq DESC OFFSET $6 LIMIT 1)`,
        [toPgText(entry.chatId), toPgText(entry.id), entry.at, toPgText(entry.kind), JSON.stringify(toPg(entry)), HISTORY_LIMIT_PER_CHAT - 1],
      );
    },
    list: async (chatId, query = {}) => {
      const params: unknown[] = [toPgText(chatId), query.limit ?? 50];
      let page = '';
      if (query.before) {
        // After the `before` entry in newest-first order; an unknown id pages from the start.
        params.push(toPgText(query.before));
        page = `AND NOT EXISTS (SELECT 1 FROM history b WHERE b.chat_id = $1 AND b.id = $3 AND NOT (h.at < b.at OR (h.at = b.at AND h.seq > b.seq)))`;
      }
      let kinds = '';
      if (query.kinds && query.kinds.length > 0) {
        params.push(query.kinds.map((kind) => toPgText(kind)));
        kinds = `AND h.kind = ANY($${params.length}::text[])`;
      }
      const { rows } = await db.query<{ doc: HistoryEntry }>(
        'history.list',
        `SELECT h.doc FROM history h WHERE h.chat_id = $1 ${page} ${kinds} ORDER BY h.at DESC, h.seq ASC LIMIT $2`,
        params,
      );
      return rows.map((row) => fromPg(row.doc));
    },
  };
}

function seenKeys(db: PgConnection): AsyncSeenKeys {
  return {
    add: async (key, at) => {
      const result = await db.query('seen.add', 'INSERT INTO seen_keys (key, at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [toPgText(key), at]);
      return result.rowCount === 1;
    },
    has: async (key) => {
      const { rows } = await db.query('seen.has', 'SELECT 1 FROM seen_keys WHERE key = $1', [toPgText(key)]);
      return rows.length > 0;
    },
    prune: async (before) => {
      const result = await db.query('seen.prune', 'DELETE FROM seen_keys WHERE at < $1', [before]);
      return result.rowCount ?? 0;
    },
  };
}

function sharedCertificates(db: PgConnection): SharedCertificates {
  return {
    list: async () => {
      const { rows } = await db.query<{ doc: StoredCertificate }>('certificates.list', 'SELECT doc FROM notification_certificates ORDER BY created_at');
      return rows.map((row) => row.doc);
    },
    add: async (certificate) => {
      await db.query(
        'certificates.add',
        'INSERT INTO notification_certificates (thumbprint, created_at, doc) VALUES ($1, $2, $3::jsonb) ON CONFLICT (thumbprint) DO NOTHING',
        [certificate.thumbprint, certificate.createdAt, JSON.stringify(certificate)],
      );
    },
  };
}
