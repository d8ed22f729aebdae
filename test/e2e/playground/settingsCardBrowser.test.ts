import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startPlaygroundRun, type PlaygroundRun } from '../../support/playground/playgroundHarness.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ROOT = new URL('../../../', import.meta.url).pathname;

/** The settings card in the playground's chat: rendered interactive, saved through Herald's card action. */
describe('playground: the settings card in a browser', function () {
  this.timeout(90_000);
  let run: PlaygroundRun;
  let browser: BrowserContext;
  let page: Page;
  let userDataDir: string;
  const pageErrors: string[] = [];

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`    (browser tests skipped: ${CHROMIUM} is missing; install it with: apt-get update && apt-get install -y chromium)`);
      this.skip();
    }
    if (!existsSync(join(ROOT, 'public', 'build', 'playground.js'))) await promisify(execFile)(process.execPath, [join(ROOT, 'scripts', 'buildWeb.mjs')]);
    run = await startPlaygroundRun();
    await run.control('POST', 'herald/install');
    await run.waitForPost(/Hi, I'm Herald/);
    userDataDir = await mkdtemp(join(tmpdir(), 'herald-chromium-'));
    browser = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 900 } });
    await browser.route('**/validDomains.json', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ validOrigins: [] }) }));
    browser.on('page', (p) => p.on('pageerror', (error) => pageErrors.push(error.message)));
    page = await browser.newPage();
    await page.goto(run.pg.playgroundUrl);
    await page.waitForSelector('body[data-ready="true"]');
  });

  after(async () => {
    await browser?.close();
    await run?.close();
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  });

  afterEach(() => {
    assert.deepEqual(pageErrors.splice(0), [], 'no script errors on the page');
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
