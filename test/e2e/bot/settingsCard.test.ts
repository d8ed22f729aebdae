import assert from 'node:assert/strict';
import type { RecordedPost, TeamsMember } from '../../../sim/doubles/teams/index.js';
import { newTeamsMember } from '../../../sim/doubles/teams/index.js';
import { SETTINGS_VERBS } from '../../../src/bot/settingsCard.js';
import { DEFAULT_CHAT_SETTINGS } from '../../../src/model/chat.js';
import { TENANT, installChat, person, startHarness, type Harness } from '../../support/announcements/harness.js';

const ADAPTIVE_CARD = 'application/vnd.microsoft.card.adaptive';

interface CardJson {
  version: string;
  fallbackText: string;
  refresh?: { action: { type: string; verb: string } };
  body: Array<{ type: string; id?: string; value?: string; inlines?: Array<{ text: string }> }>;
  actions: Array<{ type: string; verb: string }>;
}

const cardOf = (post: RecordedPost | undefined): CardJson => {
  const card = post?.attachments.find((a) => a.contentType === ADAPTIVE_CARD)?.content;
  assert.ok(card, 'the post carries an Adaptive Card');
  return card as CardJson;
};
const inputValue = (card: CardJson, id: string) => card.body.find((b) => b.id === id)?.value;
const notice = (card: CardJson) => card.body.find((b) => b.type === 'RichTextBlock')?.inlines?.map((i) => i.text).join('') ?? null;

/**
 * `@Herald settings` answers with a card (Universal Actions); its Save and Refresh arrive as
 * `adaptiveCard/action` invokes through the Teams double, as Teams sends them.
 */
describe('the settings card', () => {
  let h: Harness;
  const ada = person('Ada Lovelace');

  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  async function openCard(chatId: string, from: TeamsMember): Promise<RecordedPost> {
    await h.double.channel.sendMessage({ chatId, from, text: 'settings' });
    const [post] = await h.double.connector.waitForPosts(chatId, 1);
    assert.ok(post);
    return post;
  }

  async function press(chatId: string, from: TeamsMember, card: RecordedPost, verb: string, data: Record<string, unknown> = {}) {
    const delivery = await h.double.channel.pressCardAction({ chatId, from, verb, data, replyToId: card.id });
    await h.announcements.idle();
    return delivery;
  }

  it('answers "settings" with a Universal Actions card showing the chat\'s settings', async () => {
    const chatId = await installChat(h, [ada]);
    await h.herald.context.settings.apply(chatId, TENANT, { announceJoins: false, windowMs: 30_000 }, 'Ada Lovelace', 'chat');
    const card = cardOf(await openCard(chatId, ada));
    assert.equal(card.version, '1.5');
    assert.deepEqual(card.actions.map((a) => [a.type, a.verb]), [['Action.Execute', SETTINGS_VERBS.save]]);
    assert.equal(card.refresh?.action.verb, SETTINGS_VERBS.refresh);
    assert.equal(inputValue(card, 'announceJoins'), 'false');
    assert.equal(inputValue(card, 'announceLeaves'), 'true');
    assert.equal(inputValue(card, 'windowMs'), '30000');
    assert.equal(inputValue(card, 'whoMayChange'), 'members');
    assert.match(card.fallbackText, /joins off · leaves on · topic on · guests only off · window 30s/);
  });

  it('saves a member\'s change, updates the card for everyone and tells the chat who changed what', async () => {
    const chatId = await installChat(h, [ada]);
    const cardPost = await openCard(chatId, ada);
    const delivery = await press(chatId, ada, cardPost, SETTINGS_VERBS.save, { enabled: 'true', announceJoins: 'false', announceLeaves: 'true', announceTopic: 'true', guestsOnly: 'false', windowMs: '10000', whoMayChange: 'members' });

    assert.equal(delivery.status, 200);
    const answer = delivery.body as { statusCode: number; type: string; value: CardJson };
    assert.equal(answer.statusCode, 200);
    assert.equal(answer.type, ADAPTIVE_CARD);
    assert.equal(notice(answer.value), "Ada Lovelace changed Herald's settings: joins off; summary window 10s.");
    assert.equal(inputValue(answer.value, 'announceJoins'), 'false');

    const settings = await h.herald.context.settings.get(chatId);
    assert.equal(settings.announceJoins, false);
    assert.equal(settings.windowMs, 10_000);
    const updated = h.double.connector.posts(chatId).find((p) => p.id === cardPost.id);
    assert.equal(inputValue(cardOf(updated), 'windowMs'), '10000', 'the card in the chat shows the new settings');
    assert.equal(notice(cardOf(updated)), null, 'the shared card carries no one\'s notice');
    const told = h.double.connector.posts(chatId).filter((p) => p.id !== cardPost.id);
    assert.equal(told.length, 1);
    assert.match(told[0]?.text ?? '', /^Ada Lovelace changed Herald's settings: joins off; summary window 10s\. Settings: /);
    assert.equal((await h.herald.context.store.history.page(chatId, { kinds: ['settingsChanged'] }))[0]?.actor, 'Ada Lovelace');
  });

  it('offers the chat\'s language; saving German shows the card, the answer and the chat\'s message in German', async () => {
    const chatId = await installChat(h, [ada]);
    const cardPost = await openCard(chatId, ada);
    assert.equal(inputValue(cardOf(cardPost), 'language'), 'en');
    const delivery = await press(chatId, ada, cardPost, SETTINGS_VERBS.save, { language: 'de' });
    const answer = (delivery.body as { value: CardJson & { body: Array<{ text?: string }> } }).value;
    assert.equal(notice(answer), 'Ada Lovelace hat die Einstellungen von Herald geändert: Sprache Deutsch.');
    assert.equal(answer.body[0]?.text, 'Einstellungen von Herald für diesen Chat');
    assert.match(answer.fallbackText, /^Einstellungen für diesen Chat: Ankündigungen an · Beitritte an · /);
    assert.equal((await h.herald.context.settings.get(chatId)).language, 'de');
    const updated = cardOf(h.double.connector.posts(chatId).find((p) => p.id === cardPost.id));
    assert.equal(inputValue(updated, 'language'), 'de', 'everyone\'s card shows the new language');
    const told = h.double.connector.posts(chatId).filter((p) => p.id !== cardPost.id);
    assert.match(told[0]?.text ?? '', /^Ada Lovelace hat die Einstellungen von Herald geändert: Sprache Deutsch\. Einstellungen: /);
  });

  it('refuses a language Herald does not speak on the card, in the chat\'s language', async () => {
    const chatId = await installChat(h, [ada]);
    const cardPost = await openCard(chatId, ada);
    const answer = (await press(chatId, ada, cardPost, SETTINGS_VERBS.save, { language: 'xx' })).body as { value: CardJson };
    assert.equal(notice(answer.value), 'Not saved: language must be one of en, de, fr, es.');
    assert.equal((await h.herald.context.settings.get(chatId)).language, 'en');
  });

  it('refuses a guest\'s Save on their own card, says why, and changes nothing', async () => {
    const chatId = await installChat(h, [ada]);
    const guest = newTeamsMember({ name: 'Gil Guest', tenantId: TENANT, userRole: 'guest' });
    h.double.directory.addMember(chatId, guest);
    const cardPost = await openCard(chatId, ada);
    const delivery = await press(chatId, guest, cardPost, SETTINGS_VERBS.save, { enabled: 'false' });
    const answer = delivery.body as { statusCode: number; value: CardJson };
    assert.equal(answer.statusCode, 200);
    assert.equal(notice(answer.value), "You can't change Herald's settings here: you are a guest in this chat. Only members of this chat's organization who are not guests can.");
    assert.equal(inputValue(answer.value, 'enabled'), 'true', 'the card shows the settings as they are');
    assert.equal((await h.herald.context.settings.get(chatId)).enabled, true);
    assert.deepEqual(h.double.connector.posts(chatId).map((p) => p.id), [cardPost.id], 'nothing posted, the card untouched');
  });

  it('refuses a value the card cannot offer, with the same words as the tab', async () => {
    const chatId = await installChat(h, [ada]);
    const cardPost = await openCard(chatId, ada);
    const answer = (await press(chatId, ada, cardPost, SETTINGS_VERBS.save, { windowMs: '99999999' })).body as { value: CardJson };
    assert.match(notice(answer.value) ?? '', /^Not saved: windowMs must be a whole number of milliseconds from 0 to 600000\.$/);
    assert.equal((await h.herald.context.settings.get(chatId)).windowMs, DEFAULT_CHAT_SETTINGS.windowMs);
  });

  it('refreshes a card to the settings as they are now', async () => {
    const chatId = await installChat(h, [ada]);
    const cardPost = await openCard(chatId, ada);
    await h.herald.context.settings.apply(chatId, TENANT, { guestsOnly: true }, 'Ada Lovelace', 'tab');
    const answer = (await press(chatId, ada, cardPost, SETTINGS_VERBS.refresh)).body as { statusCode: number; value: CardJson };
    assert.equal(answer.statusCode, 200);
    assert.equal(inputValue(answer.value, 'guestsOnly'), 'true');
  });

  it('answers an action it does not know with a 400, not a failure', async () => {
    const chatId = await installChat(h, [ada]);
    const cardPost = await openCard(chatId, ada);
    const delivery = await press(chatId, ada, cardPost, 'something.else');
    assert.equal(delivery.status, 400);
    assert.equal((delivery.body as { statusCode: number }).statusCode, 400);
  });
});
