import assert from 'node:assert/strict';
import { TENANT, installChat, person, startHarness, type Harness } from '../../support/announcements/harness.js';

/** Markdown and HTML that can survive into a reply: what a Teams client would format. */
const MARKUP = /\*\*|<b>|<\/b>|\[x\]\(|^#|_/m;
const decode = (s: string) => s.replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)));

/**
 * Herald's replies are Markdown (Teams formats a message's text), so a display name or topic in one must
 * arrive escaped and read, once Teams decodes it, exactly as typed.
 */
describe('chat replies show names and topics literally', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  async function say(chatId: string, from: { id: string; name: string; aadObjectId: string }, text: string): Promise<string> {
    const before = h.double.connector.posts(chatId).length;
    await h.double.channel.sendMessage({ chatId, from, text });
    await h.announcements.idle();
    return h.double.connector.posts(chatId).slice(before)[0]?.text ?? '';
  }

  it('names who changed a setting without formatting their name', async () => {
    const mallory = person('**Mallory** <b>Eve</b> [x](https://evil.example)');
    const chatId = await installChat(h, [mallory]);
    const answer = await say(chatId, mallory, 'window 3s');
    const [who] = answer.split(" changed Herald's settings");
    assert.doesNotMatch(who ?? '', MARKUP);
    assert.equal(decode(who ?? ''), mallory.name);
    assert.match(answer, / changed Herald's settings: summary window 3s\./);
  });

  it('shows the chat topic and who last changed the settings in status without formatting them', async () => {
    const eve = person('_Eve_ <i>x</i>');
    const chatId = await installChat(h, [eve], '# **Launch** [crew](https://evil.example)');
    await h.herald.context.settings.apply(chatId, TENANT, { announceJoins: false }, eve.name, 'tab');
    await h.announcements.idle();
    const status = await say(chatId, eve, 'status');
    const topicLine = status.split('\n').find((l) => l.startsWith('- Chat topic: '));
    assert.ok(topicLine, status);
    assert.doesNotMatch(topicLine.slice('- Chat topic: '.length), MARKUP);
    assert.equal(decode(topicLine), "- Chat topic: '# **Launch** [crew](https://evil.example)'");
    const changedLine = status.split('\n').find((l) => l.startsWith('- Settings last changed by '));
    assert.ok(changedLine, status);
    assert.equal(decode(changedLine), '- Settings last changed by _Eve_ <i>x</i>: joins off');
    assert.doesNotMatch(changedLine, /<i>|_Eve_/);
  });
});
