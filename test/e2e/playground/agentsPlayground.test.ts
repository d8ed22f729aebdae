import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { createHerald, type HeraldApp } from '../../../src/app/createHerald.js';
import { loadConfig } from '../../../src/config/loadConfig.js';
import { silentLogger } from '../../../src/log/createLogger.js';
import { REPO_ROOT } from '../../support/appPackage/projectCopy.js';
import { launchChromium, skipWithoutChromium, type ChromiumSession } from '../../support/browser/chromium.js';

// Microsoft's own offline Teams simulator (npm @microsoft/m365agentsplayground) talking to Herald's
// /api/messages with BOT_ID blank, driven through its web UI in headless Chromium.
const PLAYGROUND_CLI = join(createRequire(import.meta.url).resolve('@microsoft/m365agentsplayground/package.json'), '..', 'cli.js');
const SHOTS = join(REPO_ROOT, 'test-output', 'agents-playground');
const GROUP_CHAT_ID = '19:herald-launch-crew@thread.v2'; // .m365agentsplayground.yml

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts the Playground CLI in `cwd` (where it reads .m365agentsplayground.yml); resolves once it listens. */
function startPlayground(cwd: string, appEndpoint: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [PLAYGROUND_CLI, 'start', '-e', appEndpoint, '-c', 'msteams', '-p', String(port), '--disable-telemetry'], {
    cwd,
    env: { PATH: process.env.PATH, TEAMSAPPTESTER_BROWSER: 'none' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`the Playground did not start within 30 s:\n${output}`)), 30_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(`Listening on ${port}`)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the Playground exited with ${code}:\n${output}`));
    });
  });
}

describe('Microsoft 365 Agents Playground against Herald (BOT_ID blank)', function () {
  this.timeout(120_000);
  let herald: HeraldApp;
  let playground: ChildProcess | undefined;
  let chrome: ChromiumSession | undefined;
  let browser: BrowserContext;
  let page: Page;
  let workDir: string;

  before(async function () {
    skipWithoutChromium(this, 'Agents Playground test');
    workDir = await mkdtemp(join(tmpdir(), 'herald-agents-playground-'));
    await mkdir(SHOTS, { recursive: true });
    // Live mode, as the README documents it for the Playground. Login and Graph point at a closed local
    // port, so Herald's Graph calls fail at once and nothing leaves the machine.
    const config = loadConfig({
      PORT: '0',
      DATA_DIR: join(workDir, 'data'),
      BOT_ID: '',
      BOT_AUTH: 'off',
      AAD_APP_CLIENT_ID: '00000000-0000-4000-8000-000000000003',
      AAD_APP_CLIENT_SECRET: 'agents-playground',
      AAD_APP_TENANT_ID: '00000000-0000-0000-0000-0000000000001',
      AAD_AUTHORITY_HOST: 'https://127.0.0.1:9',
      GRAPH_ENDPOINT: 'https://127.0.0.1:9',
      PUBLIC_URL: 'https://herald.invalid',
      LOG_LEVEL: 'silent',
    });
    herald = await createHerald(config, silentLogger());
    const heraldUrl = await herald.start();
    await copyFile(join(REPO_ROOT, '.m365agentsplayground.yml'), join(workDir, '.m365agentsplayground.yml'));
    const port = await freePort();
    playground = await startPlayground(workDir, `${heraldUrl}/api/messages`, port);
    // Its page loads fonts and animations from Microsoft's CDN; there is no internet here.
    chrome = await launchChromium({ viewport: { width: 1400, height: 900 }, offline: 'none', profileParent: workDir });
    browser = chrome.context;
    page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.getByText('Connected.').waitFor({ timeout: 30_000 });
  });

  after(async () => {
    if (page) await page.screenshot({ path: join(SHOTS, 'group-chat.png') }).catch(() => undefined);
    await chrome?.close();
    playground?.kill();
    await herald?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  /** Text in the conversation (Herald's replies; the tests never type these words themselves). */
  const herald$ = (text: string | RegExp) => page.getByText(text).first();

  /** Types `@Herald <text>` in the compose box, picking Herald from the mention menu, and sends it. */
  async function mentionHerald(text: string): Promise<void> {
    await page.getByRole('textbox').first().click();
    await page.keyboard.type('@');
    await page.getByRole('menuitem', { name: 'Herald' }).click();
    await page.keyboard.type(` ${text}`);
    await page.keyboard.press('Enter');
  }

  it('shows the group chat of .m365agentsplayground.yml, and installing Herald there gets the welcome', async () => {
    await page.getByText('Launch crew', { exact: true }).first().click();
    await herald$("Hi, I'm Herald.").waitFor({ timeout: 20_000 });
    assert.equal((await herald.context.store.installations.get(GROUP_CHAT_ID))?.chatId, GROUP_CHAT_ID);
  });

  it('answers @Herald help with the command list', async () => {
    await mentionHerald('help');
    await herald$(/Commands \(mention me first/).waitFor({ timeout: 20_000 });
  });

  it('answers @Herald status: installed, and no subscriptions (the Playground plays Teams, not Graph)', async () => {
    await mentionHerald('status');
    await herald$('Installed in this chat.').waitFor({ timeout: 20_000 });
    await herald$('Subscriptions: none yet.').waitFor({ timeout: 5_000 });
  });

  it('changes a setting by command: @Herald window 30s (the Bot Connector says who Alex is; there is no Graph)', async () => {
    await mentionHerald('window 30s');
    await herald$(/Alex Wilber changed Herald's settings: summary window 30s/).waitFor({ timeout: 20_000 });
    assert.equal((await herald.context.store.chats.get(GROUP_CHAT_ID))?.settings.windowMs, 30_000);
  });

  it('changes a setting with the settings card: @Herald settings, untick "Announce topic changes", Save', async () => {
    await mentionHerald('settings');
    const topic = page.getByRole('checkbox', { name: 'Announce topic changes' }).last();
    await topic.waitFor({ timeout: 20_000 });
    await topic.uncheck();
    await page.getByRole('button', { name: 'Save' }).last().click();
    // The chat is told who changed what; the settings are stored.
    await herald$(/Alex Wilber changed Herald's settings: topic changes off/).waitFor({ timeout: 20_000 });
    const settings = await herald.context.settings.get(GROUP_CHAT_ID);
    assert.equal(settings.announceTopic, false);
    assert.equal(settings.windowMs, 30_000, 'the card kept what the command set');
  });
});
