import { MIGRATIONS } from '../../../src/storage/postgres/migrations.js';
import { PostgresStore } from '../../../src/storage/postgres/PostgresStore.js';
import { startOutageProxy } from '../../support/storage/outageProxy.js';
import { storeContractSuite } from '../../support/storage/storeContractSuite.js';
import { freshSchema, type TestSchema } from '../../support/storage/testPostgres.js';

const TABLES = ['installations', 'subscriptions', 'chats', 'inbox', 'outbox', 'pending_summaries', 'change_logs', 'history', 'seen_keys'];

describe('store contract: PostgreSQL', () => {
  let db: TestSchema;
  before(async function () {
    this.timeout(120_000); // starting an embedded server (no reachable PostgreSQL) takes a while
    db = await freshSchema('contract');
  });
  after(async () => {
    await db?.drop();
  });

  storeContractSuite({
    migrationVersion: Math.max(...MIGRATIONS.map((m) => m.version)),
    losesDatabase: true,
    world: async () => {
      // Two instances: two stores, each with its own pool, on one schema (emptied for each test).
      const a = await PostgresStore.open({ url: db.url, schema: db.schema });
      const b = await PostgresStore.open({ url: db.url, schema: db.schema });
      await db.admin(`TRUNCATE ${TABLES.map((t) => `${db.schema}.${t}`).join(', ')}`);
      const proxy = await startOutageProxy(db.url);
      const c = await PostgresStore.open({ url: proxy.url, schema: db.schema, connectTimeoutMs: 1_000 });
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
