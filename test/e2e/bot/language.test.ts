import assert from 'node:assert/strict';
import { newGroupChatId } from '../../../sim/doubles/teams/index.js';
import { HELP_TEXT } from '../../../src/bot/commands/parseCommand.js';
import { welcomeText } from '../../../src/bot/welcomeText.js';
import { DEFAULT_CHAT_SETTINGS } from '../../../src/model/chat.js';
import { announcementTexts, graphMember, installChat, joined, left, person, startHarness, TENANT, type Harness } from '../../support/announcements/harness.js';
import { applyChange } from '../../support/announcements/applyChange.js';

/** Herald writes in the chat's language: the installer's Teams locale by default, `@Herald language xx` to change it. */
describe('the chat\'s language (Herald ↔ Teams double over HTTP)', () => {
  let h: Harness;

  afterEach(async () => {
    await h.close();
  });

  async function say(chatId: string, from: { id: string; name: string; aadObjectId: string }, text: string): Promise<string> {
    const before = h.double.connector.posts(chatId).length;
    await h.double.channel.sendMessage({ chatId, from, text });
    await h.announcements.idle();
    return h.double.connector.posts(chatId).slice(before)[0]?.text ?? '';
  }

  const emit = (event: ReturnType<typeof joined>) => applyChange(h.herald.context, event);

  it('switches to German on "@Herald language de", answers in German and announces in German', async () => {
    h = await startHarness();
    const ann = person('Ann Lee');
    const chatId = await installChat(h, [ann]);
    const answer = await say(chatId, ann, '<at>Herald</at> language de');
    assert.match(answer, /^Ann Lee hat die Einstellungen von Herald geändert: Sprache Deutsch\. Einstellungen: Ankündigungen an · /);
    assert.equal((await h.herald.context.settings.get(chatId)).language, 'de');
    assert.match(await say(chatId, ann, 'window 0'), /Zusammenfassungsfenster 0 Sek\. \(sofort posten\)/);

    const grace = person('Grace Hopper');
    const alan = person('Alan Turing');
    await emit(joined(chatId, graphMember(grace, { withName: true })));
    await emit(joined(chatId, graphMember(alan, { withName: true })));
    await h.announcements.idle();
    await emit(left(chatId, { userId: ann.aadObjectId }));
    await h.announcements.idle();
    assert.deepEqual(announcementTexts(h, chatId), ['Grace Hopper ist beigetreten', 'Alan Turing ist beigetreten', 'Ann Lee hat den Chat verlassen']);
  });

  it('answers an unknown language clearly, listing the ones it speaks, and changes nothing', async () => {
    h = await startHarness();
    const ann = person('Ann Lee');
    const chatId = await installChat(h, [ann]);
    const answer = await say(chatId, ann, 'language klingon');
    assert.equal(answer, 'I can write in en (English), de (Deutsch), fr (Français) and es (Español) — not "klingon". Try `language de`.');
    assert.equal((await h.herald.context.settings.get(chatId)).language, 'en', 'as the installer\'s en-US locale chose');
    assert.equal(await say(chatId, ann, 'help'), HELP_TEXT, 'still English');
  });

  it('writes in the installing person\'s Teams language, from the welcome on', async () => {
    h = await startHarness({ locale: 'fr-FR' });
    const ann = person('Ann Lee');
    const chatId = newGroupChatId();
    h.double.directory.setMembers(chatId, [ann]);
    await h.double.channel.installIntoChat({ chatId, tenantId: TENANT, by: ann });
    const [welcome] = await h.double.connector.waitForPosts(chatId, 1);
    assert.equal(welcome.text, welcomeText({ ...DEFAULT_CHAT_SETTINGS, language: 'fr' }));
    assert.match(welcome.text ?? '', /^Bonjour, je suis Herald\. Je publierai ici quand des personnes rejoignent ou quittent cette conversation et quand elle est renommée\./);
    assert.equal((await h.herald.context.settings.get(chatId)).language, 'fr');
    assert.match(await say(chatId, ann, 'help'), /^\*\*Herald\*\* annonce qui rejoint et quitte cette conversation/);
  });

  it('never lets the installer\'s locale override a language the chat chose', async () => {
    h = await startHarness({ locale: 'es-ES' });
    const ann = person('Ann Lee');
    const chatId = await installChat(h, [ann]);
    await say(chatId, ann, 'language de');
    await h.herald.context.settings.adoptLanguage(chatId, '', 'es');
    assert.equal((await h.herald.context.settings.get(chatId)).language, 'de');
  });

  it('answers "@Herald status" in German once the chat chose German, subscriptions and all', async () => {
    h = await startHarness();
    const ann = person('Ann Lee');
    const chatId = await installChat(h, [ann], 'Startteam');
    await say(chatId, ann, 'language de');
    const at = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString();
    const record = { tenantId: TENANT, chatId, changeType: 'created,deleted', clientState: 'x', encryptionCertificateId: null, createdAt: at(0), lastRenewedAt: null, lastNotificationAt: null };
    await h.herald.context.store.subscriptions.put('s1', { ...record, id: 's1', kind: 'chatMembers', resource: `/chats/${chatId}/members`, expirationDateTime: at(70), lastError: null });
    await h.herald.context.store.subscriptions.put('s2', { ...record, id: 's2', kind: 'chat', resource: `/chats/${chatId}`, expirationDateTime: at(-1), lastError: 'Forbidden' });
    const lines = (await say(chatId, ann, 'status')).split('\n');
    assert.deepEqual(lines.slice(0, 3), ['**Herald-Status**', '- In diesem Chat installiert.', '- Chatthema: „Startteam“']);
    assert.match(lines[3] ?? '', /^- Einstellungen: Ankündigungen an · Beitritte an · .* · Sprache Deutsch$/);
    assert.equal(lines[4], '- Einstellungen zuletzt geändert von Ann Lee: Sprache Deutsch');
    assert.equal(lines[5], '- Abonnement für diesen Chat (Thema): abgelaufen – letzter Fehler: Forbidden');
    assert.match(lines[6] ?? '', /^- Abonnement für die Mitglieder dieses Chats: läuft ab in 2 T 2[12]h$/);
  });
});
