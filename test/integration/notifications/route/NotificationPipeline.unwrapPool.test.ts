import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import type { ChangeNotification } from '@microsoft/microsoft-graph-types';
import { generateNotificationCertificate } from '../../../../src/certificates/generateNotificationCertificate.js';
import { notificationKeyFromPem } from '../../../../src/certificates/NotificationKey.js';
import { NotificationKeyRing } from '../../../../src/certificates/NotificationKeyRing.js';
import { HeraldEvents } from '../../../../src/events/HeraldEvents.js';
import { silentLogger } from '../../../../src/log/createLogger.js';
import type { ChangeEvent } from '../../../../src/model/changeEvents.js';
import type { InboxBatch } from '../../../../src/model/inbox.js';
import { KeyUnwrapPool } from '../../../../src/notifications/decode/KeyUnwrapPool.js';
import { ChatUnits } from '../../../../src/events/ChatUnits.js';
import type { ItemOutcome } from '../../../../src/notifications/route/ItemOutcome.js';
import { NotificationPipeline } from '../../../../src/notifications/route/NotificationPipeline.js';
import { ValidationTokenVerifier } from '../../../../src/notifications/verify/ValidationTokenVerifier.js';
import { openSqliteMemory } from '../../../../src/storage/sqlite/SqliteStore.js';
import { LoginDouble } from '../../../../sim/doubles/login/LoginDouble.js';
import { createLoopbackCa } from '../../../../sim/doubles/tls/loopbackCa.js';
import { trustCaForFetch, type RestoreFetchTrust } from '../../../../sim/doubles/tls/trustCaForFetch.js';
import { GraphNotifier, subscriptionRecord } from '../../../support/notifications/graphNotifications.js';

/** A pipeline run outside an inbox: no batch to record progress in. */
const notInAnInbox = async () => {};

describe('notification pipeline with the key unwrap pool', () => {
  let login: LoginDouble;
  let restoreTrust: RestoreFetchTrust;
  let ring: NotificationKeyRing;
  let notifier: GraphNotifier;
  let otherNotifier: GraphNotifier;
  const clientId = randomUUID();
  const tenantId = randomUUID();
  const chatId = '19:fedcba9876543210fedcba9876543210@thread.v2';
  const subscription = subscriptionRecord({ tenantId, chatId });

  before(async () => {
    const ca = await createLoopbackCa();
    restoreTrust = trustCaForFetch(ca.caCertPem);
    login = await LoginDouble.start({ tls: ca });
    const now = new Date();
    const generated = await generateNotificationCertificate({ now, validityDays: 30 });
    const other = await generateNotificationCertificate({ now, validityDays: 30 });
    ring = new NotificationKeyRing([notificationKeyFromPem({ ...generated, id: 'herald-test', source: 'test' })]);
    notifier = new GraphNotifier({ login, audience: clientId, certificate: { id: 'herald-test', certPem: generated.certPem } });
    otherNotifier = new GraphNotifier({ login, audience: clientId, certificate: { id: 'not-herald', certPem: other.certPem } });
  });
  after(async () => {
    await login.close();
    restoreTrust();
  });

  /** Runs one batch through a fresh pipeline (own store and dedupe) and reports what came out. */
  async function outcomesOf(body: unknown, pool: KeyUnwrapPool | undefined): Promise<{ outcomes: string[]; changes: string[] }> {
    const store = await openSqliteMemory();
    await store.subscriptions.put(subscription.id, subscription);
    const events = new HeraldEvents();
    const changes: string[] = [];
    events.on('changes', (unit) => unit.afterCommit(() => void changes.push(...unit.changes.map((e: ChangeEvent) => `${e.kind} ${'member' in e ? e.member.userId : ''}`))));
    const pipeline = new NotificationPipeline({
      store: store,
      keys: ring,
      unwrapper: pool,
      verifier: new ValidationTokenVerifier({ authorityHost: login.origin, clientId, clock: () => new Date() }),
      units: new ChatUnits({ store: store, events, log: silentLogger() }),
      events,
      clock: () => new Date(),
      log: silentLogger(),
    });
    const outcomes: ItemOutcome[] = [];
    const batch: InboxBatch = { id: randomUUID(), route: 'notifications', receivedAt: new Date().toISOString(), body: JSON.parse(JSON.stringify(body)) as unknown };
    await pipeline.process(batch, { skip: new Set(), signal: new AbortController().signal, onItem: (i, o) => (outcomes[i] = o), completeIn: notInAnInbox });
    return { outcomes: outcomes.map((o) => (o.status === 'dropped' || o.status === 'ignored' ? `${o.status}:${o.reason}` : o.status)), changes };
  }

  it('gives the same outcomes, in the same order, as the inline decryption, with the batch in one message per worker', async () => {
    const alice = { userId: randomUUID(), tenantId };
    const bob = { userId: randomUUID(), tenantId };
    const member = (who: typeof alice, changeType: 'created' | 'deleted' = 'created') => notifier.memberItem(subscription, { chatId, member: who, changeType });
    const tampered = member({ userId: randomUUID(), tenantId });
    if (tampered.encryptedContent) tampered.encryptedContent.dataKey = randomBytes(256).toString('base64');
    const forgedClientState: ChangeNotification = { ...member({ userId: randomUUID(), tenantId }), clientState: 'not-ours' };
    const items = [
      member(alice),
      member(bob),
      member(bob, 'deleted'),
      otherNotifier.memberItem(subscription, { chatId, member: { userId: randomUUID(), tenantId } }),
      tampered,
      forgedClientState,
      member(alice),
    ];
    const body = await notifier.batch(items);
    const pool = new KeyUnwrapPool({ size: 2, log: silentLogger() });
    try {
      const pooled = await outcomesOf(body, pool);
      const inline = await outcomesOf(body, undefined);
      assert.deepEqual(pooled, inline);
      assert.deepEqual(pooled.outcomes, ['emitted', 'emitted', 'emitted', 'dropped:unknownCertificate', 'dropped:decryptionFailed', 'dropped:clientStateMismatch', 'duplicate']);
      assert.deepEqual(pooled.changes, [`memberAdded ${alice.userId}`, `memberAdded ${bob.userId}`, `memberRemoved ${bob.userId}`]);
      // The six items with a known certificate were sent off together: one message per worker.
      assert.deepEqual({ messages: pool.stats.messages, items: pool.stats.items, inline: pool.stats.inline }, { messages: 2, items: 6, inline: 0 });
    } finally {
      await pool.close();
    }
  });
});
