import assert from 'node:assert/strict';
import { DEFAULT_CHAT_SETTINGS } from '../../../src/model/chat.js';
import { newTeamsMember } from '../../../sim/doubles/teams/index.js';
import { SETTINGS_VERBS } from '../../../src/bot/settingsCard.js';
import { OTHER_TENANT, TENANT, installChat, person, startHarness, type Harness } from '../../support/announcements/harness.js';

/**
 * Who may change a chat's settings, through the chat commands: Herald behind the Teams double's channel
 * (activities in) and Bot Connector (replies and member reads out), as in the playground.
 */
describe('chat commands: who may change settings', () => {
  let h: Harness;
  const ada = person('Ada Lovelace');
  const bob = person('Bob Jones');

  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  /** Sends a command and returns Herald's answer. */
  async function say(chatId: string, from: { id: string; name: string; aadObjectId: string }, text: string): Promise<string> {
    const before = h.double.connector.posts(chatId).length;
    await h.double.channel.sendMessage({ chatId, from, text });
    await h.announcements.idle();
    const answers = h.double.connector.posts(chatId).slice(before);
    assert.equal(answers.length, 1, `one answer to "${text}"`);
    // A card answer (settings) has no text; its words are in the summary.
    return answers[0]?.text ?? String(answers[0]?.activity.summary ?? '');
  }

  const settingsOf = (chatId: string) => h.herald.context.settings.get(chatId);

  it('refuses "quiet" from a guest, says why and who may, and changes nothing', async () => {
    const chatId = await installChat(h, [ada]);
    const guest = newTeamsMember({ name: 'Gil Guest', tenantId: TENANT, userRole: 'guest' });
    h.double.directory.addMember(chatId, guest);
    const answer = await say(chatId, guest, 'quiet');
    assert.equal(answer, "You can't change Herald's settings here: you are a guest in this chat. Only members of this chat's organization who are not guests can.");
    assert.equal((await settingsOf(chatId)).enabled, true);
    assert.deepEqual(await h.herald.context.store.history.page(chatId, { kinds: ['settingsChanged'] }), []);
  });

  it('refuses "guests only off" from someone of another organization', async () => {
    const chatId = await installChat(h, [ada]);
    await h.herald.context.settings.apply(chatId, TENANT, { guestsOnly: true }, 'Ada Lovelace', 'chat');
    const erin = newTeamsMember({ name: 'Erin External', tenantId: OTHER_TENANT });
    h.double.directory.addMember(chatId, erin);
    const answer = await say(chatId, erin, 'guests only off');
    assert.match(answer, /you are from another organization\. Only members of this chat's organization who are not guests can\./);
    assert.equal((await settingsOf(chatId)).guestsOnly, true);
  });

  it('applies a member’s change and names who made it', async () => {
    const chatId = await installChat(h, [ada]);
    const answer = await say(chatId, ada, 'window 3s');
    assert.match(answer, /^Ada Lovelace changed Herald's settings: summary window 3s\. Settings: /);
    assert.equal((await settingsOf(chatId)).windowMs, 3_000);
    assert.equal((await h.herald.context.store.history.page(chatId, { kinds: ['settingsChanged'] }))[0]?.actor, 'Ada Lovelace');
  });

  it('lets a member narrow the rule to owners; then only owners may change settings, the rule included', async () => {
    const chatId = await installChat(h, [ada, bob]);
    // Graph's member roles, as the baseline and membership notifications keep them in the roster.
    await h.herald.context.store.chats.update(chatId, (state) => state && {
      ...state,
      roster: { ...state.roster, [ada.aadObjectId]: { ...state.roster[ada.aadObjectId]!, roles: ['owner'] } },
    });
    assert.match(await say(chatId, bob, 'changes by owners'), /^Bob Jones changed Herald's settings: changes by owners only\./);
    assert.equal((await settingsOf(chatId)).whoMayChange, 'owners');

    assert.equal(await say(chatId, bob, 'quiet'), "You can't change Herald's settings here: you are not an owner of this chat. Only chat owners from this chat's organization (not guests) can.");
    assert.match(await say(chatId, bob, 'changes by members'), /you are not an owner of this chat/);
    assert.equal((await settingsOf(chatId)).whoMayChange, 'owners');
    assert.equal((await settingsOf(chatId)).enabled, true);

    assert.match(await say(chatId, ada, 'quiet'), /^Ada Lovelace changed Herald's settings: announcements off \(quiet\)\./);
    assert.match(await say(chatId, ada, 'settings'), /changes by owners only/);
  });

  it('answers an unknown rule with what it accepts', async () => {
    const chatId = await installChat(h, [ada]);
    assert.equal(await say(chatId, ada, 'changes by everyone'), 'Settings can be changed by "members" or by "owners" only — not "everyone".');
    assert.equal((await settingsOf(chatId)).whoMayChange, 'members');
  });

  it('never takes a word of a command for a setting name ("announce constructor off")', async () => {
    const chatId = await installChat(h, [ada]);
    assert.match(await say(chatId, ada, 'announce constructor off'), /I can announce joins, leaves or topic — not "constructor"/);
    assert.deepEqual(Object.keys((await h.herald.context.store.chats.get(chatId))?.settings ?? {}).sort(), Object.keys(DEFAULT_CHAT_SETTINGS).sort());
  });

  it('where Graph cannot confirm membership (no roster, Graph unreachable), a member changes settings by command and by the card on the Bot Connector\'s word, asked by the id the activity carries', async () => {
    // No baseline: Graph never said who is in the chat (consent missing, Graph down, Agents Playground).
    const chatId = await installChat(h, [ada], undefined, { baseline: false });
    assert.equal((await h.herald.context.store.chats.get(chatId))?.roster[ada.aadObjectId], undefined);
    h.double.connector.clearRequests();
    assert.match(await say(chatId, ada, 'window 30s'), /^Ada Lovelace changed Herald's settings: summary window 30s/);
    const memberReads = h.double.connector.requests(chatId).filter((r) => r.operation === 'getConversationMember');
    assert.deepEqual(memberReads.map((r) => decodeURIComponent(r.path.split('/').at(-1) ?? '')), [ada.id], 'one read of the sender by their 29: id');

    const [card] = h.double.connector.posts(chatId).slice(-1);
    assert.ok(card);
    const pressed = await h.double.channel.pressCardAction({ chatId, from: ada, verb: SETTINGS_VERBS.save, data: { announceJoins: 'false' }, replyToId: card.id });
    await h.announcements.idle();
    assert.equal(pressed.status, 200);
    assert.equal((await settingsOf(chatId)).announceJoins, false);
    assert.equal((await settingsOf(chatId)).windowMs, 30_000);
  });
});
