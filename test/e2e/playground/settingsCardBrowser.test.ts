import assert from 'node:assert/strict';
import type { BrowserContext, Page } from 'playwright-core';
import { ensureWebBundles, launchChromium, skipWithoutChromium, type ChromiumSession } from '../../support/browser/chromium.js';
import { startPlaygroundRun, type PlaygroundRun } from '../../support/playground/playgroundHarness.js';

/** The settings card in the playground's chat: rendered interactive, saved through Herald's card action. */
describe('playground: the settings card in a browser', function () {
  this.timeout(90_000);
  let run: PlaygroundRun;
  let browser: BrowserContext;
  let page: Page;
  let chrome: ChromiumSession | undefined;

  before(async function () {
    skipWithoutChromium(this);
    await ensureWebBundles('playground');
    run = await startPlaygroundRun();
    await run.control('POST', 'herald/install');
    await run.waitForPost(/Hi, I'm Herald/);
    chrome = await launchChromium({ viewport: { width: 1280, height: 900 } });
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

  it('shows the card with its toggles, saves a change with its button, and the chat is told who changed what', async () => {
    await page.getByLabel('Type a message').fill('@Herald settings');
    await page.getByLabel('Type a message').press('Enter');
    const card = page.locator('#stream li[data-kind="post"] [data-card="adaptive"]', { hasText: "Herald's settings for this chat" }).last();
    await card.waitFor();
    const joins = card.getByRole('checkbox', { name: 'Announce who joins' });
    assert.equal(await joins.isChecked(), true);
    await joins.uncheck();
    await card.getByRole('button', { name: 'Save' }).click();
    await page.locator('#stream li[data-kind="post"]', { hasText: "changed Herald's settings: joins off" }).waitFor();
    await run.pg.settle();
    assert.equal((await run.pg.herald.context.settings.get(run.pg.simulated.chatId)).announceJoins, false);
    // The card in the chat now shows the saved settings (Herald updated it for everyone).
    const shared = page.locator('#stream li[data-kind="post"] [data-card="adaptive"]', { hasText: "Herald's settings for this chat" }).last();
    const savedJoins = shared.getByRole('checkbox', { name: 'Announce who joins' });
    for (let i = 0; i < 50 && (await savedJoins.isChecked()); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(await shared.getByRole('checkbox', { name: 'Announce who joins' }).isChecked(), false);
  });
});
