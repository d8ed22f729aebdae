import assert from 'node:assert/strict';
import { SubscriptionHarness } from '../../support/subscriptions/subscriptionHarness.js';

/** Through the Graph double: a leave and a rejoin of one person, delivered newest first in one batch. */
describe('membership changes of one person delivered out of order', function () {
  this.timeout(30_000);
  let h: SubscriptionHarness;
  let tenant: string;
  let chatId: string;

  beforeEach(async () => {
    h = await SubscriptionHarness.start({}, 1);
    tenant = h.tenants[0] as string;
    chatId = h.createChat(tenant, 'Order');
    await h.install(chatId);
    await h.idle();
    await h.store.chats.update(chatId, (current) => (current ? { ...current, settings: { ...current.settings, windowMs: 0 } } : current));
  });

  afterEach(async () => {
    await h?.close();
  });

  async function settled(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      await h.gw.whenIdle();
      await h.herald.modules.notifications.processor.idle();
      await h.herald.modules.announcements.idle();
      if ((await h.store.inbox.count()) === 0 && (await h.store.outbox.count()) === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('asks Graph for the current membership and says only what is true now (she is still in the chat)', async () => {
    const ada = h.users.find((u) => u.tenantId === tenant) ?? assert.fail('no user');
    const reads = h.stats.snapshot().calls.listChatMembers ?? 0;
    h.gw.graph.holdDeliveries();
    h.gw.world.removeMember(chatId, ada.id);
    h.gw.world.addMember(chatId, ada.id);
    h.gw.graph.releaseDeliveries({ reversed: true });
    await settled();

    assert.equal((await h.store.chats.get(chatId))?.roster[ada.id]?.present, true, 'the roster says she is in the chat');
    const said = h.posts.filter((p) => p.chatId === chatId && p.text.includes(ada.displayName));
    assert.deepEqual(said, [], 'nothing untrue ("left") is announced');
    assert.ok((h.stats.snapshot().calls.listChatMembers ?? 0) > reads, 'Graph was asked for the members');
  });
});
