import assert from 'node:assert/strict';
import type { RecordedPost, TeamsMember } from '../../../sim/doubles/teams/index.js';
import { newTeamsMember } from '../../../sim/doubles/teams/index.js';
import { TENANT, announcementPosts, graphMember, installChat, joined, left, membershipIdOf, person, startHarness, type Harness } from '../../support/announcements/harness.js';
import { applyChange } from '../../support/announcements/applyChange.js';

interface CardJson {
  fallbackText: string;
  body: Array<{ type: string; text?: string; inlines?: Array<{ type: string; text: string }> }>;
  msteams?: { entities?: Array<{ type: string; text: string; mentioned: { id: string; name: string } }> };
}

const cardOf = (post: RecordedPost | undefined): CardJson => post?.attachments[0]?.content as CardJson;
/** Every TextRun of the card, in order (names, verbs, the welcome line); icons are TextBlocks. */
function runs(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(runs);
  if (typeof node !== 'object' || node === null) return [];
  const item = node as Record<string, unknown>;
  if (item.type === 'TextRun' && typeof item.text === 'string') return [item.text];
  return Object.entries(item).filter(([key]) => key !== 'msteams').flatMap(([, value]) => runs(value));
}

/** A chat's own welcome line and @mentions of newcomers, set by command and shown in join announcements. */
describe('a welcome of the chat\'s own', () => {
  let h: Harness;
  const ada = person('Ada Lovelace');

  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  async function say(chatId: string, from: TeamsMember, text: string): Promise<string> {
    const before = h.double.connector.posts(chatId).length;
    await h.double.channel.sendMessage({ chatId, from, text });
    await h.announcements.idle();
    const answers = h.double.connector.posts(chatId).slice(before);
    return answers[0]?.text ?? '';
  }

  async function join(chatId: string, who: TeamsMember): Promise<CardJson> {
    const before = announcementPosts(h, chatId).length;
    h.double.directory.addMember(chatId, who);
    await applyChange(h.herald.context, joined(chatId, graphMember(who)));
    await h.announcements.idle();
    const posts = announcementPosts(h, chatId);
    assert.equal(posts.length, before + 1, 'one announcement');
    return cardOf(posts.at(-1));
  }

  it('adds the line, exactly as typed, to join announcements; guests get the same welcome', async () => {
    const chatId = await installChat(h, [ada]);
    await h.herald.context.settings.apply(chatId, TENANT, { windowMs: 0 }, 'Ada Lovelace', 'chat');
    const answer = await say(chatId, ada, 'welcome Welcome! **The plan** is in the [Files](https://example.com) tab.');
    assert.match(answer, /^Ada Lovelace changed Herald's settings: welcome line set\./);
    assert.equal((await h.herald.context.settings.get(chatId)).welcomeLine, 'Welcome! **The plan** is in the [Files](https://example.com) tab.', 'case and markup kept as text');

    const card = await join(chatId, person('Grace Hopper'));
    assert.deepEqual(runs(card.body), ['Grace Hopper', ' joined', 'Welcome! **The plan** is in the [Files](https://example.com) tab.']);
    assert.match(card.fallbackText, /^Grace Hopper joined · Welcome! /);
    assert.ok(!card.fallbackText.includes('**') && !card.fallbackText.includes('[Files]'), 'the fallback escapes what Markdown would read');

    const guest = newTeamsMember({ name: 'Gil Guest', tenantId: TENANT, userRole: 'guest' });
    assert.ok(runs((await join(chatId, guest)).body).includes('Welcome! **The plan** is in the [Files](https://example.com) tab.'));
  });

  it('mentions the newcomers when asked, with Teams mention entities', async () => {
    const chatId = await installChat(h, [ada]);
    await h.herald.context.settings.apply(chatId, TENANT, { windowMs: 0 }, 'Ada Lovelace', 'chat');
    assert.match(await say(chatId, ada, 'mention newcomers on'), /newcomers mentioned when they join/);
    const grace = person('Grace <Hopper>');
    const card = await join(chatId, grace);
    assert.deepEqual(card.msteams?.entities, [{ type: 'mention', text: '<at>Grace Hopper</at>', mentioned: { id: grace.aadObjectId, name: 'Grace <Hopper>' } }]);
    assert.ok(card.body.some((b) => b.type === 'TextBlock' && b.text === '<at>Grace Hopper</at>'), 'the text Teams replaces is in a TextBlock');
  });

  it('adds nothing to leaves, and nothing once removed', async () => {
    const chatId = await installChat(h, [ada]);
    await h.herald.context.settings.apply(chatId, TENANT, { windowMs: 0, welcomeLine: 'Hello!', mentionNewcomers: true }, 'Ada Lovelace', 'chat');
    const bob = person('Bob Jones');
    await join(chatId, bob);
    h.double.directory.removeMember(chatId, bob.id);
    await applyChange(h.herald.context, left(chatId, { membershipId: membershipIdOf(chatId, bob.aadObjectId) }));
    await h.announcements.idle();
    const leave = cardOf(announcementPosts(h, chatId).at(-1));
    assert.deepEqual(runs(leave.body), ['Bob Jones', ' left']);
    assert.equal(leave.msteams?.entities, undefined);

    assert.match(await say(chatId, ada, 'welcome off'), /welcome line removed/);
    const card = await join(chatId, person('Cy Young'));
    assert.ok(!runs(card.body).includes('Hello!'));
  });

  it('refuses a line that is too long, saying how long it may be', async () => {
    const chatId = await installChat(h, [ada]);
    const answer = await say(chatId, ada, `welcome ${'x'.repeat(281)}`);
    assert.equal(answer, 'That welcome line cannot be used: it can be at most 280 characters.');
    assert.equal((await h.herald.context.settings.get(chatId)).welcomeLine, '');
  });
});
