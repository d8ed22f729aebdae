import assert from 'node:assert/strict';
import { openSqliteMemory } from '../../../src/storage/sqlite/SqliteStore.js';
import { MIGRATIONS } from '../../../src/storage/schema/migrations.js';
import { openPostgresStore, type PostgresStore } from '../../../src/storage/postgres/PostgresStore.js';
import { storeHealthReport } from '../../../src/app/storeHealthReport.js';
import { startOutageProxy, type OutageProxy } from '../../support/storage/outageProxy.js';
import { freshSchema, type TestSchema } from '../../support/storage/testPostgres.js';

describe('the /healthz store section', () => {
  let now: Date;
  const clock = () => now;
  beforeEach(() => {
    now = new Date('2026-03-01T10:00:00.000Z');
  });

  it('reports the embedded store as reachable, with its migration version', async () => {
    const store = await openSqliteMemory();
    const report = storeHealthReport(store, { clock });
    assert.deepEqual(await report.refresh(), { kind: 'embedded', reachable: true, migrationVersion: Math.max(...MIGRATIONS.map((m) => m.version)), checkedAt: '2026-03-01T10:00:00.000Z' });
    await store.close();
  });

  describe('on PostgreSQL', () => {
    let db: TestSchema;
    let proxy: OutageProxy;
    let store: PostgresStore;
    before(async function () {
      this.timeout(120_000);
      db = await freshSchema('health');
    });
    beforeEach(async () => {
      proxy = await startOutageProxy(db.url);
      store = await openPostgresStore({ url: proxy.url, schema: db.schema, connectTimeoutMs: 1_000 });
    });
    afterEach(async () => {
      await store?.close();
      await proxy?.close();
    });
    after(async () => db?.drop());

    it('reports kind, reachability and the migration version', async () => {
      const report = storeHealthReport(store, { clock });
      const health = await report.refresh();
      assert.deepEqual(health, { kind: 'postgres', reachable: true, migrationVersion: Math.max(...MIGRATIONS.map((m) => m.version)), checkedAt: now.toISOString() });
      assert.deepEqual(report.read(), health);
    });

    it('answers from its last check until that is older than maxAgeMs, then finds the database gone', async () => {
      const report = storeHealthReport(store, { clock, maxAgeMs: 5_000 });
      await report.refresh();
      await proxy.cut();
      now = new Date(now.getTime() + 4_999);
      assert.equal(report.read().reachable, true, 'still the last answer');
      now = new Date(now.getTime() + 1);
      assert.equal(report.read().reachable, true, 'the answer at hand, while a new check runs');
      const checked = await report.refresh();
      assert.equal(checked.reachable, false);
      assert.equal(checked.error, 'STORE_UNAVAILABLE');
      assert.equal(report.read().reachable, false);
    });
  });
});
