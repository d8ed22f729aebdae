import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { NotificationKeyRing } from '../../../../src/certificates/NotificationKeyRing.js';
import { ChatUnits } from '../../../../src/events/ChatUnits.js';
import { HeraldEvents } from '../../../../src/events/HeraldEvents.js';
import { emptyChatState } from '../../../../src/model/chat.js';
import { silentLogger } from '../../../../src/log/createLogger.js';
import { InboxProcessor, type BatchProcessor } from '../../../../src/notifications/inbox/InboxProcessor.js';
import { NotificationMetrics } from '../../../../src/notifications/inbox/NotificationMetrics.js';
import { NotificationPipeline } from '../../../../src/notifications/route/NotificationPipeline.js';
import { ValidationTokenVerifier } from '../../../../src/notifications/verify/ValidationTokenVerifier.js';
import { openPostgresStore } from '../../../../src/storage/postgres/PostgresStore.js';
import { openSqliteMemory } from '../../../../src/storage/sqlite/SqliteStore.js';
import type { Store } from '../../../../src/storage/Store.js';
import type { LoginDouble } from '../../../../sim/doubles/login/LoginDouble.js';
import { subscriptionRecord, type GraphNotifier } from '../../../support/notifications/graphNotifications.js';
import { notifierSetup, type NotifierSetup } from '../../../support/notifications/notifierSetup.js';
import { freshSchema, type TestSchema } from '../../../support/storage/testPostgres.js';

/**
 * A batch is processed chat by chat, each chat's items as one unit of work: a chat that fails does not
 * hold up the others, and only it is tried again. Runs on both stores.
 */
describe('a notification batch for 20 chats, one of which fails once', function () {
  this.timeout(60_000);
  let login: LoginDouble;
  let setup: NotifierSetup;
  let notifier: GraphNotifier;
  let ring: NotificationKeyRing;
  let db: TestSchema;
  const clientId = randomUUID();
  const tenantId = randomUUID();
  const tenantWide = subscriptionRecord({ tenantId, chatId: null });
  const chats = Array.from({ length: 20 }, (_, i) => `19:${i.toString(16).padStart(32, '0')}@thread.v2`);
  const failing = chats[7] as string;

  before(async function () {
    this.timeout(120_000); // starting an embedded server (no reachable PostgreSQL) takes a while
    db = await freshSchema('batchchats');
    setup = await notifierSetup(clientId);
    ({ login, ring, notifier } = setup);
  });
  after(async () => {
    await setup?.close();
    await db?.drop();
  });

  const engines: Array<[string, () => Promise<Store>]> = [
    ['SQLite', () => openSqliteMemory()],
    ['PostgreSQL', () => openPostgresStore({ url: db.url, schema: db.schema })],
  ];
  for (const [engine, open] of engines) {
    it(`finishes the other 19 chats and tries again only the failed one, each change applied once (${engine})`, async () => {
      const store = await open();
      await store.subscriptions.put(tenantWide.id, tenantWide);
      const applied = new Map<string, number>();
      let refusals = 0;
      const events = new HeraldEvents();
      events.on('changes', async (unit) => {
        if (unit.chatId === failing && refusals++ === 0) throw new Error('the state write is refused, once');
        await unit.tx.chats.put(unit.chatId, emptyChatState(unit.chatId, tenantId));
        unit.afterCommit(() => applied.set(unit.chatId, (applied.get(unit.chatId) ?? 0) + unit.changes.length));
      });
      const pipeline = new NotificationPipeline({
        store, keys: ring, events, clock: () => new Date(), log: silentLogger(),
        verifier: new ValidationTokenVerifier({ authorityHost: login.origin, clientId, clock: () => new Date() }),
        units: new ChatUnits({ store, events, log: silentLogger() }),
      });
      const runs: number[][] = [];
      const recording: BatchProcessor = {
        process: (batch, run) => {
          runs.push([...run.skip].sort((a, b) => a - b));
          return pipeline.process(batch, run);
        },
      };
      const processor = new InboxProcessor({ store, instanceId: 'a', pipeline: recording, metrics: new NotificationMetrics(), clock: () => new Date(), log: silentLogger(), retry: { initialMs: 20, maxMs: 40 } });
      try {
        await processor.start();
        const items = chats.map((chatId) => notifier.memberItem(tenantWide, { chatId, member: { userId: randomUUID(), tenantId } }));
        await processor.accept('notifications', await notifier.batch(items), items.length);
        for (let i = 0; i < 500 && (await store.inbox.count()) > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
        await processor.idle();

        assert.equal(await store.inbox.count(), 0, 'the batch is done');
        assert.equal(runs.length, 2, 'one retry');
        assert.deepEqual(runs[1], [...chats.keys()].filter((i) => i !== 7), 'the retry skips every chat stored the first time');
        for (const chatId of chats) assert.equal(applied.get(chatId), 1, `${chatId} applied once`);
      } finally {
        await processor.stop();
        await store.close();
      }
    });
  }
});
