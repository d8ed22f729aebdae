import assert from 'node:assert/strict';
import type { ChatSettings } from '../../../src/model/chat.js';
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserContext, Frame, Page } from 'playwright-core';
import { ensureWebBundles, launchChromium, skipWithoutChromium, type ChromiumSession } from '../../support/browser/chromium.js';
import { frameOf, startBrowserTabWorld, TabHost } from '../../support/tab/tabHost.js';
import type { Person, TabWorld } from '../../support/tab/tabWorld.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const SHOTS = join(ROOT, 'test-output', 'tab');

interface HostState {
  initialized: boolean;
  appReady: boolean;
  config: { entityId?: string; contentUrl?: string; suggestedDisplayName?: string } | null;
  unhandled: string[];
}

describe('companion tab in a browser', function () {
  this.timeout(60_000);
  let world: TabWorld;
  let chrome: ChromiumSession | undefined;
  let browser: BrowserContext;
  let host: TabHost;

  before(async function () {
    skipWithoutChromium(this);
    await ensureWebBundles('tab', 'teamsHost');
    await mkdir(SHOTS, { recursive: true });
    world = await startBrowserTabWorld();
    // teams-js asks a CDN for its valid-domains list; there is no internet here (launchChromium answers it).
    chrome = await launchChromium({ viewport: { width: 1000, height: 760 } });
    browser = chrome.context;
    host = new TabHost(browser, world);
  });

  after(async () => {
    await chrome?.close();
    await world?.close();
  });

  // One world serves every test (starting it is slow); each test starts from the chat's seeded settings,
  // whatever an earlier test saved.
  let seededSettings: ChatSettings | undefined;
  beforeEach(async () => {
    seededSettings ??= (await world.store.chats.get(world.chatId))?.settings;
    if (seededSettings) {
      const settings = seededSettings;
      await world.store.chats.update(world.chatId, (state) => state && { ...state, settings });
    }
  });

  afterEach(() => {
    assert.deepEqual(chrome?.pageErrors.splice(0) ?? [], [], 'no script errors on the page');
  });

  const hostUrl = (person: Person, extra: Record<string, string> = {}) => host.url(person, extra);
  const openTab = (person: Person, extra: Record<string, string> = {}) => host.open(person, extra);
  const tabFrame = frameOf;

  const hostState = (page: Page) =>
    page.evaluate((): HostState => {
      const host = (window as unknown as { heraldTeamsHost: HostState }).heraldTeamsHost;
      return { initialized: host.initialized, appReady: host.appReady, config: host.config, unhandled: [...host.unhandled] };
    });

  const background = (frame: Frame) => frame.evaluate(() => getComputedStyle(document.body).backgroundColor);

  it('says plainly that it runs inside Teams when opened in a plain browser', async () => {
    const page = await browser.newPage();
    await page.goto(`${world.url}/tab/index.html`);
    await page.waitForSelector('#outside-teams:not([hidden])');
    assert.match(await page.locator('#outside-teams').innerText(), /This page runs inside Microsoft Teams/);
    assert.equal(await page.locator('#outside-teams').getAttribute('data-reason'), 'top-level');
    assert.equal(await page.locator('#status').innerText(), '');
    assert.equal(await page.locator('#app').isHidden(), true);
    await page.screenshot({ path: join(SHOTS, 'outside-teams.png') });

    await page.goto(`${world.url}/tab/config.html`);
    await page.waitForSelector('#outside-teams:not([hidden])');
    await page.close();
  });

  it('runs inside the simulated Teams host: teams-js initialises, and the history shows the chat’s timeline', async () => {
    const { page, tab } = await openTab(world.ada);
    const state = await hostState(page);
    assert.equal(state.initialized, true, 'app.initialize() resolved against the simulated host');
    assert.equal(state.appReady, true, 'the tab told the host it loaded (app.notifySuccess)');
    assert.deepEqual(state.unhandled, []);

    await tab.waitForSelector('#history-list li');
    const lines = await tab.locator('#history-list li .what').allInnerTexts();
    assert.equal(lines.length, 7);
    assert.match(lines[0] ?? '', /^Erin External joined the chat\s*External/);
    assert.ok(lines.some((l) => /Gil Guest joined the chat\s*Guest/.test(l)));
    assert.ok(lines.some((l) => l.includes('Ada Lovelace renamed the chat from “Project chat” to “Launch crew”')));
    assert.equal(await tab.evaluate(() => document.documentElement.dataset.theme), 'default');
    assert.equal(await background(tab), 'rgb(245, 245, 245)');
    await page.screenshot({ path: join(SHOTS, 'history-light.png') });

    await tab.selectOption('#history-kind', 'joined,left');
    await tab.waitForFunction(() => document.querySelectorAll('#history-list li').length === 5);
    await tab.selectOption('#history-kind', '');
    await tab.waitForFunction(() => document.querySelectorAll('#history-list li').length === 7);

    await page.selectOption('#host-theme', 'dark');
    await tab.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
    assert.equal(await background(tab), 'rgb(31, 31, 31)');
    await page.screenshot({ path: join(SHOTS, 'history-dark.png') });

    await page.selectOption('#host-theme', 'contrast');
    await tab.waitForFunction(() => document.documentElement.dataset.theme === 'contrast');
    assert.equal(await background(tab), 'rgb(0, 0, 0)');
    await page.screenshot({ path: join(SHOTS, 'history-contrast.png') });
    await page.close();
  });

  it('shows the health of the chat’s subscriptions with what to do', async () => {
    const { page, tab } = await openTab(world.grace, { theme: 'dark' });
    assert.equal(await tab.evaluate(() => document.documentElement.dataset.theme), 'dark', 'starts in the theme from the context');
    await tab.click('#tab-subscriptions');
    await tab.waitForSelector('#subs-list .card');
    const cards = await tab.locator('#subs-list .card').allInnerTexts();
    assert.equal(cards.length, 3);
    assert.match(cards[0] ?? '', /People joining and leaving this chat[\s\S]*Working[\s\S]*in (49|50)m[\s\S]*10 minutes ago/);
    assert.match(cards[0] ?? '', /Renewed by\s*herald-2/, 'which instance last renewed it');
    assert.match(cards[1] ?? '', /Failing[\s\S]*missing resource-specific consent[\s\S]*What to do: Herald lacks permission/);
    assert.match(cards[2] ?? '', /Expired[\s\S]*shared by every chat/);
    await page.screenshot({ path: join(SHOTS, 'subscriptions-dark.png') });
    await page.close();
  });

  it('changes a setting from the tab by keyboard: stored, applied at once, and the chat is told who changed what', async () => {
    const { page, tab } = await openTab(world.ada);
    const events = world.settingsEvents.length;
    // Keyboard only: arrow keys move between the views, Tab and Space work the form.
    await tab.focus('#tab-history');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    assert.equal(await tab.getAttribute('#tab-settings', 'aria-selected'), 'true');
    assert.equal(await tab.evaluate(() => document.activeElement?.id), 'tab-settings');
    assert.equal(await tab.locator('#panel-settings').isVisible(), true);
    assert.equal(await tab.isChecked('#s-announceJoins'), true);
    await tab.focus('#s-announceJoins');
    await page.keyboard.press('Space');
    assert.equal(await tab.isChecked('#s-announceJoins'), false);
    await tab.fill('#s-windowSeconds', '0');
    await tab.focus('#settings-save');
    await page.keyboard.press('Enter');
    await tab.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('Saved.'));
    assert.equal(await tab.locator('#status').innerText(), 'Saved. Herald told the chat: joins off; summary window 0s (post at once).');
    await page.screenshot({ path: join(SHOTS, 'settings-saved-light.png') });

    const stored = (await world.store.chats.get(world.chatId))?.settings;
    assert.equal(stored?.announceJoins, false);
    assert.equal(stored?.windowMs, 0);
    assert.deepEqual(world.settingsEvents.slice(events), [
      { chatId: world.chatId, by: 'Ada Lovelace', changes: ['joins off', 'summary window 0s (post at once)'], source: 'tab' },
    ]);

    // What the chat command would now see, and what the history shows after a refresh.
    await tab.click('#tab-history');
    await tab.waitForFunction(() => document.querySelector('#history-list li .what')?.textContent?.includes("Ada Lovelace changed Herald's settings"));
    await page.close();
  });

  it('previews the welcome line as it is typed, exactly as typed, and saves it', async () => {
    const { page, tab } = await openTab(world.ada);
    await tab.click('#tab-settings');
    await tab.check('#s-enabled');
    await tab.check('#s-announceJoins');
    await tab.fill('#s-welcomeLine', 'Welcome, <b>friend</b>! **Files** tab.');
    await tab.check('#s-mentionNewcomers');
    const preview = tab.locator('#s-welcome-preview');
    await tab.waitForFunction(() => document.getElementById('s-welcome-preview')?.textContent?.includes('friend'));
    assert.deepEqual(await preview.locator('p').allInnerTexts(), ['Grace Hopper joined', '@Grace Hopper', 'Welcome, <b>friend</b>! **Files** tab.']);
    assert.equal(await preview.locator('b').count(), 0, 'markup is shown, not applied');
    await tab.uncheck('#s-announceJoins');
    assert.deepEqual(await preview.locator('p').allInnerTexts(), ['Joins are not announced in this chat, so nobody sees a welcome.']);
    await tab.check('#s-announceJoins');
    await tab.click('#settings-save');
    await tab.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('Saved.'));
    const stored = (await world.store.chats.get(world.chatId))?.settings;
    assert.equal(stored?.welcomeLine, 'Welcome, <b>friend</b>! **Files** tab.');
    assert.equal(stored?.mentionNewcomers, true);
    await page.screenshot({ path: join(SHOTS, 'settings-welcome-light.png') });
    await page.close();
  });

  it('names the setting that is wrong instead of saving it', async () => {
    const { page, tab } = await openTab(world.ada, { theme: 'dark' });
    await tab.click('#tab-settings');
    await tab.fill('#s-windowSeconds', '9000');
    await tab.click('#settings-save');
    await tab.waitForSelector('#s-windowSeconds-error:not([hidden])');
    assert.equal(await tab.getAttribute('#s-windowSeconds', 'aria-invalid'), 'true');
    assert.equal(await tab.evaluate(() => document.activeElement?.id), 's-windowSeconds');
    await page.screenshot({ path: join(SHOTS, 'settings-invalid-dark.png') });
    await page.close();
  });

  it('adds the tab through its configuration page (pages.config.setConfig + save)', async () => {
    const page = await browser.newPage();
    await page.goto(hostUrl(world.ada, { page: 'config' }));
    const config = await tabFrame(page, '/tab/config.html');
    await page.waitForSelector('#host-save:not([disabled])');
    await page.screenshot({ path: join(SHOTS, 'config-light.png') });
    await config.fill('#tab-name', 'Chat history');
    await page.click('#host-save');
    // After the save, the host shows the content page the config page chose.
    const tab = await tabFrame(page, '/tab/index.html');
    await tab.waitForSelector('#history-list li');
    assert.deepEqual((await hostState(page)).config, { entityId: 'herald-chat', contentUrl: `${world.url}/tab/index.html`, suggestedDisplayName: 'Chat history' });
    await page.close();
  });

  it('tells someone who is not in the chat that only members can see it, and shows nothing else', async () => {
    const { page, tab } = await openTab(world.stranger);
    await tab.waitForSelector('#failure:not([hidden])');
    assert.match(await tab.locator('#failure-text').innerText(), /Only members of this chat can see Herald here/);
    assert.equal(await tab.locator('#app').isHidden(), true);
    await page.close();
  });

  it('shows a guest why they may not change settings, refuses their save, and shows names with markup as typed', async () => {
    const guest: Person = { oid: randomUUID(), name: '<b>Gil</b> **Guest** [x](https://evil.example)' };
    await world.store.chats.update(world.chatId, (state) => state && {
      ...state,
      roster: { ...state.roster, [guest.oid]: { userId: guest.oid, displayName: guest.name, tenantId: world.tenantId, roles: ['guest'], present: true, changedAt: new Date().toISOString() } },
    });
    await world.store.history.append({ id: `h-${guest.oid}`, chatId: world.chatId, at: new Date().toISOString(), kind: 'joined', actor: guest.name, userId: guest.oid, guest: true });
    const { page, tab } = await openTab(guest);
    await tab.waitForSelector('#history-list li');
    assert.match(await tab.locator('#history-list li .what').first().innerText(), /^<b>Gil<\/b> \*\*Guest\*\* \[x\]\(https:\/\/evil\.example\) joined the chat/);
    assert.equal(await tab.locator('#history-list b, #history-list a, #history-list strong').count(), 0, 'no markup from a name became an element');

    await tab.click('#tab-settings');
    await tab.waitForSelector('#settings-readonly:not([hidden])');
    const why = "You can't change Herald's settings here: you are a guest in this chat. Only members of this chat's organization who are not guests can.";
    assert.equal(await tab.locator('#settings-readonly').innerText(), why);
    const before = (await world.store.chats.get(world.chatId))?.settings;
    await tab.click('#s-announceLeaves');
    await tab.click('#settings-save');
    await tab.waitForSelector('#settings-error:not([hidden])');
    assert.equal(await tab.locator('#settings-error').innerText(), `Not saved. ${why}`);
    assert.deepEqual((await world.store.chats.get(world.chatId))?.settings, before);
    await page.screenshot({ path: join(SHOTS, 'settings-guest-light.png') });
    await page.close();
  });
});
