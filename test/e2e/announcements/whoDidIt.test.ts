import assert from 'node:assert/strict';
import { TENANT, announcementTexts, graphMember, installChat, joined, left, membershipIdOf, person, startHarness, type Harness } from '../../support/announcements/harness.js';
import { applyChange } from '../../support/announcements/applyChange.js';

/**
 * Two sources for one change: Teams tells the bot (`conversationUpdate`, naming who did it in `from`)
 * and Graph notifies (naming nobody). Whichever comes first, the change is announced once, and says who
 * made it when Teams said so.
 */
describe('who did it: bot events and Graph notifications together', () => {
  let h: Harness;
  const ada = person('Ada Lovelace');
  const grace = person('Grace Hopper');
  const bob = person('Bob Jones');

  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  const settle = () => h.announcements.idle();
  const graphJoin = (chatId: string) => applyChange(h.herald.context, joined(chatId, graphMember(grace)));

  it('bot event first: announces at once who added whom, and Graph\'s later report adds nothing', async () => {
    const chatId = await installChat(h, [ada]);
    await h.herald.context.settings.apply(chatId, TENANT, { windowMs: 0 }, 'Ada Lovelace', 'chat');
    await h.double.channel.membersAdded({ chatId, members: [grace], by: ada });
    await settle();
    await graphJoin(chatId);
    await settle();
    assert.deepEqual(announcementTexts(h, chatId), ['Ada Lovelace added Grace Hopper']);
    assert.equal((await h.herald.context.store.history.page(chatId, { kinds: ['joined'] })).length, 1, 'one change in the history');
  });

  it('Graph first: the window still open takes the name Teams gives, and posts once', async () => {
    const chatId = await installChat(h, [ada]);
    await h.herald.context.settings.apply(chatId, TENANT, { windowMs: 1_000 }, 'Ada Lovelace', 'chat');
    h.double.directory.addMember(chatId, grace);
    await graphJoin(chatId);
    await settle();
    await h.double.channel.membersAdded({ chatId, members: [grace], by: ada });
    await settle();
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    await settle();
    assert.deepEqual(announcementTexts(h, chatId), ['Ada Lovelace added Grace Hopper']);
  });

  it('only the bot event (Graph cannot report the chat): the change is still announced, once', async () => {
    const chatId = await installChat(h, [ada, bob]);
    await h.herald.context.settings.apply(chatId, TENANT, { windowMs: 0 }, 'Ada Lovelace', 'chat');
    await h.double.channel.membersRemoved({ chatId, members: [bob], by: ada });
    await settle();
    assert.deepEqual(announcementTexts(h, chatId), ['Ada Lovelace removed Bob Jones']);
    // Graph catches up later (a reconcile or a late notification): nothing is announced twice.
    await applyChange(h.herald.context, left(chatId, { membershipId: membershipIdOf(chatId, bob.aadObjectId) }));
    await settle();
    assert.deepEqual(announcementTexts(h, chatId), ['Ada Lovelace removed Bob Jones']);
  });

  it('someone who removes themselves left; nobody is named as the remover', async () => {
    const chatId = await installChat(h, [ada, bob]);
    await h.herald.context.settings.apply(chatId, TENANT, { windowMs: 0 }, 'Ada Lovelace', 'chat');
    await h.double.channel.membersRemoved({ chatId, members: [bob], by: bob });
    await settle();
    assert.deepEqual(announcementTexts(h, chatId), ['Bob Jones left']);
  });

  it('only Graph: says nothing about who', async () => {
    const chatId = await installChat(h, [ada]);
    await h.herald.context.settings.apply(chatId, TENANT, { windowMs: 0 }, 'Ada Lovelace', 'chat');
    h.double.directory.addMember(chatId, grace);
    await graphJoin(chatId);
    await settle();
    assert.deepEqual(announcementTexts(h, chatId), ['Grace Hopper joined']);
  });
});
