import assert from 'node:assert/strict';
import type sinon from 'sinon';
import { advance, fakeTime, SubscriptionHarness } from '../../support/subscriptions/subscriptionHarness.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('lifecycle notifications (through Herald\'s lifecycle route)', () => {
  let h: SubscriptionHarness;
  let clock: sinon.SinonFakeTimers;
  let tenant: string;
  let chatId: string;

  beforeEach(async () => {
    const time = fakeTime();
    clock = time.clock;
    h = await SubscriptionHarness.start({ timers: time.timers, random: () => 0.5 });
    tenant = h.tenants[0] as string;
    chatId = h.createChat(tenant, 'Release train');
    await h.install(chatId);
    await h.idle();
  });

  afterEach(async () => {
    await h?.close();
    clock?.restore();
  });

  const record = async (kind: 'chat' | 'chatMembers') => {
    const found = (await h.stored((r) => r.chatId === chatId && r.kind === kind))[0];
    assert.ok(found, `a ${kind} subscription is stored`);
    return found;
  };

  /** Graph posts the event to Herald's lifecycle URL; Herald verifies, queues and handles it. */
  async function lifecycle(subscriptionId: string, event: 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed', meanwhile?: () => void) {
    const before = h.lifecycleCount(subscriptionId, event);
    assert.equal(h.gw.graph.sendLifecycleEvent(subscriptionId, event), true);
    meanwhile?.();
    await arrival(subscriptionId, event, before);
  }

  async function arrival(subscriptionId: string, event: string, before: number) {
    await h.idle();
    // The notification pipeline processes its inbox in the background; wait until the event is on the bus.
    for (let i = 0; i < 200 && h.lifecycleCount(subscriptionId, event) === before; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(h.lifecycleCount(subscriptionId, event), before + 1, `Herald received ${event}`);
    await h.idle();
  }

  it('reauthorizationRequired: POST /subscriptions/{id}/reauthorize, expiry unchanged', async () => {
    await advance(h, clock, HOUR);
    const sub = await record('chatMembers');
    await lifecycle(sub.id, 'reauthorizationRequired');
    assert.equal(h.stats.snapshot().calls.reauthorizeSubscription, 1);
    assert.equal(h.subscriptionActions('reauthorized'), 1);
    assert.equal((await record('chatMembers')).expirationDateTime, sub.expirationDateTime);
  });

  it('reauthorizationRequired close to the renewal: renews (PATCH) instead, which also reauthorizes', async () => {
    const sub = await record('chat');
    const renewAt = Date.parse((await h.manager.describeChat(chatId)).subscriptions.find((s) => s.id === sub.id)?.nextRenewalAt ?? '');
    await advance(h, clock, renewAt - Date.now() - 30 * MINUTE);
    await lifecycle(sub.id, 'reauthorizationRequired');
    assert.equal(h.stats.snapshot().calls.reauthorizeSubscription ?? 0, 0);
    assert.equal(h.stats.snapshot().calls.renewSubscription, 1);
    assert.ok(Date.parse((await record('chat')).expirationDateTime) > Date.parse(sub.expirationDateTime));
  });

  it('reauthorizationRequired right after a renewal or reauthorize is not answered twice (Graph\'s 10-minute rule)', async () => {
    await advance(h, clock, HOUR);
    const sub = await record('chat');
    await lifecycle(sub.id, 'reauthorizationRequired');
    await advance(h, clock, 2 * MINUTE, MINUTE);
    await lifecycle(sub.id, 'reauthorizationRequired');
    assert.equal(h.stats.snapshot().calls.reauthorizeSubscription, 1);
  });

  it('reauthorizationRequired right after the subscription was created is answered at once (a creation is not a PATCH)', async () => {
    const sub = await record('chatMembers');
    await lifecycle(sub.id, 'reauthorizationRequired');
    assert.equal(h.stats.snapshot().calls.reauthorizeSubscription, 1);
    assert.equal(h.subscriptionActions('reauthorized'), 1);
  });

  it('reauthorizationRequired within 10 minutes of a reauthorize is deferred to the end of that window, not dropped', async () => {
    await advance(h, clock, HOUR);
    const sub = await record('chat');
    await lifecycle(sub.id, 'reauthorizationRequired');
    await advance(h, clock, 2 * MINUTE, MINUTE);
    await lifecycle(sub.id, 'reauthorizationRequired');
    assert.equal(h.stats.snapshot().calls.reauthorizeSubscription, 1, 'not within the 10 minutes');
    assert.ok((await record('chat')).reauthorizeDueAt, 'the deferred reauthorize is stored');
    await advance(h, clock, 9 * MINUTE, MINUTE);
    assert.equal(h.stats.snapshot().calls.reauthorizeSubscription, 2, 'answered when the window ended');
    assert.equal((await record('chat')).reauthorizeDueAt, null);
  });

  it('a deferred reauthorize survives a restart', async () => {
    await advance(h, clock, HOUR);
    const sub = await record('chat');
    await lifecycle(sub.id, 'reauthorizationRequired');
    await advance(h, clock, MINUTE, MINUTE);
    await lifecycle(sub.id, 'reauthorizationRequired');
    await h.restart();
    const before = h.subscriptionActions('reauthorized');
    await advance(h, clock, 10 * MINUTE, MINUTE);
    assert.equal(h.subscriptionActions('reauthorized'), before + 1);
    assert.equal((await record('chat')).reauthorizeDueAt, null);
  });

  it('subscriptionRemoved: recreates the subscription and re-baselines the chat, announcing what changed meanwhile', async () => {
    await advance(h, clock, HOUR);
    const sub = await record('chatMembers');
    const baselineBefore = (await h.store.chats.get(chatId))?.baselineAt;
    const leaving = h.users.find((u) => u.tenantId === tenant) ?? assert.fail('no user');
    // Graph removes the subscription; someone leaves before Herald has a new one (no notification can exist).
    await lifecycle(sub.id, 'subscriptionRemoved', () => h.gw.world.removeMember(chatId, leaving.id));

    const now = await record('chatMembers');
    assert.notEqual(now.id, sub.id);
    assert.ok(h.live(tenant).some((s) => s.id === now.id));
    assert.ok(!h.live(tenant).some((s) => s.id === sub.id));
    assert.equal(h.live(tenant).length, 2);
    const removed = h.changes.filter((c) => c.kind === 'memberRemoved');
    assert.deepEqual(removed.map((c) => [c.source, c.kind === 'memberRemoved' ? c.member.userId : null]), [['reconcile', leaving.id]]);
    assert.notEqual((await h.store.chats.get(chatId))?.baselineAt, baselineBefore);
    assert.equal((await h.store.chats.get(chatId))?.roster[leaving.id]?.present, false);
  });

  it('missed: re-reads the chat and its members and emits the offline changes with names', async () => {
    await advance(h, clock, HOUR);
    const sub = await record('chatMembers');
    const before = h.lifecycleCount(sub.id, 'missed');
    // Graph fails to deliver a join and tells Herald with `missed`.
    h.gw.graph.dropNextNotification(chatId);
    const newcomer = h.gw.world.addUser({ displayName: 'Katherine Johnson', tenantId: tenant });
    h.gw.world.addMember(chatId, newcomer.id);
    await arrival(sub.id, 'missed', before);

    const added = h.changes.filter((c) => c.kind === 'memberAdded');
    assert.equal(added.length, 1);
    const [event] = added;
    assert.ok(event && event.kind === 'memberAdded');
    assert.equal(event.source, 'reconcile');
    assert.equal(event.member.userId, newcomer.id);
    assert.equal(event.member.displayName, 'Katherine Johnson');
    assert.equal((await record('chatMembers')).id, sub.id, 'the subscription itself stays');
    // The announcer applied it: the roster knows the newcomer now.
    assert.equal((await h.store.chats.get(chatId))?.roster[newcomer.id]?.present, true);
  });

  it('missed on a renamed chat: emits the new topic', async () => {
    await advance(h, clock, HOUR);
    const sub = await record('chat');
    const before = h.lifecycleCount(sub.id, 'missed');
    h.gw.graph.dropNextNotification(chatId);
    h.gw.world.renameChat(chatId, 'Release train (Q3)');
    await arrival(sub.id, 'missed', before);
    const renamed = h.changes.filter((c) => c.kind === 'chatUpdated');
    assert.deepEqual(renamed.map((c) => [c.source, c.kind === 'chatUpdated' ? c.chat.topic : null]), [['reconcile', 'Release train (Q3)']]);
    assert.equal((await h.store.chats.get(chatId))?.topic, 'Release train (Q3)');
  });

  it('ignores lifecycle events for subscriptions it does not know', async () => {
    h.manager.onLifecycle({ kind: 'subscriptionRemoved', subscriptionId: 'not-ours', tenantId: tenant, subscriptionExpirationDateTime: null, receivedAt: new Date().toISOString() });
    await h.idle();
    assert.equal(h.subscriptionActions('created'), 2);
  });

  it('a tenant mismatch on a lifecycle event is not acted on', async () => {
    const sub = await record('chat');
    h.manager.onLifecycle({ kind: 'subscriptionRemoved', subscriptionId: sub.id, tenantId: h.tenants[1] as string, subscriptionExpirationDateTime: null, receivedAt: new Date().toISOString() });
    await h.idle();
    assert.equal((await record('chat')).id, sub.id);
  });

  it('after days of lifecycle events and renewals there is still exactly one live pair', async () => {
    for (let day = 0; day < 4; day++) {
      await advance(h, clock, DAY);
      await lifecycle((await record('chat')).id, 'reauthorizationRequired');
      await lifecycle((await record('chatMembers')).id, 'missed');
    }
    const live = h.live(tenant);
    assert.equal(live.length, 2);
    assert.deepEqual(live.map((s) => s.id).sort(), (await h.stored()).map((r) => r.id).sort());
  });

  /**
   * Not a lifecycle event, but the same catch-up: a notification batch the inbox gave up on (hours of
   * transient failures) has its chats reconciled, so what it carried is announced from Graph's current
   * state, once.
   */
  describe('notifications given up', () => {
    /** A join whose notification is accepted but never handled (the inbox holds it, as while failing). */
    async function unhandledJoin(name: string): Promise<string> {
      await advance(h, clock, HOUR);
      h.herald.modules.notifications.processor.pause();
      const newcomer = h.gw.world.addUser({ displayName: name, tenantId: tenant });
      h.gw.world.addMember(chatId, newcomer.id);
      await h.idle();
      return newcomer.id;
    }

    const lost = async (targets: Array<{ chatId: string | null; subscriptionId: string | null }>) => {
      await h.herald.context.events.emit('notificationsLost', { targets: targets.map((t) => ({ tenantId: tenant, ...t })), reason: 'resourceUnavailable' });
    };
    const joinsOf = (userId: string) => h.changes.filter((c) => c.kind === 'memberAdded' && c.member.userId === userId);

    it('reconciles the chat once, however many lost items named it, and emits the join they carried', async () => {
      const newcomer = await unhandledJoin('Katherine Johnson');
      const sub = await record('chatMembers');
      await lost([{ chatId, subscriptionId: sub.id }, { chatId, subscriptionId: null }]);
      await lost([{ chatId, subscriptionId: sub.id }]);
      await advance(h, clock, 1_000);
      await h.idle();
      assert.equal(joinsOf(newcomer).length, 1);
      assert.equal(joinsOf(newcomer)[0]?.source, 'reconcile');
      assert.equal((await h.store.chats.get(chatId))?.roster[newcomer]?.present, true);
    });

    it('an item naming only its subscription stands for that subscription\'s chat', async () => {
      const newcomer = await unhandledJoin('Dorothy Vaughan');
      await lost([{ chatId: null, subscriptionId: (await record('chat')).id }]);
      await advance(h, clock, 1_000);
      await h.idle();
      assert.equal(joinsOf(newcomer).length, 1);
    });
  });
});
