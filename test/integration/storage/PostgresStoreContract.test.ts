import assert from 'node:assert/strict';
import { StoreUnavailableError } from '../../../src/storage/errors.js';
import { openPostgresStore, type PostgresStore } from '../../../src/storage/postgres/PostgresStore.js';
import { MIGRATIONS } from '../../../src/storage/schema/migrations.js';
import { startOutageProxy } from '../../support/storage/outageProxy.js';
import { storeContractSuite } from '../../support/storage/storeContractSuite.js';
import { installation } from '../../support/storage/storeRecords.js';
import { freshSchema, waitFor, type TestSchema } from '../../support/storage/testPostgres.js';

const TABLES = ['installations', 'subscriptions', 'chats', 'inbox', 'outbox', 'pending_summaries', 'pending_creations', 'change_logs', 'history', 'seen_keys', 'notification_certificates', 'instances'];

describe('store contract: PostgreSQL', () => {
  let db: TestSchema;
  before(async function () {
    this.timeout(120_000); // starting an embedded server (no reachable PostgreSQL) takes a while
    db = await freshSchema('contract');
  });
  after(async () => {
    await db?.drop();
  });

  describe('connections terminated by the server (pg_terminate_backend)', () => {
    let store: PostgresStore;
    const app = () => `herald-test-${db.schema}`.slice(0, 63);
    beforeEach(async () => {
      store = await openPostgresStore({ url: db.url, schema: db.schema, applicationName: app() });
    });
    afterEach(async () => store?.close());

    it('rejects the operation in flight with STORE_UNAVAILABLE, then serves the next one on a new connection', async () => {
      const holder = await db.connect();
      try {
        // Hold the update's per-key lock so the update is in flight when its connection is terminated.
        await holder.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', ['installations:19:one']);
        const update = store.installations.update('19:one', () => installation('19:one')).then(() => null, (error: unknown) => error);
        await waitFor(async () => (await db.admin("SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'", [app()])).rowCount === 1);
        await db.admin('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [app()]);
        const error = await update;
        assert.ok(error instanceof StoreUnavailableError, String(error));
        assert.equal(error.driverCode, '57P01');
        await holder.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', ['installations:19:one']);
      } finally {
        holder.release();
      }
      assert.equal((await store.installations.update('19:one', () => installation('19:one')))?.chatId, '19:one');
      assert.equal((await store.installations.get('19:one'))?.chatId, '19:one');
    });

    it('frees a key lock when its holder\'s connection dies (a killed instance), so another instance takes it', async () => {
      const other = await openPostgresStore({ url: db.url, schema: db.schema });
      try {
        let release!: () => void;
        const held = new Promise<void>((resolve) => (release = resolve));
        const holding = store.locks.run('chat:19:one', () => held);
        // This store's own lock connection (other test runs may hold advisory locks on the same server).
        const grantedToHolder = "SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = $1";
        await waitFor(async () => (await db.admin(grantedToHolder, [`${app()}-locks`])).rowCount === 1);
        const waiting = other.locks.run('chat:19:one', async () => 'taken over');
        await db.admin('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [`${app()}-locks`]);
        assert.equal(await waiting, 'taken over');
        release();
        await holding;
      } finally {
        await other.close();
      }
    });
  });

  describe('the database cut away mid-transaction (a connection that is checked out, idle between statements)', () => {
    it('fails the transaction with STORE_UNAVAILABLE instead of crashing the process on the connection\'s error event', async () => {
      const relay = await startOutageProxy(db.url);
      const store = await openPostgresStore({ url: relay.url, schema: db.schema, connectTimeoutMs: 1_000 });
      try {
        const outcome = store
          .transaction(async (tx) => {
            await tx.installations.get('19:one');
            await new Promise((resolve) => setTimeout(resolve, 300));
            await tx.installations.put('19:one', installation('19:one'));
          })
          .then(() => null, (error: unknown) => error);
        await new Promise((resolve) => setTimeout(resolve, 100));
        await relay.cut();
        const error = await outcome;
        assert.ok(error instanceof StoreUnavailableError, String(error));
        await relay.restore();
        assert.equal(await store.installations.get('19:one'), undefined, 'nothing of the transaction was applied; a fresh connection after the outage');
      } finally {
        await store.close();
        await relay.close();
      }
    });
  });

  storeContractSuite({
    migrationVersion: Math.max(...MIGRATIONS.map((m) => m.version)),
    losesDatabase: true,
    world: async () => {
      // Two instances: two stores, each with its own pool, on one schema (emptied for each test).
      const a = await openPostgresStore({ url: db.url, schema: db.schema });
      const b = await openPostgresStore({ url: db.url, schema: db.schema });
      await db.admin(`TRUNCATE ${TABLES.map((t) => `${db.schema}.${t}`).join(', ')}`);
      const proxy = await startOutageProxy(db.url);
      const c = await openPostgresStore({ url: proxy.url, schema: db.schema, connectTimeoutMs: 1_000 });
      return {
        a,
        b,
        outage: { store: c, cut: proxy.cut, restore: proxy.restore },
        teardown: async () => {
          await Promise.all([a.close(), b.close(), c.close()]);
          await proxy.close();
        },
      };
    },
  });
});
