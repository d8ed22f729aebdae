import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CHAT_SETTINGS } from '../../../src/model/chat.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const page = readFileSync(join(ROOT, 'public', 'playground', 'index.html'), 'utf8');
/** The README's playground section, up to the next heading. */
const section = /### The playground[^\n]*\n([\s\S]*?)\n#{2,3} /.exec(readme)?.[1] ?? '';

/** Issue 27: what the README says about the playground and the summary window is what the code does. */
describe('README: the playground and the summary window', () => {
  it('has a playground section', () => {
    assert.ok(section.length > 200);
  });

  it('names the page’s tabs, as the page has them', () => {
    const tabs = [...page.matchAll(/role="tab"[^>]*>([^<]+)</g)].map((m) => m[1]?.trim() ?? '');
    assert.deepEqual(tabs, ['Chat', 'Herald', 'Wire']);
    for (const tab of tabs) assert.ok(section.includes(`**${tab}**`), `the section names the ${tab} tab`);
    assert.match(section, /three tabs/);
  });

  it('says the chat is renamed with the pencil, the page’s only way', () => {
    assert.match(page, /id="rename-open"[^>]*aria-label="Rename the chat"/);
    assert.match(section, /pencil/);
    assert.doesNotMatch(section, /clicking its title/);
  });

  it('says Herald hears of people from Teams’ bot event as well as from Graph', () => {
    assert.doesNotMatch(section, /only through Graph/);
    assert.match(section, /bot's own event/);
  });

  it('says announcements wait for the default summary window, and how to post at once', () => {
    const seconds = DEFAULT_CHAT_SETTINGS.windowMs / 1000;
    assert.match(section, new RegExp(`about \\*\\*${seconds} seconds\\*\\* after a change`));
    assert.match(readme, new RegExp(`\`@Herald window 30s\` — .*default ${seconds} s`));
    assert.match(section, /`@Herald window 0` posts each change at once/);
  });
});
