import assert from 'node:assert/strict';
import sinon from 'sinon';
import { emptyChatState } from '../../../src/model/chat.js';
import {
  OTHER_TENANT,
  TENANT,
  announcementPosts,
  announcementTexts,
  chatUpdated,
  graphMember,
  installChat,
  joined,
  left,
  membershipIdOf,
  person,
  startHarness,
  type Harness,
} from '../../support/announcements/harness.js';
import type { ChangeEvent } from '../../../src/model/changeEvents.js';
import { applyChange } from '../../support/announcements/applyChange.js';

/**
 * Herald as `createHerald` builds it, installed into chats by the Teams double's channel client; change
 * events go in on Herald's event bus (what the notification pipeline publishes), posts come out at the
 * double's Bot Connector over HTTP.
 */
describe('announcements in the chat (Herald ↔ Teams double over HTTP)', () => {
  let h: Harness;
  let clock: sinon.SinonFakeTimers | null = null;
  const ann = person('Ann Lee');

  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    clock?.restore();
    clock = null;
    await h.close();
  });

  const emit = (event: ChangeEvent) => applyChange(h.herald.context, event);

  /** Fake time from here on (timers and Date); real HTTP and storage keep running in between steps. */
  function fakeTime(): sinon.SinonFakeTimers {
    clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['setTimeout', 'clearTimeout', 'Date'], shouldClearNativeTimers: true });
    return clock;
  }

  async function advance(ms: number): Promise<void> {
    await h.announcements.idle();
    for (let done = 0; done < ms; done += 250) {
      await clock?.tickAsync(Math.min(250, ms - done));
      await h.announcements.idle();
    }
  }

  async function setWindow(chatId: string, windowMs: number): Promise<void> {
    await h.herald.context.settings.apply(chatId, TENANT, { windowMs }, 'test', 'chat');
  }

  describe('joins and leaves', () => {
    it('names a person whose payload has no display name (Bot Connector lookup)', async () => {
      const chatId = await installChat(h, [ann]);
      fakeTime();
      const bob = person('Bob Jones');
      h.double.directory.addMember(chatId, bob);
      await emit(joined(chatId, graphMember(bob)));
      await advance(4_000);
      assert.deepEqual(announcementTexts(h, chatId), [], 'nothing before the window closes');
      await advance(1_500);
      assert.deepEqual(announcementTexts(h, chatId), ['Bob Jones joined']);
    });

    it('names people who were in the chat before Herald when they leave (names learnt at install)', async () => {
      const carol = person('Carol White');
      const chatId = await installChat(h, [ann, carol], undefined, { baseline: false });
      await setWindow(chatId, 0);
      h.double.directory.removeMember(chatId, carol.id);
      await emit(left(chatId, { membershipId: membershipIdOf(chatId, carol.aadObjectId) }));
      await h.announcements.idle();
      assert.deepEqual(announcementTexts(h, chatId), ['Carol White left']);
    });

    it('still names someone who leaves after a restart, from the stored roster', async () => {
      const chatId = await installChat(h, [ann]);
      await setWindow(chatId, 0);
      const bob = person('Bob Jones');
      h.double.directory.addMember(chatId, bob);
      await emit(joined(chatId, graphMember(bob)));
      await h.announcements.idle();
      await h.restart();
      h.double.directory.removeMember(chatId, bob.id);
      await emit(left(chatId, { membershipId: membershipIdOf(chatId, bob.aadObjectId) }));
      await h.announcements.idle();
      assert.deepEqual(announcementTexts(h, chatId), ['Bob Jones joined', 'Bob Jones left']);
    });

    it('summarises a burst inside the window in one post', async () => {
      const carol = person('Carol White');
      const chatId = await installChat(h, [ann, carol]);
      fakeTime();
      const newcomers = ['Alice Example', 'Bob Jones', 'Dan Brown', 'Eve Green', 'Finn Grey'].map((n) => person(n));
      for (const p of newcomers) h.double.directory.addMember(chatId, p);
      for (const p of newcomers) await emit(joined(chatId, graphMember(p)));
      await emit(left(chatId, { userId: carol.aadObjectId }));
      await advance(6_000);
      assert.deepEqual(announcementTexts(h, chatId), ['Alice Example, Bob Jones and 3 others joined · Carol White left']);
      const card = JSON.stringify(announcementPosts(h, chatId)[0].attachments[0].content);
      assert.match(card, /Also: Dan Brown, Eve Green, Finn Grey/);
    });

    it('nets a join followed by a leave inside the window', async () => {
      const chatId = await installChat(h, [ann]);
      fakeTime();
      const dan = person('Dan Brown');
      h.double.directory.addMember(chatId, dan);
      await emit(joined(chatId, graphMember(dan)));
      await advance(1_000);
      await emit(left(chatId, { userId: dan.aadObjectId }));
      await advance(5_000);
      assert.deepEqual(announcementTexts(h, chatId), ['Dan Brown joined and left']);
    });

    it('keeps an open window across a restart and posts it afterwards', async () => {
      const chatId = await installChat(h, [ann]);
      const bob = person('Bob Jones');
      h.double.directory.addMember(chatId, bob);
      fakeTime();
      await emit(joined(chatId, graphMember(bob)));
      await h.restart();
      assert.deepEqual(announcementTexts(h, chatId), []);
      await advance(6_000);
      assert.deepEqual(announcementTexts(h, chatId), ['Bob Jones joined']);
    });

    it('marks guests and people from another organisation', async () => {
      const chatId = await installChat(h, [ann]);
      await setWindow(chatId, 0);
      const gina = person('Gina Guest', OTHER_TENANT);
      const xavier = person('Xavier Fed', OTHER_TENANT);
      h.double.directory.addMember(chatId, gina);
      h.double.directory.addMember(chatId, xavier);
      await emit(joined(chatId, graphMember(gina, { roles: ['guest'] })));
      await h.announcements.idle();
      await emit(joined(chatId, graphMember(xavier)));
      await h.announcements.idle();
      assert.deepEqual(announcementTexts(h, chatId), ['Gina Guest (Guest) joined', 'Xavier Fed (External) joined']);
      const timeline = await h.herald.context.store.history.page(chatId, { kinds: ['joined'] });
      assert.deepEqual(timeline.map((e) => [e.actor, e.guest, e.external]).sort(), [['Gina Guest', true, false], ['Xavier Fed', false, true]]);
    });
  });

  describe('topic', () => {
    it('announces a rename, and nothing for updates that did not change the topic', async () => {
      const chatId = await installChat(h, [ann], 'Alpha');
      await setWindow(chatId, 0);
      const t = (s: number) => new Date(Date.now() + s * 1000).toISOString();
      await emit(chatUpdated(chatId, { topic: 'Alpha', lastUpdatedDateTime: t(1) }));
      await emit(chatUpdated(chatId, { lastUpdatedDateTime: t(2), chatType: 'group' }));
      await emit(chatUpdated(chatId, { topic: 'Private view', lastUpdatedDateTime: t(3), viewpoint: { isHidden: false, lastMessageReadDateTime: t(3) } }));
      await emit(chatUpdated(chatId, { topic: 'Beta', lastUpdatedDateTime: t(4) }));
      await h.announcements.idle();
      assert.deepEqual(announcementTexts(h, chatId), ["Chat renamed from 'Alpha' to 'Beta'"]);
    });

    it('ignores a late, older update instead of renaming the chat back', async () => {
      const chatId = await installChat(h, [ann], 'Alpha');
      await setWindow(chatId, 0);
      const t = (s: number) => new Date(Date.now() + s * 1000).toISOString();
      await emit(chatUpdated(chatId, { topic: 'Gamma', lastUpdatedDateTime: t(20) }));
      await emit(chatUpdated(chatId, { topic: 'Beta', lastUpdatedDateTime: t(10) }));
      await emit(chatUpdated(chatId, { topic: 'Alpha', lastUpdatedDateTime: t(5) }));
      await h.announcements.idle();
      assert.deepEqual(announcementTexts(h, chatId), ["Chat renamed from 'Alpha' to 'Gamma'"]);
      assert.equal((await h.herald.context.store.chats.get(chatId))?.topic, 'Gamma');
    });

    it('says when a topic is set and when it is cleared', async () => {
      const chatId = await installChat(h, [ann], 'Alpha');
      await setWindow(chatId, 0);
      const t = (s: number) => new Date(Date.now() + s * 1000).toISOString();
      await emit(chatUpdated(chatId, { topic: null, lastUpdatedDateTime: t(1) }));
      await h.announcements.idle();
      await emit(chatUpdated(chatId, { topic: 'Beta', lastUpdatedDateTime: t(2) }));
      await h.announcements.idle();
      assert.deepEqual(announcementTexts(h, chatId), ["Chat topic cleared (was 'Alpha')", "Chat topic set to 'Beta'"]);
    });
  });

  describe('duplicates', () => {
    it('announces a change once when it is delivered twice or by two subscriptions', async () => {
      const chatId = await installChat(h, [ann], 'Alpha');
      await setWindow(chatId, 0);
      const bob = person('Bob Jones');
      h.double.directory.addMember(chatId, bob);
      const t = new Date(Date.now() + 1000).toISOString();
      // Same change, different deliveries (per-chat and tenant-wide subscriptions, Graph retry).
      await emit(joined(chatId, graphMember(bob)));
      await emit(joined(chatId, graphMember(bob)));
      await emit({ ...joined(chatId, graphMember(bob)), source: 'reconcile' });
      await emit(chatUpdated(chatId, { topic: 'Beta', lastUpdatedDateTime: t }));
      await emit(chatUpdated(chatId, { topic: 'Beta', lastUpdatedDateTime: t }));
      await h.announcements.idle();
      await h.restart();
      await emit(joined(chatId, graphMember(bob)));
      await emit(chatUpdated(chatId, { topic: 'Beta', lastUpdatedDateTime: t }));
      await h.announcements.idle();
      assert.deepEqual(announcementTexts(h, chatId), ['Bob Jones joined', "Chat renamed from 'Alpha' to 'Beta'"]);
    });

    it('never posts because of its own messages', async () => {
      const chatId = await installChat(h, [ann]);
      await setWindow(chatId, 0);
      await emit({ ...joined(chatId, graphMember(ann)), kind: 'messageCreated', messageId: '1' } as never);
      await h.announcements.idle();
      assert.deepEqual(h.double.connector.posts(chatId), []);
    });
  });

  describe('settings', () => {
    it('follows the chat commands: announce joins off, window, quiet', async () => {
      const chatId = await installChat(h, [ann]);
      const say = async (text: string) => {
        await h.double.channel.sendMessage({ chatId, from: ann, text });
        await h.announcements.idle();
      };
      await say('window 0');
      await say('announce joins off');
      const bob = person('Bob Jones');
      const carol = person('Carol White');
      h.double.directory.addMember(chatId, bob);
      h.double.directory.addMember(chatId, carol);
      await emit(joined(chatId, graphMember(bob)));
      await emit(joined(chatId, graphMember(carol)));
      await h.announcements.idle();
      h.double.directory.removeMember(chatId, carol.id);
      await emit(left(chatId, { userId: carol.aadObjectId }));
      await h.announcements.idle();
      assert.deepEqual(announcementTexts(h, chatId), ['Carol White left'], 'joins are off; the leave is announced');
      await say('quiet');
      await emit(left(chatId, { userId: bob.aadObjectId }));
      await h.announcements.idle();
      assert.deepEqual(announcementTexts(h, chatId), ['Carol White left']);
      await say('status');
      const answers = h.double.connector.posts(chatId).map((p) => p.text ?? '');
      assert.ok(answers.some((t) => /quiet \(announcements off\).*joins off.*window 0s/.test(t)), answers.join('\n'));
      assert.equal((await h.herald.context.store.history.page(chatId, { kinds: ['joined', 'left'] })).length, 4, 'the timeline has everything');
    });

    it('shows an open summary window and undelivered posts in @Herald status', async () => {
      const chatId = await installChat(h, [ann]);
      const bob = person('Bob Jones');
      h.double.directory.addMember(chatId, bob);
      await emit(joined(chatId, graphMember(bob)));
      await h.double.channel.sendMessage({ chatId, from: ann, text: 'status' });
      await h.announcements.idle();
      const answer = h.double.connector.posts(chatId).map((p) => p.text ?? '').find((t) => t.includes('Herald status')) ?? '';
      assert.match(answer, /Summary window open: 1 change, posting in \d/);
      assert.equal(((await h.herald.context.health.snapshot()).announcements as { openWindows: number }).openWindows, 1);
    });

    it('tells the chat when someone changed the settings from the tab', async () => {
      const chatId = await installChat(h, [ann]);
      await h.herald.context.settings.apply(chatId, TENANT, { announceJoins: false }, 'Ann Lee', 'tab');
      await h.announcements.idle();
      assert.deepEqual(announcementTexts(h, chatId), ["Ann Lee changed Herald's settings: joins off"]);
    });
  });

  describe('delivery', () => {
    it('retries a throttled post and posts it exactly once', async () => {
      const chatId = await installChat(h, [ann]);
      await setWindow(chatId, 0);
      fakeTime();
      h.double.connector.failNextPosts({ count: 2, status: 429, conversationId: chatId });
      const bob = person('Bob Jones');
      h.double.directory.addMember(chatId, bob);
      await emit(joined(chatId, graphMember(bob)));
      await advance(1_000);
      assert.deepEqual(announcementTexts(h, chatId), []);
      await advance(10_000);
      assert.deepEqual(announcementTexts(h, chatId), ['Bob Jones joined']);
      const statuses = h.double.connector.requests(chatId).filter((r) => r.operation === 'replyToActivity' || r.operation === 'sendToConversation').map((r) => r.status);
      assert.deepEqual(statuses, [429, 429, 201]);
    });

    it('marks the chat uninstalled when the connector answers 403, and stops posting there', async () => {
      const chatId = await installChat(h, [ann]);
      await setWindow(chatId, 0);
      fakeTime();
      h.double.connector.failNextPosts({ count: 1, status: 403, conversationId: chatId });
      const uninstalled: string[] = [];
      h.herald.context.events.on('uninstalled', (e) => void uninstalled.push(e.reason));
      await emit(joined(chatId, graphMember(person('Bob Jones'))));
      await advance(60_000);
      assert.equal((await h.herald.context.registry.get(chatId))?.status, 'uninstalled');
      assert.equal(uninstalled.length, 1);
      await emit(joined(chatId, graphMember(person('Carol White'))));
      await advance(60_000);
      const sends = h.double.connector.requests(chatId).filter((r) => r.operation === 'replyToActivity' || r.operation === 'sendToConversation');
      assert.deepEqual(sends.map((r) => r.status), [403], 'one attempt, no retries, nothing after');
    });
  });

  it('applies changes for a chat it has no state for yet without inventing a rename', async () => {
    const chatId = await installChat(h, [ann]);
    await h.herald.context.store.chats.put(chatId, { ...emptyChatState(chatId, TENANT), settings: { ...emptyChatState(chatId, TENANT).settings, windowMs: 0 } });
    await emit(chatUpdated(chatId, { topic: 'First seen', lastUpdatedDateTime: new Date().toISOString() }));
    await h.announcements.idle();
    assert.deepEqual(announcementTexts(h, chatId), []);
  });
});
