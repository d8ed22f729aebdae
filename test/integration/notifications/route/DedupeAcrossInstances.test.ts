import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { NotificationKeyRing } from '../../../../src/certificates/NotificationKeyRing.js';
import { HeraldEvents } from '../../../../src/events/HeraldEvents.js';
import { silentLogger } from '../../../../src/log/createLogger.js';
import type { ChangeEvent } from '../../../../src/model/changeEvents.js';
import { InboxProcessor } from '../../../../src/notifications/inbox/InboxProcessor.js';
import { NotificationMetrics } from '../../../../src/notifications/inbox/NotificationMetrics.js';
import { ChatUnits } from '../../../../src/events/ChatUnits.js';
import { NotificationPipeline } from '../../../../src/notifications/route/NotificationPipeline.js';
import { ValidationTokenVerifier } from '../../../../src/notifications/verify/ValidationTokenVerifier.js';
import { openPostgresStore, type PostgresStore } from '../../../../src/storage/postgres/PostgresStore.js';
import type { LoginDouble } from '../../../../sim/doubles/login/LoginDouble.js';
import { subscriptionRecord, type GraphNotifier } from '../../../support/notifications/graphNotifications.js';
import { notifierSetup, type NotifierSetup } from '../../../support/notifications/notifierSetup.js';
import { freshSchema, type TestSchema } from '../../../support/storage/testPostgres.js';

/**
 * The receive path of two instances on one PostgreSQL (each its own PostgresStore, deduplicator and
 * inbox): Graph reports one change through the per-chat subscription to one instance and through the
 * tenant-wide one to the other (one public URL, any instance answers).
 */
describe('deduplication across instances (PostgreSQL)', function () {
  this.timeout(20_000);
  let db: TestSchema;
  let login: LoginDouble;
  let setup: NotifierSetup;
  let notifier: GraphNotifier;
  let ring: NotificationKeyRing;
  const clientId = randomUUID();
  const tenantId = randomUUID();
  const chatId = '19:0123456789abcdef0123456789abcdef@thread.v2';
  const perChat = subscriptionRecord({ tenantId, chatId });
  const tenantWide = subscriptionRecord({ tenantId, chatId: null });
  const stores: PostgresStore[] = [];
  const processors: InboxProcessor[] = [];

  before(async function () {
    this.timeout(120_000); // starting an embedded server (no reachable PostgreSQL) takes a while
    db = await freshSchema('dedupe');
    setup = await notifierSetup(clientId);
    ({ login, ring, notifier } = setup);
  });
  after(async () => {
    await setup?.close();
    await db?.drop();
  });
  afterEach(async () => {
    for (const processor of processors.splice(0)) await processor.stop();
    for (const store of stores.splice(0)) await store.close();
  });

  const instance = async (instanceId: string, changes: ChangeEvent[]) => {
    const store = await openPostgresStore({ url: db.url, schema: db.schema });
    stores.push(store);
    const events = new HeraldEvents();
    events.on('changes', (unit) => unit.afterCommit(() => void changes.push(...unit.changes)));
    const pipeline = new NotificationPipeline({
      store, keys: ring, events, clock: () => new Date(), log: silentLogger(),
      verifier: new ValidationTokenVerifier({ authorityHost: login.origin, clientId, clock: () => new Date() }),
      units: new ChatUnits({ store: store, events, log: silentLogger() }),
    });
    const processor = new InboxProcessor({ store, instanceId, pipeline, metrics: new NotificationMetrics(), clock: () => new Date(), log: silentLogger() });
    processors.push(processor);
    await processor.start();
    return processor;
  };

  it('hands a change on once when each instance receives one subscription\'s report of it', async () => {
    const first = await openPostgresStore({ url: db.url, schema: db.schema });
    for (const s of [perChat, tenantWide]) await first.subscriptions.put(s.id, s);
    await first.close();
    const changes: ChangeEvent[] = [];
    // Both loaded before either heard of the change: only the stored log can tell the second one.
    const a = await instance('a', changes);
    const b = await instance('b', changes);
    const member = { userId: randomUUID(), tenantId };

    await a.accept('notifications', await notifier.batch([notifier.memberItem(perChat, { chatId, member })]), 1);
    await a.idle();
    await b.accept('notifications', await notifier.batch([notifier.memberItem(tenantWide, { chatId, member })]), 1);
    await b.idle();
    assert.deepEqual(changes.map((c) => c.kind), ['memberAdded']);

    // The leave, reported the other way round, is a new change once, and so is a later re-join.
    await b.accept('notifications', await notifier.batch([notifier.memberItem(perChat, { chatId, member, changeType: 'deleted' })]), 1);
    await b.idle();
    await a.accept('notifications', await notifier.batch([notifier.memberItem(tenantWide, { chatId, member, changeType: 'deleted' })]), 1);
    await a.idle();
    await a.accept('notifications', await notifier.batch([notifier.memberItem(perChat, { chatId, member })]), 1);
    await a.idle();
    assert.deepEqual(changes.map((c) => c.kind), ['memberAdded', 'memberRemoved', 'memberAdded']);
  });
});
