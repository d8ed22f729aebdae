import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserContext, Frame, Page } from 'playwright-core';
import { ensureWebBundles, launchChromium, skipWithoutChromium, type ChromiumSession } from '../../support/browser/chromium.js';
import { startPlaygroundRun, type PlaygroundRun } from '../../support/playground/playgroundHarness.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const SHOTS = join(ROOT, 'test-output', 'playground');

describe('playground page in a browser', function () {
  this.timeout(90_000);
  let run: PlaygroundRun;
  let browser: BrowserContext;
  let page: Page;
  let chrome: ChromiumSession | undefined;

  before(async function () {
    skipWithoutChromium(this);
    await ensureWebBundles('playground', 'tab');
    await mkdir(SHOTS, { recursive: true });
    run = await startPlaygroundRun();
    chrome = await launchChromium({ viewport: { width: 1280, height: 800 } });
    browser = chrome.context;
    page = await browser.newPage();
    await page.goto(run.pg.playgroundUrl);
    await page.waitForSelector('body[data-ready="true"]');
  });

  after(async () => {
    await chrome?.close();
    await run?.close();
  });

  afterEach(() => {
    assert.deepEqual(chrome?.pageErrors.splice(0) ?? [], [], 'no script errors on the page');
  });

  const post = (text: string) => page.locator('#stream li[data-kind="post"]', { hasText: text });

  it('shows the chat: title, people and a live connection', async () => {
    assert.equal(await page.locator('#chat-title').innerText(), 'Launch crew');
    assert.equal(await page.locator('#people li').count(), 3);
    await page.waitForSelector('#connection[data-state="live"]');
    assert.equal(await page.getByRole('button', { name: 'Add Herald' }).isEnabled(), true);
  });

  it('installs Herald and adds a member by clicking, then shows Herald’s card rendered in the stream', async () => {
    await page.getByRole('button', { name: 'Add Herald' }).click();
    await post("Hi, I'm Herald").waitFor();
    await page.waitForSelector('body[data-installed="true"]');

    await page.getByLabel('Type a message').fill('@Herald window 0');
    await page.getByLabel('Type a message').press('Enter');
    await post('summary window 0s').waitFor();

    await page.getByRole('textbox', { name: 'Add someone' }).fill('Linus Torvalds');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const card = post('Ada Lovelace added Linus Torvalds').locator('.card-host .ac-adaptiveCard');
    await card.waitFor();
    assert.match(await card.innerText(), /Ada Lovelace\s+added\s+Linus Torvalds/);
    assert.equal(await page.locator('#people li').count(), 4);
    assert.match(await page.locator('#stream').innerText(), /Ada Lovelace added Linus Torvalds to the chat\./);
    await page.screenshot({ path: join(SHOTS, 'chat.png') });
  });

  it('renames the chat from the header and shows the rename card', async () => {
    await page.getByRole('button', { name: 'Rename the chat' }).click();
    await page.getByLabel('Group name').fill('Launch crew 🚀');
    await page.getByLabel('Group name').press('Enter');
    await post("to 'Launch crew 🚀'").locator('.ac-adaptiveCard').waitFor();
    assert.equal(await page.locator('#chat-title').innerText(), 'Launch crew 🚀');
  });

  it('adds a guest and removes a member, each announced', async () => {
    await page.getByRole('textbox', { name: 'Add someone' }).fill('Gail Guest');
    await page.getByLabel('Guest').check();
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await post('Ada Lovelace added Gail Guest (Guest)').locator('.ac-adaptiveCard').waitFor();
    await page.getByRole('button', { name: 'Remove Grace Hopper from the chat' }).click();
    await post('Ada Lovelace removed Grace Hopper').locator('.ac-adaptiveCard').waitFor();
  });

  it('arms Graph trouble from its button and shows it until it happened', async () => {
    const drop = page.getByRole('button', { name: 'Drop the next notification' });
    await drop.click();
    await page.waitForSelector('[data-trouble="drop"][aria-pressed="true"]');
    await page.getByRole('textbox', { name: 'Add someone' }).fill('Dora Dropped');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await post('Ada Lovelace added Dora Dropped').waitFor();
    await page.waitForSelector('[data-trouble="drop"][aria-pressed="false"]');
  });

  it('shows subscriptions and traffic on the Wire tab', async () => {
    await page.getByRole('tab', { name: 'Wire' }).click();
    await page.waitForSelector('#subscriptions tbody tr td.resource');
    assert.equal(await page.locator('#subscriptions tbody tr').count(), 4);
    assert.ok((await page.locator('#wire-list li[data-kind="notification"]').count()) > 0, 'change notifications are listed');
    assert.ok((await page.locator('#wire-list li[data-kind="handshake"]').count()) > 0, 'handshakes are listed');
    assert.ok((await page.locator('#wire-list li[data-kind="botPost"]').count()) > 0, 'bot posts are listed');
    await page.screenshot({ path: join(SHOTS, 'wire.png') });
    await page.locator('#wire-list li[data-kind="notification"] summary').first().click();
    assert.match(await page.locator('#wire-list li[data-kind="notification"] pre').first().innerText(), /"decrypted"/);
  });

  it('hosts Herald’s tab in the Herald tab, signed in with the login double', async () => {
    await page.getByRole('tab', { name: 'Herald' }).click();
    const handle = await page.waitForSelector('#herald-tab');
    await page.waitForFunction(() => (document.getElementById('herald-tab') as HTMLIFrameElement | null)?.contentWindow?.location.pathname === '/tab/index.html');
    const frame = (await handle.contentFrame()) as Frame;
    await frame.waitForSelector('body[data-ready="true"], #failure:not([hidden])');
    assert.equal(await frame.locator('#failure').isHidden(), true, 'the tab loaded the chat');
    await page.screenshot({ path: join(SHOTS, 'herald-tab.png') });
    await page.getByRole('tab', { name: 'Chat' }).click();
  });

  it('reads well in dark mode', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await post('Ada Lovelace added Linus Torvalds').locator('.ac-adaptiveCard').waitFor();
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(background, 'rgb(31, 31, 31)');
    await page.screenshot({ path: join(SHOTS, 'chat-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });
  });
});
