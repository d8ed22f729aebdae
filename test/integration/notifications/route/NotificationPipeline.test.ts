import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { ChangeNotification } from '@microsoft/microsoft-graph-types';
import { generateNotificationCertificate } from '../../../../src/certificates/generateNotificationCertificate.js';
import { notificationKeyFromPem } from '../../../../src/certificates/NotificationKey.js';
import { NotificationKeyRing } from '../../../../src/certificates/NotificationKeyRing.js';
import { LoginDouble } from '../../../../sim/doubles/login/LoginDouble.js';
import { createLoopbackCa } from '../../../../sim/doubles/tls/loopbackCa.js';
import { trustCaForFetch, type RestoreFetchTrust } from '../../../../sim/doubles/tls/trustCaForFetch.js';
import { HeraldEvents } from '../../../../src/events/HeraldEvents.js';
import { silentLogger } from '../../../../src/log/createLogger.js';
import type { ChangeEvent, LifecycleEvent, MemberAddedEvent } from '../../../../src/model/changeEvents.js';
import type { InboxBatch } from '../../../../src/model/inbox.js';
import type { PendingCreationRecord, SubscriptionRecord } from '../../../../src/model/subscription.js';
import { ChatUnits } from '../../../../src/events/ChatUnits.js';
import { RetryLaterError, type ItemOutcome } from '../../../../src/notifications/route/ItemOutcome.js';
import { NotificationPipeline } from '../../../../src/notifications/route/NotificationPipeline.js';
import { ValidationTokenVerifier } from '../../../../src/notifications/verify/ValidationTokenVerifier.js';
import { openSqliteMemory, type SqliteStore } from '../../../../src/storage/sqlite/SqliteStore.js';
import { pendingCreationKey, PendingCreations } from '../../../../src/subscriptions/PendingCreations.js';
import { GraphNotifier, membershipId, pascalCased, subscriptionRecord, type TestCertificate } from '../../../support/notifications/graphNotifications.js';

/** A pipeline run outside an inbox: no batch to record progress in. */
const notInAnInbox = async () => {};

describe('notification pipeline (verify → decode → route)', () => {
  let login: LoginDouble;
  let restoreTrust: RestoreFetchTrust;
  let certificate: TestCertificate;
  let otherCertificate: TestCertificate;
  let ring: NotificationKeyRing;
  const clientId = randomUUID();
  const tenantId = randomUUID();
  const otherTenantId = randomUUID();
  const chatId = '19:0123456789abcdef0123456789abcdef@thread.v2';
  const alice = { userId: randomUUID(), tenantId };
  const bob = { userId: randomUUID(), tenantId };

  let store: SqliteStore;
  let events: HeraldEvents;
  let changes: ChangeEvent[];
  let lifecycle: LifecycleEvent[];
  let perChat: SubscriptionRecord;
  let tenantWide: SubscriptionRecord;
  let chatSub: SubscriptionRecord;
  let notifier: GraphNotifier;
  let graphReads: string[];
  let graphAnswer: (path: string) => Promise<unknown>;
  let pipeline: NotificationPipeline;
  let verifierKeysHost: string;

  before(async () => {
    const ca = await createLoopbackCa();
    restoreTrust = trustCaForFetch(ca.caCertPem);
    login = await LoginDouble.start({ tls: ca });
    const now = new Date();
    const generated = await generateNotificationCertificate({ now, validityDays: 30 });
    const other = await generateNotificationCertificate({ now, validityDays: 30 });
    certificate = { id: 'herald-test', certPem: generated.certPem };
    otherCertificate = { id: 'not-herald', certPem: other.certPem };
    ring = new NotificationKeyRing([notificationKeyFromPem({ ...generated, id: 'herald-test', source: 'test' })]);
  });
  after(async () => {
    await login.close();
    restoreTrust();
  });

  beforeEach(async () => {
    store = await openSqliteMemory();
    events = new HeraldEvents();
    changes = [];
    lifecycle = [];
    events.on('changes', (unit) => unit.afterCommit(() => void changes.push(...unit.changes)));
    events.on('lifecycle', (e) => void lifecycle.push(e));
    perChat = subscriptionRecord({ tenantId, chatId });
    tenantWide = subscriptionRecord({ tenantId, chatId: null });
    chatSub = subscriptionRecord({ tenantId, chatId, kind: 'chat' });
    for (const s of [perChat, tenantWide, chatSub]) await store.subscriptions.put(s.id, s);
    notifier = new GraphNotifier({ login, audience: clientId, certificate });
    graphReads = [];
    graphAnswer = async () => ({});
    verifierKeysHost = login.origin;
    pipeline = await build();
  });

  async function build(pendingCreations?: PendingCreations): Promise<NotificationPipeline> {
    return new NotificationPipeline({
      pendingCreations,
      store: store,
      keys: ring,
      verifier: new ValidationTokenVerifier({ authorityHost: verifierKeysHost, clientId, clock: () => new Date() }),
      units: new ChatUnits({ store: store, events, log: silentLogger() }),
      events,
      chatGraph: {
        getResource: async (tenant, path) => {
          graphReads.push(`${tenant} ${path}`);
          return graphAnswer(path);
        },
      },
      clock: () => new Date(),
      log: silentLogger(),
    });
  }

  async function run(body: unknown, route: InboxBatch['route'] = 'notifications', receivedAt = new Date()): Promise<ItemOutcome[]> {
    const outcomes: ItemOutcome[] = [];
    const batch: InboxBatch = { id: randomUUID(), route, receivedAt: receivedAt.toISOString(), body: JSON.parse(JSON.stringify(body)) as unknown };
    await pipeline.process(batch, { skip: new Set(), signal: new AbortController().signal, onItem: (i, o) => (outcomes[i] = o), completeIn: notInAnInbox });
    return outcomes;
  }

  const statuses = (outcomes: ItemOutcome[]) => outcomes.map((o) => (o.status === 'dropped' || o.status === 'ignored' ? `${o.status}:${o.reason}` : o.status));
  const joined = (member = alice, subscription = perChat, extra: Partial<Parameters<GraphNotifier['memberItem']>[1]> = {}) =>
    notifier.memberItem(subscription, { chatId, member, ...extra });

  describe('rich notifications', () => {
    it('turns a membership created notification into memberAdded, decrypted and typed', async () => {
      const outcomes = await run(await notifier.batch([joined(alice, perChat, { member: { ...alice, roles: ['Owner'] } })]));
      assert.deepEqual(statuses(outcomes), ['emitted']);
      const event = changes[0] as MemberAddedEvent;
      assert.equal(event.kind, 'memberAdded');
      assert.equal(event.tenantId, tenantId);
      assert.equal(event.chatId, chatId);
      assert.equal(event.source, 'notification');
      assert.deepEqual(event.member, { membershipId: membershipId(tenantId, chatId, alice.userId), userId: alice.userId, displayName: null, tenantId, roles: ['Owner'] });
      assert.ok(event.changeKey.includes(chatId));
    });

    it('reads the casing of the older doc examples (EncryptedContent, "Created")', async () => {
      const item = pascalCased(joined());
      assert.ok('EncryptedContent' in item && item.ChangeType === 'Created');
      const outcomes = await run({ value: [item], validationTokens: [await notifier.validationToken(tenantId)] });
      assert.deepEqual(statuses(outcomes), ['emitted']);
      assert.equal(changes[0]?.kind, 'memberAdded');
    });

    it('turns a membership deleted notification into memberRemoved', async () => {
      await run(await notifier.batch([joined(bob)]));
      const outcomes = await run(await notifier.batch([joined(bob, perChat, { changeType: 'deleted' })]));
      assert.deepEqual(statuses(outcomes), ['emitted']);
      assert.equal(changes[1]?.kind, 'memberRemoved');
      assert.equal(changes[1]?.kind === 'memberRemoved' && changes[1].member.userId, bob.userId);
    });

    it('reports a chat update with only the properties the payload has', async () => {
      const outcomes = await run(await notifier.batch([notifier.chatItem(chatSub, { chatId, topic: 'Launch', lastUpdatedDateTime: '2026-06-01T10:00:00Z' })]));
      assert.deepEqual(statuses(outcomes), ['emitted']);
      assert.deepEqual(changes[0]?.kind === 'chatUpdated' && changes[0].chat, { topic: 'Launch', lastUpdatedDateTime: '2026-06-01T10:00:00Z', chatType: 'group' });

      const partial = notifier.chatItem(chatSub, {
        chatId,
        topic: null,
        lastUpdatedDateTime: '2026-06-01T11:00:00Z',
        extra: { viewpoint: { isHidden: true, lastMessageReadDateTime: '2026-06-01T11:00:00Z' } },
      });
      // A user-specific payload: no topic property at all.
      const payload = { id: chatId, lastUpdatedDateTime: '2026-06-01T11:00:00Z', viewpoint: { isHidden: true } };
      partial.encryptedContent = notifier.encrypt(payload);
      await run(await notifier.batch([partial]));
      const update = changes[1];
      assert.ok(update?.kind === 'chatUpdated');
      assert.equal('topic' in update.chat, false, 'absent is not changed');
      assert.deepEqual(update.chat.viewpoint, { isHidden: true });
    });

    it('decrypts with both certificates during a rotation', async () => {
      const next = await generateNotificationCertificate({ now: new Date(), validityDays: 30 });
      const previous = ring.find({ id: certificate.id });
      assert.ok(previous);
      const rotated = new NotificationKeyRing([previous]);
      rotated.add(notificationKeyFromPem({ ...next, id: 'herald-next', source: 'test' }), { primary: true });
      pipeline = new NotificationPipeline({
        store: store,
        keys: rotated,
        verifier: new ValidationTokenVerifier({ authorityHost: login.origin, clientId, clock: () => new Date() }),
        units: new ChatUnits({ store: store, events, log: silentLogger() }),
        events,
        clock: () => new Date(),
        log: silentLogger(),
      });
      const oldItem = joined(alice);
      const newItem = joined(bob, perChat, { certificate: { id: 'herald-next', certPem: next.certPem } });
      assert.deepEqual(statuses(await run(await notifier.batch([oldItem, newItem]))), ['emitted', 'emitted']);
    });
  });

  describe('checks (each drops the item, never acts on it)', () => {
    const cases: Array<[string, () => Promise<unknown>, string]> = [
      ['an unknown subscription', async () => notifier.batch([joined(alice, subscriptionRecord({ tenantId, chatId }))]), 'dropped:unknownSubscription'],
      ['a wrong clientState', async () => notifier.batch([{ ...joined(), clientState: 'guess' }]), 'dropped:clientStateMismatch'],
      ['a missing clientState', async () => notifier.batch([{ ...joined(), clientState: undefined }]), 'dropped:clientStateMismatch'],
      ['a tenant other than the subscription\'s', async () => notifier.batch([joined(alice, perChat, { tenantId: otherTenantId })]), 'dropped:tenantMismatch'],
      ['a chat other than the per-chat subscription\'s', async () => notifier.batch([notifier.memberItem(perChat, { chatId: '19:other@thread.v2', member: alice })]), 'dropped:resourceMismatch'],
      ['rich data without validation tokens', async () => ({ value: [joined()] }), 'dropped:missingValidationToken'],
      ['an expired validation token', async () => notifier.batch([joined()], [await notifier.validationToken(tenantId, { lifetimeSeconds: -3600 })]), 'dropped:invalidValidationToken'],
      ['a validation token for another app', async () => notifier.batch([joined()], [await notifier.validationToken(tenantId, { audience: randomUUID() })]), 'dropped:invalidValidationToken'],
      ['a validation token not minted by Graph Change Tracking', async () => notifier.batch([joined()], [await notifier.validationToken(tenantId, { overrides: { azp: randomUUID() } })]), 'dropped:invalidValidationToken'],
      ['a validation token signed by a stranger', async () => notifier.batch([joined()], [await notifier.validationToken(tenantId, { key: 'foreign' })]), 'dropped:invalidValidationToken'],
      ['a validation token for another tenant', async () => notifier.batch([joined()], [await notifier.validationToken(otherTenantId)]), 'dropped:validationTokenTenantMismatch'],
      ['a certificate Herald does not hold', async () => notifier.batch([joined(alice, perChat, { certificate: otherCertificate })]), 'dropped:unknownCertificate'],
      ['a missing dataSignature', async () => { const i = joined(); delete i.encryptedContent?.dataSignature; return notifier.batch([i]); }, 'dropped:missingDataSignature'],
      ['a dataSignature that does not match', async () => { const i = joined(); i.encryptedContent!.dataSignature = notifier.encrypt({ x: 1 }).dataSignature; return notifier.batch([i]); }, 'dropped:dataSignatureMismatch'],
      ['a data key that does not open', async () => { const i = joined(); const key = Buffer.from(i.encryptedContent!.dataKey!, 'base64'); key[10] = (key[10] ?? 0) ^ 0xff; i.encryptedContent!.dataKey = key.toString('base64'); return notifier.batch([i]); }, 'dropped:decryptionFailed'],
      ['a member payload without userId', async () => { const i = joined(); i.encryptedContent = notifier.encrypt({ id: 'x', roles: [] }); return notifier.batch([i]); }, 'dropped:invalidResourceData'],
      ['an item that is not an object', async () => ({ value: ['nonsense'] }), 'dropped:malformedItem'],
      ['an item without subscriptionId', async () => ({ value: [{ changeType: 'created' }] }), 'dropped:malformedItem'],
      ['an item with neither changeType nor lifecycleEvent', async () => ({ value: [{ ...joined(), changeType: undefined, encryptedContent: undefined }] }), 'dropped:malformedItem'],
    ];
    for (const [what, body, expected] of cases) {
      it(`drops ${what}`, async () => {
        const outcomes = await run(await body());
        assert.deepEqual(statuses(outcomes), [expected]);
        assert.equal(changes.length, 0);
      });
    }

    it('drops all rich items of a batch with one bad token, but still processes its basic ones', async () => {
      graphAnswer = async () => ({ id: 'm', userId: bob.userId, displayName: 'Bob', tenantId, roles: [] });
      const good = await notifier.validationToken(tenantId);
      const bad = await notifier.validationToken(tenantId, { lifetimeSeconds: -3600 });
      const outcomes = await run(await notifier.batch([joined(alice), joined(bob, perChat, { encrypted: false })], [good, bad]));
      assert.deepEqual(statuses(outcomes), ['dropped:invalidValidationToken', 'emitted']);
      assert.deepEqual(changes.map((c) => c.kind === 'memberAdded' && c.member.userId), [bob.userId]);
    });

    it('processes a stored batch whose tokens expired while it waited (a restart, a backlog)', async () => {
      // Issued two hours ago and expired an hour ago; the batch arrived two hours ago, when it was valid.
      const now = Math.floor(Date.now() / 1000);
      const token = await notifier.validationToken(tenantId, { overrides: { iat: now - 7300, nbf: now - 7300, exp: now - 3600 } });
      const outcomes = await run(await notifier.batch([joined(alice)], [token]), 'notifications', new Date(Date.now() - 2 * 60 * 60_000));
      assert.deepEqual(statuses(outcomes), ['emitted']);
    });

    it('processes the good items of a mixed batch', async () => {
      const carol = { userId: randomUUID(), tenantId };
      const body = await notifier.batch([
        joined(alice),
        { ...joined(bob), clientState: 'wrong' },
        joined(carol, subscriptionRecord({ tenantId, chatId })),
        notifier.chatItem(chatSub, { chatId, topic: 'Renamed', lastUpdatedDateTime: '2026-06-01T10:00:00Z' }),
        joined(bob, perChat, { certificate: otherCertificate }),
      ]);
      const outcomes = await run(body);
      assert.deepEqual(statuses(outcomes), ['emitted', 'dropped:clientStateMismatch', 'dropped:unknownSubscription', 'emitted', 'dropped:unknownCertificate']);
      assert.deepEqual(changes.map((c) => c.kind), ['memberAdded', 'chatUpdated']);
    });

    it('retries later when the signing keys cannot be read', async () => {
      verifierKeysHost = 'https://127.0.0.1:1';
      pipeline = await build();
      await assert.rejects(run(await notifier.batch([joined()])), (error: unknown) => error instanceof RetryLaterError && error.reason === 'verificationUnavailable');
      assert.equal(changes.length, 0);
    });
  });

  it('judges validation tokens at the batch\'s receipt: a batch replayed hours later (restart, long retry) is not dropped as expired', async () => {
    const body = await notifier.batch([joined(alice, perChat)]);
    const receivedAt = new Date().toISOString();
    const later = () => new Date(Date.now() + 3 * 60 * 60_000);
    pipeline = new NotificationPipeline({
      store: store,
      keys: ring,
      verifier: new ValidationTokenVerifier({ authorityHost: verifierKeysHost, clientId, clock: later }),
      units: new ChatUnits({ store: store, events, log: silentLogger() }),
      events,
      clock: later,
      log: silentLogger(),
    });
    const outcomes: ItemOutcome[] = [];
    await pipeline.process({ id: randomUUID(), route: 'notifications', receivedAt, body }, { skip: new Set(), signal: new AbortController().signal, onItem: (i, o) => (outcomes[i] = o), completeIn: notInAnInbox });
    assert.deepEqual(statuses(outcomes), ['emitted']);
  });

  describe('a subscription still being created (Graph delivers before its 201 arrives)', () => {
    let pending: PendingCreations;
    let fresh: SubscriptionRecord;
    let now: Date;
    let resolved: PendingCreationRecord[];

    /** The creation tracker of an instance on this store (the test's own one, or another instance's). */
    const tracker = (instanceId: string) =>
      new PendingCreations({
        store: store,
        clock: () => now,
        log: silentLogger(),
        instanceId,
        resolveStale: async (marker) => void resolved.push(marker),
      });
    const draft = (record: SubscriptionRecord) => ({
      kind: record.kind,
      tenantId: record.tenantId,
      chatId: record.chatId,
      resource: record.resource,
      changeType: record.changeType,
      clientState: record.clientState,
      notificationUrl: 'https://herald.example/api/notifications',
      encryptionCertificateId: record.encryptionCertificateId,
      encryptionCertificateThumbprint: null,
    });

    beforeEach(async () => {
      now = new Date();
      resolved = [];
      pending = tracker('instance-a');
      pipeline = await build(pending);
      fresh = subscriptionRecord({ tenantId, chatId });
    });

    it('holds an item whose clientState matches a creation in flight until its record is stored, then hands it on', async () => {
      const creation = await pending.begin(draft(fresh));
      const outcome = run(await notifier.batch([joined(alice, fresh)]));
      while (pending.held === 0) await new Promise((resolve) => setImmediate(resolve));
      assert.equal(changes.length, 0, 'nothing is handed on before the record exists');
      await store.subscriptions.put(fresh.id, fresh);
      await creation.settle();
      assert.deepEqual(statuses(await outcome), ['emitted']);
      assert.equal((changes[0] as MemberAddedEvent).member.userId, alice.userId);
    });

    it('drops the item as from an unknown subscription when that creation fails', async () => {
      const creation = await pending.begin(draft(fresh));
      const outcome = run(await notifier.batch([joined(alice, fresh)]));
      while (pending.held === 0) await new Promise((resolve) => setImmediate(resolve));
      await creation.settle();
      assert.deepEqual(statuses(await outcome), ['dropped:unknownSubscription']);
      assert.equal(changes.length, 0);
    });

    it('does not hold items whose clientState matches no creation in flight', async () => {
      await pending.begin(draft(subscriptionRecord({ tenantId, chatId })));
      assert.deepEqual(statuses(await run(await notifier.batch([joined(alice, fresh)]))), ['dropped:unknownSubscription']);
      assert.equal(pending.held, 0);
    });

    it('keeps the creation in the store until it settles, and removes it then', async () => {
      const creation = await pending.begin(draft(fresh));
      const stored = await store.pendingCreations.ofTenant(tenantId);
      assert.equal(stored.length, 1);
      assert.equal(stored[0]?.startedBy, 'instance-a');
      assert.equal(stored[0]?.key, pendingCreationKey(fresh.clientState));
      await creation.settle();
      assert.deepEqual(await store.pendingCreations.ofTenant(tenantId), []);
    });

    it('asks for the batch to be tried again later when another instance is creating the subscription', async () => {
      await tracker('instance-b').begin(draft(fresh));
      await assert.rejects(run(await notifier.batch([joined(alice, fresh)])), (error: unknown) => error instanceof RetryLaterError && error.reason === 'unknownSubscription');
      assert.equal(changes.length, 0);
      assert.deepEqual(resolved, [], 'a creation in flight elsewhere is not judged');
    });

    it("resolves a creation another instance never settled (it died), then hands the item on through the adopted record", async () => {
      await tracker('instance-b').begin(draft(fresh));
      now = new Date(now.getTime() + 3 * 60_000);
      const resolveStale = async (marker: PendingCreationRecord) => {
        resolved.push(marker);
        await store.subscriptions.put(fresh.id, fresh);
        await store.pendingCreations.delete(marker.key);
      };
      pipeline = await build(new PendingCreations({ store: store, clock: () => now, log: silentLogger(), instanceId: 'instance-a', resolveStale }));
      assert.deepEqual(statuses(await run(await notifier.batch([joined(alice, fresh)]))), ['emitted']);
      assert.equal(resolved.length, 1);
      assert.equal(resolved[0]?.startedBy, 'instance-b');
    });
  });

  describe('deduplication', () => {
    it('hands a change on once when Graph delivers it twice', async () => {
      const item = joined();
      assert.deepEqual(statuses(await run(await notifier.batch([item, item]))), ['emitted', 'duplicate']);
      assert.deepEqual(statuses(await run(await notifier.batch([item]))), ['duplicate']);
      assert.equal(changes.length, 1);
    });

    it('hands a change on once when the per-chat and the tenant-wide subscription both report it', async () => {
      assert.deepEqual(statuses(await run(await notifier.batch([joined(alice, perChat)]))), ['emitted']);
      assert.deepEqual(statuses(await run(await notifier.batch([joined(alice, tenantWide)]))), ['duplicate']);
      assert.equal(changes.length, 1);
    });

    it('still reports a re-join after a leave', async () => {
      await run(await notifier.batch([joined(alice, perChat), joined(alice, tenantWide)]));
      await run(await notifier.batch([joined(alice, perChat, { changeType: 'deleted' }), joined(alice, tenantWide, { changeType: 'deleted' })]));
      await run(await notifier.batch([joined(alice, tenantWide), joined(alice, perChat)]));
      assert.deepEqual(changes.map((c) => c.kind), ['memberAdded', 'memberRemoved', 'memberAdded']);
      assert.notEqual(changes[0]?.changeKey, changes[2]?.changeKey);
    });

    it('stores nothing of a chat whose unit fails: the batch replayed hands its change on, and the other subscription\'s report is then a duplicate', async () => {
      const off = events.on('changes', () => {
        throw new Error('the handler fails before the unit commits (as a crash would)');
      });
      const firstBatch = await notifier.batch([joined(alice, perChat)]);
      await assert.rejects(run(firstBatch));
      off();
      assert.deepEqual(statuses(await run(firstBatch)), ['emitted'], 'handed on again, not taken for a duplicate');
      assert.deepEqual(statuses(await run(await notifier.batch([joined(alice, tenantWide)]))), ['duplicate']);
      assert.equal(changes.length, 1);
    });

    it('ignores a chat update older than one already handed on', async () => {
      await run(await notifier.batch([notifier.chatItem(chatSub, { chatId, topic: 'B', lastUpdatedDateTime: '2026-06-01T10:05:00Z' })]));
      const outcomes = await run(await notifier.batch([notifier.chatItem(chatSub, { chatId, topic: 'A', lastUpdatedDateTime: '2026-06-01T10:01:00Z' })]));
      assert.deepEqual(statuses(outcomes), ['ignored:stale']);
    });
  });

  describe('notifications without resource data', () => {
    it('reads the member from Graph (resource path) for a created membership', async () => {
      graphAnswer = async () => ({ id: 'm', userId: alice.userId, displayName: 'Alice', tenantId, roles: ['owner'], email: 'alice@example.test' });
      const outcomes = await run({ value: [joined(alice, perChat, { encrypted: false })] });
      assert.deepEqual(statuses(outcomes), ['emitted']);
      assert.deepEqual(graphReads, [`${tenantId} chats('${chatId}')/members('${membershipId(tenantId, chatId, alice.userId)}')`]);
      assert.equal(changes[0]?.kind === 'memberAdded' && changes[0].member.displayName, 'Alice');
    });

    it('reads the chat from Graph for a chat update', async () => {
      graphAnswer = async () => ({ id: chatId, topic: 'Fetched', lastUpdatedDateTime: '2026-06-01T10:00:00Z', chatType: 'group' });
      await run({ value: [notifier.chatItem(chatSub, { chatId, topic: 'x', lastUpdatedDateTime: 'x', encrypted: false })] });
      assert.equal(changes[0]?.kind === 'chatUpdated' && changes[0].chat.topic, 'Fetched');
    });

    it('reports a deleted membership from the notification alone (membership id, user id as a fallback)', async () => {
      const outcomes = await run({ value: [joined(alice, perChat, { encrypted: false, changeType: 'deleted' })] });
      assert.deepEqual(statuses(outcomes), ['emitted']);
      assert.deepEqual(graphReads, []);
      assert.deepEqual(changes[0]?.kind === 'memberRemoved' && changes[0].member, { membershipId: membershipId(tenantId, chatId, alice.userId), userId: alice.userId });
    });

    it('drops the item when Graph says the resource is gone or not readable', async () => {
      graphAnswer = async () => {
        throw Object.assign(new Error('Not Found'), { statusCode: 404 });
      };
      assert.deepEqual(statuses(await run({ value: [joined(alice, perChat, { encrypted: false })] })), ['dropped:resourceUnavailable']);
    });

    it('drops the item when the read is refused before it is sent (a resource path Graph would not take)', async () => {
      graphAnswer = async () => {
        throw Object.assign(new Error('resource path must be relative to Graph'), { status: null, code: 'InvalidResourcePath' });
      };
      assert.deepEqual(statuses(await run({ value: [joined(alice, perChat, { encrypted: false })] })), ['dropped:resourceUnavailable']);
    });

    it('retries later when Graph is throttling or down', async () => {
      for (const failure of [{ statusCode: 503 }, { status: 429 }, { status: null, code: null }]) {
        graphAnswer = async () => {
          throw Object.assign(new Error('unavailable'), failure);
        };
        await assert.rejects(run({ value: [joined(alice, perChat, { encrypted: false })] }), RetryLaterError);
      }
    });
  });

  describe('lifecycle notifications', () => {
    it('hands reauthorizationRequired, subscriptionRemoved and missed on as typed events', async () => {
      const outcomes = await run(
        {
          value: [
            notifier.lifecycleItem(perChat, 'reauthorizationRequired'),
            pascalCased(notifier.lifecycleItem(tenantWide, 'subscriptionRemoved')),
            notifier.lifecycleItem(chatSub, 'Missed'),
          ],
        },
        'lifecycle',
      );
      assert.deepEqual(statuses(outcomes), ['emitted', 'emitted', 'emitted']);
      assert.deepEqual(
        lifecycle.map((e) => [e.kind, e.subscriptionId, e.tenantId]),
        [
          ['reauthorizationRequired', perChat.id, tenantId],
          ['subscriptionRemoved', tenantWide.id, tenantId],
          ['missed', chatSub.id, tenantId],
        ],
      );
      assert.equal(lifecycle[0]?.subscriptionExpirationDateTime, perChat.expirationDateTime);
    });

    it('authenticates them by clientState and known subscription', async () => {
      const outcomes = await run(
        {
          value: [
            { ...notifier.lifecycleItem(perChat, 'reauthorizationRequired'), clientState: 'wrong' },
            notifier.lifecycleItem(subscriptionRecord({ tenantId, chatId }), 'reauthorizationRequired'),
            notifier.lifecycleItem(perChat, 'unknownFutureValue'),
          ] satisfies ChangeNotification[],
        },
        'lifecycle',
      );
      assert.deepEqual(statuses(outcomes), ['dropped:clientStateMismatch', 'dropped:unknownSubscription', 'ignored:unsupportedLifecycleEvent']);
      assert.equal(lifecycle.length, 0);
    });
  });

  it('records when a subscription last delivered an authentic notification', async () => {
    await run(await notifier.batch([joined()]));
    assert.ok((await store.subscriptions.get(perChat.id))?.lastNotificationAt);
    assert.equal((await store.subscriptions.get(tenantWide.id))?.lastNotificationAt, null);
    await run(await notifier.batch([{ ...joined(bob, tenantWide), clientState: 'forged' }]));
    assert.equal((await store.subscriptions.get(tenantWide.id))?.lastNotificationAt, null, 'forged items do not count');
  });

  it('ignores channel messages and resources it does not know', async () => {
    const base = { ...joined(), encryptedContent: undefined };
    const outcomes = await run({
      value: [
        { ...base, resource: "teams('t')/channels('c')/messages('1')", changeType: 'created' },
        { ...base, resource: "users('u')", changeType: 'created' },
        { ...base, changeType: 'unknownFutureValue' },
      ],
    });
    assert.deepEqual(statuses(outcomes), ['ignored:unsupportedResource', 'ignored:unsupportedResource', 'ignored:unsupportedChangeType']);
  });
});
