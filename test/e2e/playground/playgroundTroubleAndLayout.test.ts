import assert from 'node:assert/strict';
import type { BrowserContext, ConsoleMessage, Frame, Page } from 'playwright-core';
import { ensureWebBundles, launchChromium, skipWithoutChromium, type ChromiumSession } from '../../support/browser/chromium.js';
import { startPlaygroundRun, type PlaygroundRun } from '../../support/playground/playgroundHarness.js';

/** Issue 27: the 429 trouble shows, card icons and labels read on any browser and width, and the header's people are apart. */
describe('playground page: Graph throttling, icons and narrow windows', function () {
  this.timeout(90_000);
  let run: PlaygroundRun;
  let chrome: ChromiumSession | undefined;
  let browser: BrowserContext;
  let page: Page;
  const consoleErrors: string[] = [];

  before(async function () {
    skipWithoutChromium(this);
    await ensureWebBundles('playground', 'tab');
    run = await startPlaygroundRun();
    chrome = await launchChromium({ viewport: { width: 1280, height: 800 } });
    browser = chrome.context;
    browser.on('console', (message: ConsoleMessage) => {
      if (message.type() === 'error') consoleErrors.push(`${message.text()} (${message.location().url})`);
    });
    page = await browser.newPage();
    await page.goto(run.pg.playgroundUrl);
    await page.waitForSelector('body[data-ready="true"]');
    await page.waitForSelector('#connection[data-state="live"]');
  });

  after(async () => {
    await chrome?.close();
    await run?.close();
  });

  afterEach(() => {
    assert.deepEqual(chrome?.pageErrors.splice(0) ?? [], [], 'no script errors on the page');
    assert.deepEqual(consoleErrors.splice(0), [], 'nothing in the console as an error');
  });

  const post = (text: string) => page.locator('#stream li[data-kind="post"]', { hasText: text });
  const systemLine = (text: string | RegExp) => page.locator('#stream li', { hasText: text });

  /** Each test stands on its own: Herald is in the chat whatever an earlier test did. */
  async function ensureInstalled(): Promise<void> {
    if (!run.pg.controller.chat().heraldInstalled) await run.control('POST', 'herald/install');
    await run.waitForPost(/^Hi, I'm Herald/);
    await page.waitForSelector('body[data-installed="true"]');
  }

  async function send(text: string): Promise<void> {
    await page.getByLabel('Type a message').fill(text);
    await page.getByLabel('Type a message').press('Enter');
  }

  it('shows the armed 429 hit Herald’s next Graph call, and Herald’s retry, in the chat and on the wire', async () => {
    await page.getByRole('button', { name: '429 on the next Graph call' }).click();
    await page.waitForSelector('[data-trouble="throttle"][aria-pressed="true"]');
    assert.match(await page.locator('#toast').innerText(), /next call to Graph answers 429/);
    // Adding Herald makes it subscribe: its first Graph call is the one throttled.
    await page.getByRole('button', { name: 'Add Herald' }).click();
    await systemLine(/Graph answered Herald's POST \/v1\.0\/subscriptions with 429 Too Many Requests \(Retry-After: 1 s/).waitFor();
    await systemLine(/Herald retried POST \/v1\.0\/subscriptions \d+\.\d s later: Graph answered 201\./).waitFor();
    await post("Hi, I'm Herald").waitFor();
    await page.waitForSelector('[data-trouble="throttle"][aria-pressed="false"]');

    await page.getByRole('tab', { name: 'Wire' }).click();
    const titles = await page.locator('#wire-list li[data-kind="graphRequest"] summary').allInnerTexts();
    const throttled = titles.findIndex((t) => /POST \/v1\.0\/subscriptions → TooManyRequests — throttled, Retry-After: 1 s/.test(t));
    const retry = titles.findIndex((t) => /POST \/v1\.0\/subscriptions — retry after 429, \d+\.\d s later/.test(t));
    assert.ok(throttled >= 0 && retry >= 0, `both on the wire: ${JSON.stringify(titles)}`);
    assert.ok(retry < throttled, 'newest first: the retry above the 429');
    await page.getByRole('tab', { name: 'Chat' }).click();
  });

  it('draws the announcement icons itself instead of relying on an emoji font', async () => {
    await ensureInstalled();
    await send('@Herald window 0');
    await post('summary window 0s').waitFor();
    await page.getByRole('textbox', { name: 'Add someone' }).fill('Iris Icon');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const joined = post('Ada Lovelace added Iris Icon').locator('.ac-adaptiveCard');
    await joined.waitFor();
    await page.getByRole('button', { name: 'Remove Iris Icon from the chat' }).click();
    const left = post('Ada Lovelace removed Iris Icon').locator('.ac-adaptiveCard');
    await left.waitFor();
    for (const [card, kind] of [[joined, 'joined'], [left, 'left']] as const) {
      const icon = card.locator(`svg.card-icon[data-icon="${kind}"]`);
      const box = await icon.boundingBox();
      assert.ok(box && box.width >= 12 && box.height >= 12, `the ${kind} icon is drawn`);
      assert.doesNotMatch(await card.innerText(), /[➕➖🔁✏⚙]/u, 'no emoji glyph left to fall back on a font');
    }
  });

  it('shows the people in the header side by side, none covering another', async () => {
    const boxes = await page.locator('#header-avatars .avatar').evaluateAll((nodes) => nodes.map((n) => n.getBoundingClientRect().toJSON() as DOMRect));
    assert.ok(boxes.length >= 2);
    for (let i = 1; i < boxes.length; i++) {
      const before = boxes[i - 1];
      const box = boxes[i];
      assert.ok(before && box && box.left >= before.right, `avatar ${i + 1} starts after avatar ${i} ends (${before?.right} → ${box?.left})`);
    }
  });

  it('says who set up the subscriptions, not who renewed them, before any renewal', async () => {
    await ensureInstalled();
    await send('@Herald status');
    const status = post('Herald status').last();
    await status.waitFor();
    const text = await status.innerText();
    assert.match(text, /Subscriptions set up by \S+; not renewed yet\./);
    assert.doesNotMatch(text, /renewed by/);
  });

  it('reads whole in a window 414 px wide: card labels wrap instead of being cut, nothing runs off the side', async () => {
    await ensureInstalled();
    const narrow = await browser.newPage();
    try {
      await narrow.setViewportSize({ width: 414, height: 860 });
      await send('@Herald settings');
      await post("Herald's settings for this chat").waitFor();
      await narrow.goto(run.pg.playgroundUrl);
      await narrow.waitForSelector('body[data-ready="true"]');
      const card = narrow.locator('#stream li[data-kind="post"]', { hasText: "Herald's settings for this chat" }).last().locator('.ac-adaptiveCard');
      await card.waitFor();
      await card.scrollIntoViewIfNeeded();
      const cut = await card.evaluate((root) =>
        Array.from(root.querySelectorAll<HTMLElement>('label, .ac-textBlock, .ac-textBlock *'))
          .filter((node) => node.offsetParent !== null && node.scrollWidth > node.clientWidth + 1)
          .map((node) => node.textContent ?? ''),
      );
      assert.deepEqual(cut, [], 'no label runs past its box');
      assert.ok(await card.getByText('Only guests and people from other organizations').isVisible());
      const overflow = await narrow.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the page is no wider than the window (${overflow} px over)`);
    } finally {
      await narrow.close();
    }
  });

  it('opens Herald’s tab inside the page without a console error', async () => {
    await page.getByRole('tab', { name: 'Herald' }).click();
    const handle = await page.waitForSelector('#herald-tab');
    await page.waitForFunction(() => (document.getElementById('herald-tab') as HTMLIFrameElement | null)?.contentWindow?.location.pathname === '/tab/index.html');
    const tab = (await handle.contentFrame()) as Frame;
    await tab.waitForSelector('body[data-ready="true"]');
    await page.getByRole('tab', { name: 'Chat' }).click();
  });
});
