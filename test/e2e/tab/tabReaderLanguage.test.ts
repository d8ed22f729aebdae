import assert from 'node:assert/strict';
import type { BrowserContext, ConsoleMessage, Frame, Page } from 'playwright-core';
import type { ChatSettings } from '../../../src/model/chat.js';
import type { HistoryEntry } from '../../../src/model/history.js';
import { ensureWebBundles, launchChromium, skipWithoutChromium, type ChromiumSession } from '../../support/browser/chromium.js';
import { startBrowserTabWorld, TabHost } from '../../support/tab/tabHost.js';
import type { TabWorld } from '../../support/tab/tabWorld.js';

/** Issue 27: the tab reads in one language — its words, the recorded details and the dates — and says who removed whom. */
describe('companion tab in the reader’s language', function () {
  this.timeout(60_000);
  let world: TabWorld;
  let chrome: ChromiumSession | undefined;
  let browser: BrowserContext;
  let host: TabHost;
  const consoleErrors: string[] = [];
  let seeded: ChatSettings | undefined;

  before(async function () {
    skipWithoutChromium(this);
    await ensureWebBundles('tab', 'teamsHost');
    world = await startBrowserTabWorld();
    chrome = await launchChromium({ viewport: { width: 1000, height: 760 } });
    browser = chrome.context;
    browser.on('console', (message: ConsoleMessage) => {
      if (message.type() === 'error') consoleErrors.push(`${message.text()} (${message.location().url})`);
    });
    host = new TabHost(browser, world);
    seeded = (await world.store.chats.get(world.chatId))?.settings;
  });

  after(async () => {
    await chrome?.close();
    await world?.close();
  });

  beforeEach(async () => {
    const settings = seeded;
    if (settings) await world.store.chats.update(world.chatId, (state) => state && { ...state, settings });
  });

  afterEach(async () => {
    for (const page of browser?.pages() ?? []) await page.close();
    assert.deepEqual(chrome?.pageErrors.splice(0) ?? [], [], 'no script errors on the page');
    assert.deepEqual(consoleErrors.splice(0), [], 'nothing in the console as an error');
  });

  const setLanguage = (language: ChatSettings['language']) =>
    world.store.chats.update(world.chatId, (state) => state && { ...state, settings: { ...state.settings, language } });

  const appendEntry = (entry: Omit<HistoryEntry, 'chatId'>) => world.store.history.append({ chatId: world.chatId, ...entry });

  /** Changes settings through the tab's API, as Ada, the way the Settings panel saves them. */
  async function saveAsAda(patch: Partial<ChatSettings>): Promise<void> {
    const response = await fetch(`${world.url}/api/tab/chats/${encodeURIComponent(world.chatId)}/settings`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${await world.token(world.ada)}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(patch),
    });
    assert.equal(response.status, 200);
  }

  async function historyLines(tab: Frame): Promise<string[]> {
    // Visible, not only present: the text of an element that is not rendered (its panel still hidden just
    // after a tab click) has no line breaks between its parts.
    await tab.waitForSelector('#history-list li .what', { state: 'visible' });
    // And laid out with the page's style: an entry's source and detail lines are blocks of their own.
    await tab.waitForFunction(() => Array.from(document.querySelectorAll('#history-list .detail, #history-list .source')).every((e) => getComputedStyle(e).display === 'block'));
    // Each entry's parts one per line, read from the DOM: innerText's line breaks depend on a layout the
    // list may be redrawing right now (the language switch renders it again).
    return tab.evaluate(() =>
      Array.from(document.querySelectorAll('#history-list li .what')).map((what) =>
        Array.from(what.childNodes)
          .map((node) => node.textContent?.trim() ?? '')
          .filter(Boolean)
          .join('\n'),
      ),
    );
  }

  const openTab = async (locale = 'en-US'): Promise<{ page: Page; tab: Frame }> => host.open(world.ada, { locale });

  it('loads with nothing in the console: teams-js may fetch its list of Teams domains', async () => {
    const { tab } = await openTab();
    await historyLines(tab);
    await tab.click('#tab-subscriptions');
    await tab.waitForSelector('#subs-list .card');
    // afterEach checks the console.
  });

  it('puts where a change was heard on a line of its own, apart from what happened', async () => {
    await appendEntry({ id: 'src-1', at: new Date().toISOString(), kind: 'left', actor: 'Bo Bot', userId: 'b0', source: 'bot' });
    await setLanguage('de');
    const { tab } = await openTab();
    const lines = await historyLines(tab);
    assert.equal(lines[0], 'Bo Bot hat den Chat verlassen\naus dem Bot-Ereignis von Teams');
  });

  it('says settings details in the tab’s language, whatever language they were changed in, and keeps older entries’ text', async () => {
    await appendEntry({ id: 'old-1', at: new Date(Date.now() - 60_000).toISOString(), kind: 'settingsChanged', actor: 'Old Timer', detail: 'welcome line set' });
    await saveAsAda({ announceJoins: false, windowMs: 0 });
    await setLanguage('de');
    const { tab } = await openTab();
    const lines = await historyLines(tab);
    assert.equal(lines[0], 'Ada Lovelace hat die Einstellungen von Herald geändert\nBeitritte aus; Zusammenfassungsfenster 0 Sek. (sofort posten)');
    assert.ok(lines.includes('Old Timer hat die Einstellungen von Herald geändert\nwelcome line set'), 'an entry from before the facts were kept reads as written');
  });

  it('writes dates in the tab’s language, in the person’s own region when it is the same language', async () => {
    await setLanguage('de');
    const newest = (await world.store.history.page(world.chatId, { limit: 1 }))[0]?.at ?? '';
    const expected = (frame: Frame, locale: string) =>
      frame.evaluate(([iso, loc]) => new Intl.DateTimeFormat(loc, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso)), [newest, locale] as const);
    for (const [teamsLocale, dateLocale] of [['en-US', 'de'], ['de-AT', 'de-AT']] as const) {
      const { page, tab } = await openTab(teamsLocale);
      await historyLines(tab);
      const shown = await tab.locator('#history-list li time').first().innerText();
      assert.equal(shown, await expected(tab, dateLocale), `Teams locale ${teamsLocale}: the date is written for ${dateLocale}`);
      assert.notEqual(shown, await expected(tab, 'en-US'));
      await page.close();
    }
  });

  it('switches the whole tab to the language chosen in Settings at once, without a reload', async () => {
    await saveAsAda({ windowMs: 0 });
    await setLanguage('de');
    const { tab } = await openTab();
    assert.equal(await tab.locator('#tab-history').innerText(), 'Verlauf');
    const navigations: string[] = [];
    tab.page().on('framenavigated', (frame) => navigations.push(frame.url()));
    await tab.click('#tab-settings');
    await tab.selectOption('#s-language', 'en');
    await tab.click('#settings-save');
    await tab.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('Saved.'));
    assert.equal(await tab.locator('#status').innerText(), 'Saved. Herald told the chat: language English.');
    assert.equal(await tab.evaluate(() => document.documentElement.lang), 'en');
    assert.equal(await tab.locator('#tab-history').innerText(), 'History');
    assert.equal(await tab.locator('label[for="s-enabled"]').innerText(), 'Post announcements in this chat');
    await tab.click('#tab-history');
    const lines = await historyLines(tab);
    assert.ok(lines.includes("Ada Lovelace changed Herald's settings\nsummary window 0s (post at once)"), `history in English: ${JSON.stringify(lines)}`);
    const date = await tab.locator('#history-list li time').first().innerText();
    assert.match(date, /^[A-Z][a-z]{2} \d{1,2}, \d{4}/, 'dates in English too');
    assert.deepEqual(navigations, [], 'no reload');
  });

  it('says who removed someone, as the chat does, and that a person who left by themselves left', async () => {
    // Both times from one clock reading: the second append may start more than a millisecond after the first.
    const now = Date.now();
    await appendEntry({ id: 'rm-1', at: new Date(now).toISOString(), kind: 'left', actor: 'Grace Hopper', userId: world.grace.oid, by: 'Ada Lovelace' });
    await appendEntry({ id: 'add-1', at: new Date(now - 1).toISOString(), kind: 'joined', actor: 'Nia Newcomer', userId: 'n1', by: 'Ada Lovelace' });
    const { tab } = await openTab();
    const lines = await historyLines(tab);
    assert.equal(lines[0], 'Ada Lovelace removed Grace Hopper from the chat');
    assert.ok(lines.includes('Ada Lovelace added Nia Newcomer to the chat'));
    assert.ok(lines.includes('Lee Ver left the chat'), 'the seeded leave had no one else behind it');
  });

  it('says which instance renewed a subscription, and which only set one up that was never renewed', async () => {
    const { tab } = await openTab();
    await tab.click('#tab-subscriptions');
    await tab.waitForSelector('#subs-list .card');
    const cards = await tab.locator('#subs-list .card').allInnerTexts();
    assert.match(cards[0] ?? '', /Renewed by\s*herald-2/);
    assert.match(cards[1] ?? '', /Set up by\s*herald-1/);
    assert.doesNotMatch(cards[1] ?? '', /Renewed by/);
  });

  it('spells “organization” as the chat and its card do', async () => {
    const { tab } = await openTab();
    await tab.click('#tab-settings');
    assert.equal(await tab.locator('label[for="s-guestsOnly"]').innerText(), 'Only guests and people from other organizations');
    assert.equal(await tab.locator('#s-whoMayChange option[value="members"]').innerText(), 'Members of this organization (not guests)');
  });
});
