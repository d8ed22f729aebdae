import assert from 'node:assert/strict';
import { installActivity, SubscriptionHarness } from '../../support/subscriptions/subscriptionHarness.js';

const MINUTE = 60_000;

describe('subscriptions on installation (against the Graph double)', () => {
  let h: SubscriptionHarness;

  afterEach(async () => {
    await h?.close();
  });

  it('creates the per-chat pair with resource data, certificate, own clientState, both URLs and the longest allowed expiry', async () => {
    h = await SubscriptionHarness.start();
    const [tenant] = h.tenants as [string];
    const chatId = h.createChat(tenant);
    const before = Date.now();
    await h.install(chatId);
    await h.idle();

    const live = h.live(tenant);
    assert.equal(live.length, 2);
    const members = live.find((s) => s.resource === `/chats/${chatId}/members`);
    const chat = live.find((s) => s.resource === `/chats/${chatId}`);
    assert.ok(members && chat, 'one subscription for the members and one for the chat');
    assert.equal(members.changeType, 'created,deleted');
    assert.equal(chat.changeType, 'updated');
    for (const sub of [members, chat]) {
      assert.equal(sub.includeResourceData, true);
      assert.ok(sub.encryptionCertificateId);
      assert.ok(sub.encryptionCertificate && !sub.encryptionCertificate.includes('BEGIN'));
      assert.equal(sub.notificationUrl, `${h.publicUrl}/api/notifications`);
      assert.equal(sub.lifecycleNotificationUrl, `${h.publicUrl}/api/notifications/lifecycle`);
      assert.equal(sub.latestSupportedTlsVersion, 'v1_2');
      assert.ok(sub.clientState && sub.clientState.length >= 32 && sub.clientState.length <= 128);
      const lifetime = Date.parse(sub.expirationDateTime) - before;
      assert.ok(lifetime > 4200 * MINUTE && lifetime <= 4320 * MINUTE, `lifetime ${lifetime / MINUTE} min`);
    }
    assert.notEqual(members.clientState, chat.clientState);
    // Both URLs were validated by a handshake, for each subscription.
    assert.equal(h.handshakes, 4);

    const stored = await h.stored((r) => r.chatId === chatId);
    assert.deepEqual(stored.map((r) => r.id).sort(), [members.id, chat.id].sort());
    assert.equal(stored.find((r) => r.id === members.id)?.clientState, members.clientState);
    assert.equal(stored.find((r) => r.id === members.id)?.kind, 'chatMembers');
    assert.equal(stored.find((r) => r.id === chat.id)?.kind, 'chat');
  });

  it('a new installation starts with a fresh retry state: after three remove/re-add cycles during an outage it tries again promptly', async () => {
    h = await SubscriptionHarness.start({ random: () => 0.5 });
    const [tenant] = h.tenants as [string];
    const chatId = h.createChat(tenant);
    h.gw.graph.failNextRequests({ count: 10_000, status: 503, pathPrefix: '/subscriptions' });
    const retryIn = async () => Date.parse((await h.manager.describeChat(chatId)).pendingSyncAt ?? 'NaN') - Date.now();
    for (let cycle = 0; cycle < 3; cycle++) {
      await h.install(chatId);
      await h.idle();
      assert.ok((await retryIn()) <= 61_000, `cycle ${cycle + 1}: first retry in ${Math.round((await retryIn()) / 1000)} s`);
      await h.uninstall(chatId);
      await h.idle();
    }
    await h.install(chatId);
    await h.idle();
    assert.ok((await retryIn()) > 0 && (await retryIn()) <= 61_000, `after three cycles the first retry is in ${Math.round((await retryIn()) / 1000)} s, not minutes`);
  });

  it('takes a baseline: topic and roster with display names, without announcing anything', async () => {
    h = await SubscriptionHarness.start();
    const [tenant] = h.tenants as [string];
    const chatId = h.createChat(tenant, 'Launch crew');
    await h.install(chatId);
    await h.idle();
    const state = await h.store.chats.get(chatId);
    assert.ok(state?.baselineAt);
    assert.equal(state.topic, 'Launch crew');
    const people = h.users.filter((u) => u.tenantId === tenant);
    assert.deepEqual(
      Object.values(state.roster).map((e) => [e.displayName, e.present]).sort(),
      people.map((u) => [u.displayName, true]).sort(),
    );
    assert.ok(Object.values(state.roster).every((e) => e.membershipId));
    assert.equal(h.changes.length, 0);
  });

  it('with TEAMS_APP_ID keeps one tenant-wide pair per tenant, in evaluation mode without GRAPH_BILLING_MODEL', async () => {
    h = await SubscriptionHarness.start({ teamsAppId: true });
    const [t1, t2] = h.tenants as [string, string];
    const a = h.createChat(t1);
    const b = h.createChat(t1);
    const c = h.createChat(t2);
    await h.install(a);
    await h.idle();
    await h.install(b);
    await h.install(c);
    await h.idle();

    const base = `/appCatalogs/teamsApps/${h.app.teamsAppId}/installedToChats`;
    for (const tenant of [t1, t2]) {
      const tenantWide = h.live(tenant).filter((s) => s.resource.startsWith('/appCatalogs/'));
      assert.deepEqual(tenantWide.map((s) => `${s.resource} ${s.changeType}`).sort(), [`${base} updated`, `${base}/getAllMembers created,deleted`]);
    }
    assert.equal(h.live(t1).length, 2 * 2 + 2);
    assert.equal(h.live(t2).length, 2 + 2);
    const status = (await h.herald.statusLines(a)).join('\n');
    assert.match(status, /evaluation mode/);
    assert.equal((await h.manager.describeChat(a)).evaluationMode, true);
    assert.equal((await h.manager.describeChat(a)).tenantSubscriptions.length, 2);
  });

  it('appends ?model=B to the metered tenant-wide resources when GRAPH_BILLING_MODEL=B', async () => {
    h = await SubscriptionHarness.start({ teamsAppId: true, billingModelB: true });
    const [tenant] = h.tenants as [string];
    const chatId = h.createChat(tenant);
    await h.install(chatId);
    await h.idle();
    const tenantWide = h.live(tenant).filter((s) => s.resource.startsWith('/appCatalogs/'));
    assert.equal(tenantWide.length, 2);
    assert.ok(tenantWide.every((s) => s.resource.endsWith('?model=B')));
    assert.doesNotMatch((await h.herald.statusLines(chatId)).join('\n'), /evaluation mode/);
  });

  it('creates one pair even when the installation is reported several times at once', async () => {
    h = await SubscriptionHarness.start({ teamsAppId: true });
    const [tenant] = h.tenants as [string];
    const chatId = h.createChat(tenant);
    const chat2 = h.createChat(tenant);
    const touched = await h.herald.context.registry.touch(installActivity(chatId, tenant, h.serviceUrl));
    const installation = touched?.installation ?? assert.fail('not installed');
    // The same chat announced again and again, and another chat of the tenant at the same moment.
    await Promise.all([
      h.herald.context.events.emit('installed', { installation, firstTime: false }),
      h.herald.context.events.emit('installed', { installation, firstTime: false }),
      h.install(chat2),
      h.herald.context.events.emit('installed', { installation, firstTime: false }),
    ]);
    await h.idle();
    assert.equal(h.live(tenant).length, 2 + 2 + 2);
    assert.equal(h.subscriptionActions('created'), 6);
    assert.equal((await h.stored()).length, 6);
  });

  it('on removal deletes the chat\'s subscriptions, and the tenant-wide pair with the last chat of the tenant', async () => {
    h = await SubscriptionHarness.start({ teamsAppId: true });
    const [tenant] = h.tenants as [string];
    const a = h.createChat(tenant);
    const b = h.createChat(tenant);
    await h.install(a);
    await h.install(b);
    await h.idle();
    assert.equal(h.live(tenant).length, 6);

    await h.uninstall(a);
    await h.idle();
    assert.deepEqual(h.live(tenant).filter((s) => s.resource.includes(a)), []);
    assert.equal(h.live(tenant).length, 4, 'b\'s pair and the tenant pair remain');

    await h.uninstall(b);
    await h.idle();
    assert.deepEqual(h.live(tenant), []);
    assert.deepEqual(await h.stored(), []);
  });

  it('uses one cached token per tenant for all of that work', async () => {
    h = await SubscriptionHarness.start({ teamsAppId: true });
    const [t1, t2] = h.tenants as [string, string];
    h.gw.login.resetTokenRequestCounts();
    for (const tenant of [t1, t1, t1, t2, t2]) await h.install(h.createChat(tenant));
    await h.idle();
    assert.ok(h.stats.snapshot().total >= 5 * 4);
    assert.equal(h.gw.login.tokenRequestCount({ tenantId: t1 }), 1);
    assert.equal(h.gw.login.tokenRequestCount({ tenantId: t2 }), 1);
  });
});
