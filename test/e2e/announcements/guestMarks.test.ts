import assert from 'node:assert/strict';
import { newTeamsMember } from '../../../sim/doubles/teams/index.js';
import { DEFAULT_CHAT_SETTINGS } from '../../../src/model/chat.js';
import { OTHER_TENANT, TENANT, announcementTexts, graphMember, installChat, joined, person, startHarness, type Harness } from '../../support/announcements/harness.js';
import { applyChange } from '../../support/announcements/applyChange.js';

/**
 * Teams' bot event for an added person carries no guest flag and no home tenant, and it usually comes
 * before Graph's membership notification. The guest and external marks (and "guests only") must not
 * depend on which source comes first: the bot reads the person from the Bot Connector, and Graph's item,
 * when it comes while the summary window is open, completes the change still waiting there.
 */
describe('guest and external marks whichever source comes first', function () {
  this.timeout(30_000);
  let h: Harness;
  const ada = person('Ada Lovelace');
  const gus = newTeamsMember({ name: 'Gus Guest', tenantId: TENANT, userRole: 'guest' });
  const erin = person('Erin External', OTHER_TENANT);

  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  /** Waits for the default summary window (5 s) to close and its post to be sent (all of it when no post is expected). */
  async function afterDefaultWindow(chatId: string, expected: number): Promise<string[]> {
    const until = Date.now() + DEFAULT_CHAT_SETTINGS.windowMs + 2_000;
    while (Date.now() < until && (expected === 0 || announcementTexts(h, chatId).length < expected)) await new Promise((resolve) => setTimeout(resolve, 100));
    await h.announcements.idle();
    return announcementTexts(h, chatId);
  }

  it('a guest Teams tells the bot about is announced as a guest (the Bot Connector says userRole guest)', async () => {
    const chatId = await installChat(h, [ada]);
    assert.equal((await h.herald.context.settings.get(chatId)).windowMs, DEFAULT_CHAT_SETTINGS.windowMs);
    await h.double.channel.membersAdded({ chatId, members: [gus], by: ada });
    assert.deepEqual(await afterDefaultWindow(chatId, 1), ['Ada Lovelace added Gus Guest (Guest)']);
  });

  it('someone from another organization Teams tells the bot about is announced as external, without Graph', async () => {
    const chatId = await installChat(h, [ada]);
    await h.double.channel.membersAdded({ chatId, members: [erin], by: ada });
    assert.deepEqual(await afterDefaultWindow(chatId, 1), ['Ada Lovelace added Erin External (External)']);
  });

  it('guests only: a guest added is announced when the bot event comes first and Graph second', async () => {
    const chatId = await installChat(h, [ada]);
    await h.herald.context.settings.apply(chatId, TENANT, { guestsOnly: true }, 'Ada Lovelace', 'chat');
    // The connector cannot say who Gus is this time: only Graph's item, a moment later, knows the guest.
    h.double.connector.failNextMemberReads({ count: 100, status: 403, conversationId: chatId });
    await h.double.channel.membersAdded({ chatId, members: [gus], by: ada });
    await h.announcements.idle();
    await applyChange(h.herald.context, joined(chatId, graphMember(gus, { roles: ['guest'], withName: true })));
    assert.deepEqual(await afterDefaultWindow(chatId, 1), ['Ada Lovelace added Gus Guest (Guest)']);
  });

  it('guests only: someone of the chat\'s own organization added is still not announced', async () => {
    const chatId = await installChat(h, [ada]);
    await h.herald.context.settings.apply(chatId, TENANT, { guestsOnly: true }, 'Ada Lovelace', 'chat');
    const grace = person('Grace Hopper');
    await h.double.channel.membersAdded({ chatId, members: [grace], by: ada });
    await h.announcements.idle();
    await applyChange(h.herald.context, joined(chatId, graphMember(grace)));
    assert.deepEqual(await afterDefaultWindow(chatId, 0), []);
  });

  it('post at once (window 0): the bot event alone marks the guest', async () => {
    const chatId = await installChat(h, [ada]);
    await h.herald.context.settings.apply(chatId, TENANT, { windowMs: 0, guestsOnly: true }, 'Ada Lovelace', 'chat');
    await h.double.channel.membersAdded({ chatId, members: [gus], by: ada });
    await h.announcements.idle();
    assert.deepEqual(announcementTexts(h, chatId), ['Ada Lovelace added Gus Guest (Guest)']);
  });

  it('Graph first, then the bot event: the roles Graph gave are kept (the bot event knows no owner role)', async () => {
    const chatId = await installChat(h, [ada]);
    await h.herald.context.settings.apply(chatId, TENANT, { windowMs: 0 }, 'Ada Lovelace', 'chat');
    const grace = person('Grace Hopper');
    h.double.directory.addMember(chatId, grace);
    await applyChange(h.herald.context, joined(chatId, graphMember(grace, { roles: ['owner'] })));
    await h.announcements.idle();
    await h.double.channel.membersAdded({ chatId, members: [grace], by: ada });
    await h.announcements.idle();
    assert.deepEqual((await h.herald.context.store.chats.get(chatId))?.roster[grace.aadObjectId]?.roles, ['owner']);
  });
});
