import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateNotificationCertificate } from '../../../src/certificates/generateNotificationCertificate.js';
import { LoginDouble } from '../../../sim/doubles/login/LoginDouble.js';
import { createLoopbackCa } from '../../../sim/doubles/tls/loopbackCa.js';
import { trustCaForFetch, type RestoreFetchTrust } from '../../../sim/doubles/tls/trustCaForFetch.js';
import type { SubscriptionRecord } from '../../../src/model/subscription.js';
import { GraphNotifier, pascalCased, postJson, subscriptionRecord, type TestCertificate } from '../../support/notifications/graphNotifications.js';
import { notificationHealth, settled, startHerald, type RunningHerald } from '../../support/notifications/heraldUnderTest.js';

describe('notification receive path (HTTP, through createHerald)', () => {
  let login: LoginDouble;
  let restoreTrust: RestoreFetchTrust;
  let dir: string;
  let herald: RunningHerald;
  let notifier: GraphNotifier;
  let certificate: TestCertificate;
  let perChat: SubscriptionRecord;
  let tenantWide: SubscriptionRecord;
  const clientId = randomUUID();
  const tenantId = randomUUID();
  const chatId = '19:fedcba9876543210fedcba9876543210@thread.v2';
  const person = () => ({ userId: randomUUID(), tenantId });

  before(async () => {
    const ca = await createLoopbackCa();
    restoreTrust = trustCaForFetch(ca.caCertPem);
    login = await LoginDouble.start({ tls: ca });
    dir = await mkdtemp(join(tmpdir(), 'herald-receive-'));
    const generated = await generateNotificationCertificate({ now: new Date(), validityDays: 30 });
    await writeFile(join(dir, 'cert.pem'), generated.certPem);
    await writeFile(join(dir, 'key.pem'), generated.keyPem, { mode: 0o600 });
    certificate = { id: 'herald-e2e', certPem: generated.certPem };
    herald = await startHerald({ clientId, authorityHost: login.origin, dataDir: join(dir, 'data'), certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem'), certId: 'herald-e2e' });
    perChat = subscriptionRecord({ tenantId, chatId });
    tenantWide = subscriptionRecord({ tenantId, chatId: null });
    for (const s of [perChat, tenantWide]) await herald.app.context.store.subscriptions.put(s.id, s);
    notifier = new GraphNotifier({ login, audience: clientId, certificate });
  });

  after(async () => {
    await herald?.stop();
    await login.close();
    restoreTrust();
    await rm(dir, { recursive: true, force: true });
  });

  describe('validation handshake', () => {
    const token = 'Validation: Testing client application reachability for subscription Request-Id: 8f1c <b>&amp; 100%';
    for (const path of ['/api/notifications', '/api/notifications/lifecycle']) {
      it(`answers ${path}?validationToken= with 200 text/plain and the decoded token`, async () => {
        const response = await fetch(`${herald.url}${path}?validationToken=${encodeURIComponent(token)}`, {
          method: 'POST',
          headers: { 'Content-Type': 'text/plain; charset=utf-8' },
        });
        assert.equal(response.status, 200);
        assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
        assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
        assert.equal(await response.text(), token);
      });
    }

    it('answers the handshake whatever the body and content type', async () => {
      const response = await postJson(`${herald.url}/api/notifications?validationToken=abc%20def`, null, { contentType: 'application/json', raw: '{broken' });
      assert.deepEqual([response.status, response.text], [200, 'abc def']);
    });
  });

  describe('bad input', () => {
    it('answers 415 to a body that is not JSON', async () => {
      const response = await postJson(`${herald.url}/api/notifications`, null, { contentType: 'text/plain', raw: 'hello' });
      assert.equal(response.status, 415);
    });

    it('answers 400 to malformed JSON', async () => {
      const response = await postJson(`${herald.url}/api/notifications`, null, { raw: '{"value": [' });
      assert.equal(response.status, 400);
    });

    it('answers 400 to JSON that is not a notification collection', async () => {
      assert.equal((await postJson(`${herald.url}/api/notifications`, { items: [] })).status, 400);
      assert.equal((await postJson(`${herald.url}/api/notifications/lifecycle`, [1, 2])).status, 400);
    });

    it('answers 413 to a body over 1 MB', async () => {
      const response = await postJson(`${herald.url}/api/notifications`, { value: [{ padding: 'x'.repeat(1_100_000) }] });
      assert.equal(response.status, 413);
    });

    it('answers 404 to an unknown route', async () => {
      assert.equal((await postJson(`${herald.url}/api/notifications/elsewhere`, { value: [] })).status, 404);
    });

    it('keeps serving after all of that', async () => {
      const response = await fetch(`${herald.url}/healthz`);
      assert.equal(response.status, 200);
    });
  });

  describe('batches', () => {
    it('answers 202, then hands the decrypted change on once', async () => {
      const before = herald.changes.length;
      const member = person();
      const response = await postJson(`${herald.url}/api/notifications`, await notifier.batch([notifier.memberItem(perChat, { chatId, member })]));
      assert.equal(response.status, 202);
      assert.equal(response.text, '');
      await settled(herald.url);
      const added = herald.changes.slice(before);
      assert.deepEqual(added.map((c) => c.kind === 'memberAdded' && c.member.userId), [member.userId]);
      assert.ok((await herald.app.context.store.subscriptions.get(perChat.id))?.lastNotificationAt);
    });

    it('hands a change on once when Graph delivers it twice and both subscriptions report it (both casings)', async () => {
      const before = herald.changes.length;
      const member = person();
      const item = notifier.memberItem(perChat, { chatId, member });
      const viaTenant = pascalCased(notifier.memberItem(tenantWide, { chatId, member }));
      const token = await notifier.validationToken(tenantId);
      for (const body of [{ value: [item], validationTokens: [token] }, { value: [item], validationTokens: [token] }, { Value: [viaTenant], ValidationTokens: [token] }]) {
        assert.equal((await postJson(`${herald.url}/api/notifications`, body)).status, 202);
      }
      const health = await settled(herald.url);
      assert.equal(herald.changes.length - before, 1);
      assert.ok(health.duplicates >= 2);
    });

    it('processes the good items of a mixed batch and counts the bad ones by reason', async () => {
      const before = await settled(herald.url);
      const beforeChanges = herald.changes.length;
      const good = person();
      const body = await notifier.batch([
        notifier.memberItem(perChat, { chatId, member: good }),
        { ...notifier.memberItem(perChat, { chatId, member: person() }), clientState: 'forged' },
        notifier.memberItem(subscriptionRecord({ tenantId, chatId }), { chatId, member: person() }),
      ]);
      assert.equal((await postJson(`${herald.url}/api/notifications`, body)).status, 202);
      const after = await settled(herald.url, before.processed + before.dropped + 3);
      assert.deepEqual(herald.changes.slice(beforeChanges).map((c) => c.kind === 'memberAdded' && c.member.userId), [good.userId]);
      assert.equal(after.dropped - before.dropped, 2);
      assert.equal((after.droppedByReason.clientStateMismatch ?? 0) - (before.droppedByReason.clientStateMismatch ?? 0), 1);
      assert.equal((after.droppedByReason.unknownSubscription ?? 0) - (before.droppedByReason.unknownSubscription ?? 0), 1);
    });

    it('hands lifecycle notifications to the subscription manager as typed events', async () => {
      const response = await postJson(`${herald.url}/api/notifications/lifecycle`, { value: [notifier.lifecycleItem(perChat, 'reauthorizationRequired')] });
      assert.equal(response.status, 202);
      await settled(herald.url);
      assert.deepEqual(herald.lifecycle.map((e) => [e.kind, e.subscriptionId]), [['reauthorizationRequired', perChat.id]]);
    });

    it("lets tests wait for processing through the app's notification module", async () => {
      const module = herald.app.modules.notifications;
      assert.ok(module);
      const member = person();
      assert.equal((await postJson(`${herald.url}/api/notifications`, await notifier.batch([notifier.memberItem(perChat, { chatId, member })]))).status, 202);
      await module.processor.idle();
      assert.ok(herald.changes.some((c) => c.kind === 'memberAdded' && c.member.userId === member.userId));
      assert.equal(module.keys.current().id, 'herald-e2e');
    });

    it('shows the counters in /healthz and /metrics', async () => {
      const health = await notificationHealth(herald.url);
      assert.equal(health.received, health.processed + health.dropped + health.inbox);
      for (const key of ['received', 'processed', 'dropped', 'inbox', 'droppedByReason', 'lagMs'] as const) assert.ok(key in health, key);
      const metrics = await fetch(`${herald.url}/metrics`);
      assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
      const text = await metrics.text();
      assert.match(text, new RegExp(`herald_notifications_received_total ${health.received}`));
      assert.match(text, /herald_notifications_dropped_total\{reason="clientStateMismatch"\} [1-9]/);
      // A real histogram, and Node's process metrics.
      assert.match(text, /# TYPE herald_notifications_lag_milliseconds histogram/);
      assert.match(text, new RegExp(`herald_notifications_lag_milliseconds_count ${health.processed + health.dropped}`));
      assert.match(text, /herald_notifications_lag_milliseconds_sum \d/);
      assert.match(text, /herald_notifications_lag_milliseconds_bucket\{le="\+Inf"\}/);
      assert.match(text, /process_cpu_seconds_total \d/);
      assert.match(text, /nodejs_eventloop_lag_seconds/);
    });
  });
});
