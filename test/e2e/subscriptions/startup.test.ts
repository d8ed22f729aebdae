import assert from 'node:assert/strict';
import { SubscriptionHarness } from '../../support/subscriptions/subscriptionHarness.js';

describe('start-up reconcile (restart against the Graph double)', () => {
  let h: SubscriptionHarness;

  afterEach(async () => {
    await h?.close();
  });

  it('adopts the live subscriptions it knows: a restart creates nothing and leaves no duplicates', async () => {
    h = await SubscriptionHarness.start({ teamsAppId: true });
    const [t1, t2] = h.tenants as [string, string];
    for (const tenant of [t1, t1, t2]) await h.install(h.createChat(tenant));
    await h.idle();
    const before = h.live().map((s) => s.id).sort();
    assert.equal(before.length, 3 * 2 + 2 * 2);

    h.stats.reset();
    await h.restart();
    await h.restart();

    assert.deepEqual(h.live().map((s) => s.id).sort(), before);
    assert.deepEqual((await h.stored()).map((r) => r.id).sort(), before);
    assert.equal(h.subscriptionActions('created'), before.length);
    assert.equal(h.subscriptionActions('deleted'), 0);
    // One list per known tenant per start (two starts, two tenants); nothing created.
    assert.equal(h.stats.snapshot().calls.listSubscriptions, 4);
    assert.equal(h.stats.snapshot().calls.createSubscription ?? 0, 0);
    // Renewals are scheduled again from storage.
    for (const record of await h.stored((r) => r.chatId !== null)) {
      const view = await h.manager.describeChat(record.chatId as string);
      assert.ok([...view.subscriptions, ...view.tenantSubscriptions].every((s) => s.nextRenewalAt));
    }
  });

  it('says in /healthz when the start-up reconcile is done, so an operator can tell a restart has settled', async () => {
    h = await SubscriptionHarness.start({ teamsAppId: true });
    await h.install(h.createChat(h.tenants[0] as string));
    await h.idle();
    await h.restart();
    await h.manager.whenIdle();
    assert.equal((await h.manager.health()).startupReconcile, 'done');
  });

  it('deletes orphans and subscriptions it cannot vouch for, recreates what is missing, and leaves other deployments alone', async () => {
    h = await SubscriptionHarness.start({ teamsAppId: true });
    const [tenant] = h.tenants as [string];
    const kept = h.createChat(tenant);
    const left = h.createChat(tenant);
    const lost = h.createChat(tenant);
    const stranger = h.createChat(tenant);
    for (const chatId of [kept, left, lost]) await h.install(chatId);
    await h.idle();
    const certificate = h.live(tenant)[0]?.encryptionCertificate ?? assert.fail('no certificate');

    // While Herald is down: it is removed from `left`; its record of one of `lost`'s subscriptions is
    // lost (so that one's clientState is unknown); someone created a subscription with Herald's app and
    // URL for a chat Herald was never installed in; another deployment of the app (another URL) has one.
    await h.herald.stop();
    const store = await (await import('../../../src/storage/sqlite/SqliteStore.js')).openSqliteStore(h.dataDir);
    const leftInstallation = (await store.installations.get(left)) ?? assert.fail('no installation');
    await store.installations.put(left, { ...leftInstallation, status: 'uninstalled', uninstalledAt: new Date().toISOString() });
    const lostRecord = (await store.subscriptions.all()).filter((r) => r.chatId === lost && r.kind === 'chatMembers')[0] ?? assert.fail('no record');
    await store.subscriptions.delete(lostRecord.id);
    await store.close();

    const body = (resource: string, url: string) => ({
      changeType: 'updated',
      notificationUrl: `${url}/api/notifications`,
      lifecycleNotificationUrl: `${url}/api/notifications/lifecycle`,
      resource,
      expirationDateTime: new Date(Date.now() + 3600_000 * 24).toISOString(),
      clientState: 'someone-else',
      includeResourceData: true,
      encryptionCertificate: certificate,
      encryptionCertificateId: 'other',
      latestSupportedTlsVersion: 'v1_2' as const,
    });
    // Graph validates the URL of a new subscription, so Herald must be listening while these are made.
    await h.boot();
    const strangerSub = await h.graphApi.createSubscription(tenant, body(`/chats/${stranger}`, h.publicUrl));
    const elsewhere = h.createChat(tenant);
    const otherDeployment = await h.graphApi.createSubscription(tenant, body(`/chats/${elsewhere}`, h.connector.origin));

    await h.restart();

    const live = h.live(tenant);
    const resources = live.map((s) => s.resource).sort();
    assert.deepEqual(
      resources,
      [
        `/appCatalogs/teamsApps/${h.app.teamsAppId}/installedToChats`,
        `/appCatalogs/teamsApps/${h.app.teamsAppId}/installedToChats/getAllMembers`,
        `/chats/${elsewhere}`,
        `/chats/${kept}`,
        `/chats/${kept}/members`,
        `/chats/${lost}`,
        `/chats/${lost}/members`,
      ].sort(),
    );
    assert.ok(!live.some((s) => s.id === strangerSub.id), 'orphan for a chat Herald is not in: deleted');
    assert.ok(!live.some((s) => s.id === lostRecord.id), 'subscription with an unknown clientState: replaced');
    assert.ok(live.some((s) => s.id === otherDeployment.id), 'another deployment\'s subscription: left alone');
    // Never two live subscriptions for one resource; the store matches Graph for Herald's own.
    assert.equal(new Set(resources).size, resources.length);
    const own = live.filter((s) => s.id !== otherDeployment.id).map((s) => s.id).sort();
    assert.deepEqual((await h.stored()).map((r) => r.id).sort(), own);
    assert.equal((await h.stored((r) => r.chatId === lost && r.kind === 'chatMembers'))[0]?.clientState?.length, 64);
  });

  it('recreates subscriptions that expired while Herald was down, and catches up on the chat', async () => {
    h = await SubscriptionHarness.start();
    const [tenant] = h.tenants as [string];
    const chatId = h.createChat(tenant);
    await h.install(chatId);
    await h.idle();
    await h.herald.stop();
    // Both subscriptions vanish at Graph (e.g. expired during a long outage) and the chat changes.
    for (const sub of h.live(tenant)) await h.graphApi.deleteSubscription(tenant, sub.id);
    const newcomer = h.gw.world.addUser({ displayName: 'Dorothy', tenantId: tenant });
    h.gw.world.addMember(chatId, newcomer.id);

    await h.boot();

    assert.equal(h.live(tenant).length, 2);
    assert.deepEqual((await h.stored()).map((r) => r.id).sort(), h.live(tenant).map((s) => s.id).sort());
    const reconciled = h.changes.filter((c) => c.source === 'reconcile' && c.kind === 'memberAdded');
    assert.deepEqual(reconciled.map((c) => (c.kind === 'memberAdded' ? c.member.displayName : null)), ['Dorothy']);
  });
});
