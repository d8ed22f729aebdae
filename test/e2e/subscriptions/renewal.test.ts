import assert from 'node:assert/strict';
import type sinon from 'sinon';
import { advance, fakeTime, SubscriptionHarness } from '../../support/subscriptions/subscriptionHarness.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('subscription renewal (fake clock, Graph double)', () => {
  let h: SubscriptionHarness;
  let clock: sinon.SinonFakeTimers;

  afterEach(async () => {
    await h?.close();
    clock?.restore();
  });

  async function start(options: Parameters<typeof SubscriptionHarness.start>[0] = {}) {
    const time = fakeTime();
    clock = time.clock;
    h = await SubscriptionHarness.start({ timers: time.timers, random: () => 0.5, ...options });
  }

  it('renews every subscription before it expires, across days, without recreating or duplicating any', async () => {
    await start({ teamsAppId: true });
    const [t1, t2] = h.tenants as [string, string];
    await h.install(h.createChat(t1));
    await h.install(h.createChat(t2));
    await h.idle();
    const ids = h.live().map((s) => s.id).sort();
    assert.equal(ids.length, 8);

    await advance(h, clock, 7 * DAY);

    const live = h.live();
    assert.deepEqual(live.map((s) => s.id).sort(), ids, 'the same subscriptions are alive');
    for (const sub of live) assert.ok(Date.parse(sub.expirationDateTime) - Date.now() > DAY, `${sub.resource} has more than a day left`);
    assert.equal(h.subscriptionActions('created'), 8);
    assert.equal(h.subscriptionActions('expired'), 0);
    // ~52 h between renewals (a quarter of 70.5 h before expiry, minus jitter): 3 renewals each in 7 days.
    const renewals = h.stats.snapshot().calls.renewSubscription ?? 0;
    assert.ok(renewals >= 8 * 3 && renewals <= 8 * 4, `renewals: ${renewals}`);
    for (const record of await h.stored()) {
      assert.ok(record.lastRenewedAt);
      assert.equal(record.expirationDateTime, live.find((s) => s.id === record.id)?.expirationDateTime);
    }
  });

  it('keeps renewal schedules across a restart (from storage)', async () => {
    await start();
    const [tenant] = h.tenants as [string];
    const chatId = h.createChat(tenant);
    await h.install(chatId);
    await h.idle();
    const before = (await h.manager.describeChat(chatId)).subscriptions.map((s) => s.nextRenewalAt);
    assert.ok(before.every(Boolean));

    await advance(h, clock, DAY);
    await h.restart();
    const after = (await h.manager.describeChat(chatId)).subscriptions;
    assert.ok(after.every((s) => s.nextRenewalAt && Date.parse(s.nextRenewalAt) > Date.now()));
    await advance(h, clock, 4 * DAY);
    assert.equal(h.live(tenant).length, 2);
    assert.equal(h.subscriptionActions('created'), 2);
    assert.ok((h.stats.snapshot().calls.renewSubscription ?? 0) >= 2);
  });

  it('recreates a subscription whose renewal gets 404, and catches up on what it missed', async () => {
    await start();
    const [tenant] = h.tenants as [string];
    const chatId = h.createChat(tenant);
    await h.install(chatId);
    await h.idle();
    const members = (await h.stored((r) => r.kind === 'chatMembers'))[0];
    assert.ok(members);
    // Graph loses the subscription without telling anyone; meanwhile someone joins.
    await h.graphApi.deleteSubscription(tenant, members.id);
    const newcomer = h.gw.world.addUser({ displayName: 'Margaret', tenantId: tenant });
    h.gw.world.addMember(chatId, newcomer.id);

    await advance(h, clock, 3 * DAY);

    const replaced = await h.stored((r) => r.kind === 'chatMembers');
    assert.equal(replaced.length, 1);
    assert.notEqual(replaced[0]?.id, members.id);
    assert.ok(h.live(tenant).some((s) => s.id === replaced[0]?.id));
    const added = h.changes.filter((c) => c.kind === 'memberAdded' && c.source === 'reconcile');
    assert.deepEqual(added.map((c) => (c.kind === 'memberAdded' ? c.member.displayName : null)), ['Margaret']);
  });

  it('retries a throttled create after Retry-After on the timer wheel, not inside the request', async () => {
    await start();
    const [tenant] = h.tenants as [string];
    const chatId = h.createChat(tenant);
    h.gw.graph.failNextRequests({ count: 1, status: 429, retryAfterSeconds: 300, pathPrefix: '/subscriptions' });
    await h.install(chatId);
    await h.idle();
    assert.equal(h.live(tenant).length, 0);
    const pending = (await h.manager.describeChat(chatId)).pendingSyncAt;
    assert.ok(pending && Date.parse(pending) - Date.now() >= 300_000);
    assert.match((await h.herald.statusLines(chatId)).join('\n'), /retrying in/);

    await advance(h, clock, 6 * MINUTE, MINUTE);
    assert.equal(h.live(tenant).length, 2);
    assert.equal((await h.manager.describeChat(chatId)).pendingSyncAt, null);
  });

  it('retries short Retry-After waits inside the call, a bounded number of times', async () => {
    const sleeps: number[] = [];
    await start({ graphSleep: async (ms) => void sleeps.push(ms) });
    const [tenant] = h.tenants as [string];
    h.gw.graph.failNextRequests({ count: 2, status: 503, retryAfterSeconds: 2, pathPrefix: '/subscriptions' });
    await h.install(h.createChat(tenant));
    await h.idle();
    assert.deepEqual(sleeps, [2000, 2000]);
    assert.equal(h.live(tenant).length, 2);
    assert.equal(h.stats.snapshot().retries, 2);
  });
});
