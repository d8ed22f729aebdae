import assert from 'node:assert/strict';
import type sinon from 'sinon';
import { advance, fakeTime, SubscriptionHarness } from '../../support/subscriptions/subscriptionHarness.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('permanent Graph failures (consent missing, RSC not granted, billing)', () => {
  let h: SubscriptionHarness;
  let clock: sinon.SinonFakeTimers;

  beforeEach(async () => {
    const time = fakeTime();
    clock = time.clock;
    h = await SubscriptionHarness.start({ timers: time.timers, random: () => 0.5 });
  });

  afterEach(async () => {
    await h?.close();
    clock?.restore();
  });

  const statusOf = async (chatId: string) => (await h.herald.statusLines(chatId)).join('\n');

  it('RSC not granted: records the problem on the chat, explains it in the chat once, and does not retry forever', async () => {
    const [tenant] = h.tenants as [string];
    // Herald's bot is in the chat, but the chat's resource-specific consent was never granted.
    const chatId = h.createChat(tenant, 'No consent', { installApp: false });
    await h.install(chatId);
    await h.idle();

    assert.equal(h.live(tenant).length, 0);
    const problem = (await h.store.chats.get(chatId))?.problem;
    assert.equal(problem?.code, 'graphAccessDenied');
    assert.equal(problem?.announced, true);
    assert.equal(h.posts.length, 1);
    assert.equal(h.posts[0]?.chatId, chatId);
    assert.match(h.posts[0]?.text ?? '', /resource-specific consent/);
    assert.match(h.posts[0]?.text ?? '', /admin/);
    assert.match(await statusOf(chatId), /Problem: .*resource-specific consent/);
    assert.ok((await h.store.history.page(chatId)).some((e) => e.kind === 'problem'));

    const attempts = h.stats.snapshot().calls.createSubscription;
    await advance(h, clock, 3 * DAY);
    assert.equal(h.stats.snapshot().calls.createSubscription, attempts, 'no retries on a timer');
    assert.equal(h.posts.length, 1);

    // A restart tries once more, silently: the chat was told already.
    await h.restart();
    assert.equal(h.posts.length, 1);
    assert.equal((await h.store.chats.get(chatId))?.problem?.announced, true);
  });

  it('consent revoked later: reauthorization fails with 403, the chat hears about it exactly once', async () => {
    const [tenant] = h.tenants as [string];
    const chatId = h.createChat(tenant);
    await h.install(chatId);
    await h.idle();
    await advance(h, clock, HOUR);

    // Graph sends reauthorizationRequired for both subscriptions when consent goes away.
    h.gw.graph.revokeConsent(chatId);
    await h.idle();
    for (let i = 0; i < 200 && h.lifecycles.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    await h.idle();
    assert.equal(h.posts.length, 1);
    assert.equal((await h.store.chats.get(chatId))?.problem?.code, 'graphAccessDenied');
    assert.ok((await h.stored()).every((r) => r.lastError?.startsWith('403')));

    // Renewals keep failing the same way; nothing more is posted.
    await advance(h, clock, 3 * DAY);
    assert.equal(h.posts.length, 1);

    // Consent comes back and Herald is added again: the problem clears and subscriptions are recreated.
    h.gw.graph.restoreConsent(chatId);
    await h.uninstall(chatId);
    h.gw.world.installApp(chatId, h.app.teamsAppId);
    await h.install(chatId);
    await h.idle();
    assert.equal((await h.store.chats.get(chatId))?.problem, null);
    assert.equal(h.live(tenant).length, 2);
  });

  it('a failed explanation is tried again next time rather than lost', async () => {
    const [tenant] = h.tenants as [string];
    const chatId = h.createChat(tenant, 'No consent', { installApp: false });
    const post = h.herald.context.poster.post;
    h.herald.context.poster.post = async () => {
      throw new Error('connector down');
    };
    await h.install(chatId);
    await h.idle();
    assert.equal((await h.store.chats.get(chatId))?.problem?.announced, false);
    h.herald.context.poster.post = post;
    await h.restart();
    assert.equal(h.posts.length, 1);
    assert.equal((await h.store.chats.get(chatId))?.problem?.announced, true);
  });

  it('tenant-wide pair refused for want of the WhereInstalled roles: status tells the admin how to consent, per-chat subscriptions keep working', async () => {
    await h.close();
    clock.restore();
    const time = fakeTime();
    clock = time.clock;
    h = await SubscriptionHarness.start({ timers: time.timers, teamsAppId: true });
    // Only User.ReadBasic.All: Chat.ReadBasic.WhereInstalled and ChatMember.Read.WhereInstalled not consented.
    h.gw.login.setAppRoles(h.app.clientId, ['User.ReadBasic.All']);
    const [tenant] = h.tenants as [string];
    const chatId = h.createChat(tenant);
    await h.install(chatId);
    await h.idle();
    assert.deepEqual(h.live(tenant).map((s) => s.resource).sort(), [`/chats/${chatId}`, `/chats/${chatId}/members`]);
    const problem = (await h.manager.describeChat(chatId)).tenantProblem ?? '';
    assert.match(problem, /403/);
    assert.match(problem, /admin consent for the application permissions Chat\.ReadBasic\.WhereInstalled and ChatMember\.Read\.WhereInstalled/);
    assert.match(problem, /Grant admin consent/);
    assert.match(problem, /https:\/\/login\.microsoftonline\.com\/[^/ ]+\/adminconsent\?client_id=/);
    assert.match(await statusOf(chatId), /Tenant-wide subscriptions: .*Grant admin consent/);
    assert.equal(h.posts.length, 0, 'a tenant-wide permission problem is not posted into chats');
  });

  it('model=B without billing: the tenant-wide pair is reported in status, per-chat subscriptions keep working', async () => {
    await h.close();
    clock.restore();
    const time = fakeTime();
    clock = time.clock;
    h = await SubscriptionHarness.start({ timers: time.timers, teamsAppId: true, billingModelB: true });
    h.gw.graph.setBillingEnabled(h.app.clientId, false);
    const [tenant] = h.tenants as [string];
    const chatId = h.createChat(tenant);
    await h.install(chatId);
    await h.idle();
    assert.deepEqual(h.live(tenant).map((s) => s.resource).sort(), [`/chats/${chatId}`, `/chats/${chatId}/members`]);
    assert.match(await statusOf(chatId), /Tenant-wide subscriptions: .*402/);
    assert.match((await h.manager.describeChat(chatId)).tenantProblem ?? '', /Azure subscription/);
    assert.equal(h.posts.length, 0, 'a tenant-wide billing problem is not posted into chats');
    const attempts = h.stats.snapshot().calls.createSubscription;
    await advance(h, clock, DAY);
    assert.equal(h.stats.snapshot().calls.createSubscription, attempts);
  });

  it('a tenant-wide problem is stored: status and the tab still show it after a restart, and it clears when the pair works again', async () => {
    await h.close();
    clock.restore();
    const time = fakeTime();
    clock = time.clock;
    h = await SubscriptionHarness.start({ timers: time.timers, teamsAppId: true, billingModelB: true, random: () => 0.5 });
    h.gw.graph.setBillingEnabled(h.app.clientId, false);
    const [tenant] = h.tenants as [string];
    const chatId = h.createChat(tenant);
    await h.install(chatId);
    await h.idle();
    assert.match((await h.manager.describeChat(chatId)).tenantProblem ?? '', /402/);

    // Restarted while Graph is unreachable: nothing can be re-checked, the stored problem is still shown.
    h.gw.graph.failNextRequests({ count: 10_000, status: 503, pathPrefix: '/subscriptions' });
    await h.restart();
    assert.match((await h.manager.describeChat(chatId)).tenantProblem ?? '', /402/, 'the tab\'s view after the restart');
    assert.match(await statusOf(chatId), /Tenant-wide subscriptions: .*402/);
    assert.equal((await h.manager.health()).tenantProblems, 1);

    h.gw.graph.failNextRequests({ count: 0, status: 503 });
    h.gw.graph.setBillingEnabled(h.app.clientId, true);
    await advance(h, clock, HOUR, 5 * 60_000);
    assert.equal(h.live(tenant).length, 4, 'the tenant-wide pair exists now');
    assert.equal((await h.manager.describeChat(chatId)).tenantProblem, null);
    assert.doesNotMatch(await statusOf(chatId), /Tenant-wide subscriptions/);
    assert.equal((await h.manager.health()).tenantProblems, 0);
  });

  it('removal drops the chat\'s pending retries', async () => {
    const [tenant] = h.tenants as [string];
    const chatId = h.createChat(tenant);
    h.gw.graph.failNextRequests({ count: 1, status: 503, retryAfterSeconds: 600, pathPrefix: '/subscriptions' });
    await h.install(chatId);
    await h.idle();
    assert.ok((await h.manager.describeChat(chatId)).pendingSyncAt);
    await h.uninstall(chatId);
    await h.idle();
    assert.equal((await h.manager.describeChat(chatId)).pendingSyncAt, null);
    const attempts = h.stats.snapshot().calls.createSubscription;
    await advance(h, clock, HOUR);
    assert.equal(h.stats.snapshot().calls.createSubscription, attempts);
    assert.equal(h.live(tenant).length, 0);
  });
});
