import assert from 'node:assert/strict';
import type { WorldUser } from '../../../sim/doubles/world/types.js';
import { SubscriptionHarness } from '../../support/subscriptions/subscriptionHarness.js';
import type { Mutation } from '../../support/subscriptions/crashableStore.js';

/**
 * Herald is killed (dropped without stopping; nothing more it does is stored or posted) right before each
 * storage write that the processing of a burst of joins makes, one kill per run, and started again on
 * the same DATA_DIR: accepted (inbox) → decrypted and deduplicated → chat state updated → summary
 * pending → summary closed and post queued → posted. After every restart each join is announced
 * exactly once.
 *
 * One window is at least once by design: a kill after the Bot Connector accepted a post and before its
 * outbox entry is deleted posts it again (the connector has no idempotency key for new activities, and
 * losing the post instead would break the promise worse); there a join may be announced twice, never
 * lost, and the history still has it once.
 */
describe('killed at every step of processing a burst of joins, each join is announced exactly once after the restart', function () {
  this.timeout(240_000);
  let h!: SubscriptionHarness;
  let running = false;
  let tenant: string;
  let run = 0;

  async function startHerald(options: { tenantWide: boolean }): Promise<void> {
    if (running) await h.close();
    h = await SubscriptionHarness.start(options.tenantWide ? { teamsAppId: true, billingModelB: true } : {}, 1);
    running = true;
    tenant = h.tenants[0] as string;
  }

  after(async () => {
    if (running) await h.close();
  });

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /** Everything accepted has been processed, every window closed and every post sent, twice in a row. */
  async function settled(): Promise<void> {
    let quiet = 0;
    for (let i = 0; i < 400 && quiet < 3; i++) {
      await h.gw.whenIdle();
      await h.herald.modules.notifications.processor.idle();
      await h.herald.modules.announcements.idle();
      const busy = (await h.store.inbox.count()) + (await h.store.pendingSummaries.count()) + (await h.store.outbox.count());
      quiet = busy === 0 ? quiet + 1 : 0;
      await sleep(quiet === 0 ? 50 : 150);
    }
  }

  /** A chat with Herald installed and its summary window set, and people about to join it. */
  async function chatWithJoiners(windowMs: number, joiners: number): Promise<{ chatId: string; people: WorldUser[] }> {
    run++;
    const chatId = h.createChat(tenant, `Run ${run}`);
    await h.install(chatId);
    await h.idle();
    await settled();
    await h.store.chats.update(chatId, (current) => (current ? { ...current, settings: { ...current.settings, windowMs } } : current));
    const people = ['Ada', 'Bea', 'Cy', 'Dot', 'Eve'].slice(0, joiners).map((name) => h.gw.world.addUser({ displayName: `${name} R${run}x`, tenantId: tenant }));
    return { chatId, people };
  }

  /** `repeatable`: the kill fell after a post was accepted and before its outbox entry was deleted. */
  async function assertAnnouncedOnce(chatId: string, people: WorldUser[], where: string, repeatable = false): Promise<void> {
    const texts = h.posts.filter((p) => p.chatId === chatId).map((p) => p.text);
    for (const person of people) {
      const mentions = texts.reduce((n, text) => n + text.split(person.displayName).length - 1, 0);
      const said = `${where}: ${person.displayName} announced ${mentions} times in ${JSON.stringify(texts)}`;
      if (repeatable) assert.ok(mentions === 1 || mentions === 2, said);
      else assert.equal(mentions, 1, said);
      const joins = (await h.store.history.page(chatId)).filter((e) => e.kind === 'joined' && 'userId' in e && e.userId === person.id);
      assert.equal(joins.length, 1, `${where}: ${person.displayName} is in the history ${joins.length} times`);
    }
  }

  /** Several chats whose joins Graph delivers in one batch (held, then sent together: one POST). */
  async function chatsWithJoiners(windowMs: number, joiners: number, chats: number): Promise<Array<{ chatId: string; people: WorldUser[] }>> {
    const made = [];
    for (let i = 0; i < chats; i++) made.push(await chatWithJoiners(windowMs, joiners));
    return made;
  }

  function join(runs: Array<{ chatId: string; people: WorldUser[] }>): void {
    if (runs.length > 1) h.gw.graph.holdDeliveries();
    for (const { chatId, people } of runs) for (const person of people) h.gw.world.addMember(chatId, person.id);
    if (runs.length > 1) h.gw.graph.releaseDeliveries();
  }

  /** Kills before each write the processing makes; with several chats, inside one chat's unit of work of a batch. */
  async function killEverywhere(windowMs: number, joiners: number, chats = 1): Promise<void> {
    // A run without a kill lists the writes the processing makes.
    const dry = await chatsWithJoiners(windowMs, joiners, chats);
    const writes: Mutation[] = [];
    h.storage.before = (m) => {
      writes.push(m);
      return false;
    };
    join(dry);
    await settled();
    h.storage.before = () => false;
    for (const { chatId, people } of dry) await assertAnnouncedOnce(chatId, people, 'without a kill');
    assert.ok(writes.length >= 4, `the processing writes (${writes.length})`);

    for (let at = 0; at < writes.length; at++) {
      const runs = await chatsWithJoiners(windowMs, joiners, chats);
      let seen = 0;
      let killedAt: Mutation | null = null;
      h.storage.before = (m) => {
        if (seen++ !== at) return false;
        killedAt = m;
        return true;
      };
      join(runs);
      for (let i = 0; i < 400 && !h.storage.crashed; i++) await sleep(10);
      const where = `killed before write ${at + 1} of ${writes.length} (${killedAt ? `${(killedAt as Mutation).collection}.${(killedAt as Mutation).op}` : 'never reached'})`;
      await h.kill();
      await settled();
      const repeatable = (killedAt as Mutation | null)?.collection === 'outbox' && (killedAt as Mutation | null)?.op === 'delete';
      for (const { chatId, people } of runs) await assertAnnouncedOnce(chatId, people, where, repeatable);
    }
  }

  it('five joins, posted at once (window 0)', async () => {
    await startHerald({ tenantWide: false });
    await killEverywhere(0, 5);
  });

  it('three joins in one summary window', async () => {
    await killEverywhere(400, 3);
  });

  it('two joins in each of three chats, delivered in one batch', async () => {
    await killEverywhere(0, 2, 3);
  });

  it('five joins, each reported by the per-chat and the tenant-wide subscription', async () => {
    // The second report is a duplicate while the first is still being handled: its bookkeeping must not
    // make the first one's replay look like a duplicate too.
    await startHerald({ tenantWide: true });
    await killEverywhere(0, 5);
  });
});
