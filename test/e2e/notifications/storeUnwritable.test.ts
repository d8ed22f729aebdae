import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateNotificationCertificate } from '../../../src/certificates/generateNotificationCertificate.js';
import { openSqliteStore, type SqliteStore } from '../../../src/storage/sqlite/SqliteStore.js';
import { LoginDouble } from '../../../sim/doubles/login/LoginDouble.js';
import { createLoopbackCa } from '../../../sim/doubles/tls/loopbackCa.js';
import { trustCaForFetch, type RestoreFetchTrust } from '../../../sim/doubles/tls/trustCaForFetch.js';
import { GraphNotifier, postJson, subscriptionRecord } from '../../support/notifications/graphNotifications.js';
import { settled, startHerald, type RunningHerald } from '../../support/notifications/heraldUnderTest.js';

interface StoreSection {
  kind: string;
  reachable: boolean;
  error?: string;
  advice?: string;
}

/**
 * The embedded store stops taking writes while Herald runs (a read-only DATA_DIR, a full disk): each is
 * made real inside SQLite (`query_only`, `max_page_count`), so the error travels the whole real path.
 */
describe('notification receive path: the embedded store cannot write', function () {
  this.timeout(60_000);
  let login: LoginDouble;
  let restoreTrust: RestoreFetchTrust;
  let dir: string;
  let herald: RunningHerald;
  let notifier: GraphNotifier;
  let store: SqliteStore;
  const clientId = randomUUID();
  const tenantId = randomUUID();
  const chatId = '19:00112233445566778899aabbccddeeff@thread.v2';
  const subscription = subscriptionRecord({ tenantId, chatId });

  before(async () => {
    const ca = await createLoopbackCa();
    restoreTrust = trustCaForFetch(ca.caCertPem);
    login = await LoginDouble.start({ tls: ca });
  });
  after(async () => {
    await login.close();
    restoreTrust();
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'herald-unwritable-'));
    const dataDir = join(dir, 'data');
    const seeded = await openSqliteStore(dataDir);
    await seeded.subscriptions.put(subscription.id, subscription);
    await seeded.close();
    const pair = await generateNotificationCertificate({ now: new Date(), validityDays: 30 });
    await writeFile(join(dir, 'cert.pem'), pair.certPem);
    await writeFile(join(dir, 'key.pem'), pair.keyPem, { mode: 0o600 });
    herald = await startHerald({ clientId, authorityHost: login.origin, dataDir, certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem'), certId: 'herald-unwritable' });
    store = herald.app.context.store as SqliteStore;
    notifier = new GraphNotifier({ login, audience: clientId, certificate: { id: 'herald-unwritable', certPem: pair.certPem } });
  });
  afterEach(async () => {
    await herald?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const deliver = async (people = 1) => {
    const items = Array.from({ length: people }, () => notifier.memberItem(subscription, { chatId, member: { userId: randomUUID(), tenantId } }));
    return (await postJson(`${herald.url}/api/notifications`, await notifier.batch(items))).status;
  };
  /** The /healthz store section once it says `reachable` is as expected (the store answers from memory). */
  const storeSection = async (reachable: boolean): Promise<StoreSection> => {
    for (;;) {
      const section = ((await (await fetch(`${herald.url}/healthz`)).json()) as { store: StoreSection }).store;
      if (section.reachable === reachable) return section;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  it('a read-only store: notifications are answered 503 (Graph retries), /healthz names the problem, and all is well once it is writable again', async () => {
    assert.equal(await deliver(), 202);
    await settled(herald.url, 1);
    store.connection.pragma('query_only = ON');
    assert.equal(await deliver(), 503, 'not stored, so not accepted');
    const problem = await storeSection(false);
    assert.equal(problem.kind, 'embedded');
    assert.equal(problem.error, 'SQLITE_READONLY');
    assert.match(problem.advice ?? '', /writable/);
    store.connection.pragma('query_only = OFF');
    assert.equal(await deliver(), 202, 'Graph’s retry is accepted');
    await storeSection(true);
    const health = await settled(herald.url, 2);
    assert.deepEqual([health.processed, health.inbox], [2, 0]);
  });

  it('a full disk: the same, and nothing of the refused batch is half stored', async () => {
    const pages = store.connection.pragma('page_count', { simple: true }) as number;
    store.connection.pragma(`max_page_count = ${pages}`);
    // Far more than the free pages the file has: the batch cannot fit.
    assert.equal(await deliver(400), 503);
    assert.equal((await storeSection(false)).error, 'SQLITE_FULL');
    assert.equal(await store.inbox.count(), 0);
    store.connection.pragma('max_page_count = 1073741823');
    assert.equal(await deliver(), 202);
    await storeSection(true);
    await settled(herald.url, 1);
  });
});
