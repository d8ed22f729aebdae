import assert from 'node:assert/strict';
import type { BrowserContext, Frame, Page } from 'playwright-core';
import { ensureWebBundles, launchChromium, skipWithoutChromium, type ChromiumSession } from '../../support/browser/chromium.js';
import { startPlaygroundRun, type PlaygroundRun } from '../../support/playground/playgroundHarness.js';

/** Whether the stream shows its newest entry (scrolled to the end, last entry inside the visible box). */
function showsNewest(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const stream = document.getElementById('stream') as HTMLElement;
    const last = stream.lastElementChild as HTMLElement | null;
    if (!last || stream.clientHeight === 0) return false;
    const box = stream.getBoundingClientRect();
    const item = last.getBoundingClientRect();
    return item.bottom <= box.bottom + 1 && item.top >= box.top - 1 && item.bottom <= window.innerHeight + 1;
  });
}

describe('playground page: layout and form fixes', function () {
  this.timeout(90_000);
  let run: PlaygroundRun;
  let browser: BrowserContext;
  let chrome: ChromiumSession | undefined;
  const pages: Page[] = [];

  async function openPage(viewport: { width: number; height: number }): Promise<Page> {
    const page = await browser.newPage();
    pages.push(page);
    await page.setViewportSize(viewport);
    await page.goto(run.pg.playgroundUrl);
    await page.waitForSelector('body[data-ready="true"]');
    await page.waitForSelector('#connection[data-state="live"]');
    return page;
  }

  const say = (text: string) => run.control('POST', 'messages', { text });
  const entryCount = (page: Page) => page.locator('#stream li[data-entry]').count();

  before(async function () {
    skipWithoutChromium(this);
    await ensureWebBundles('playground', 'tab');
    run = await startPlaygroundRun();
    // A chat long enough to scroll.
    for (let i = 1; i <= 40; i++) await say(`Message number ${i}`);
    chrome = await launchChromium();
    browser = chrome.context;
  });

  after(async () => {
    await chrome?.close();
    await run?.close();
  });

  afterEach(async () => {
    for (const page of pages.splice(0)) await page.close();
    assert.deepEqual(chrome?.pageErrors.splice(0) ?? [], [], 'no script errors on the page');
  });

  it('scrolling the side panel scrolls the panel, never the page', async () => {
    // Enough people that the add-member form (with its visually hidden legend) sits below the window.
    for (let i = 1; i <= 8; i++) await run.control('POST', 'members', { name: `Colleague ${i}`, kind: 'member' });
    const page = await openPage({ width: 1280, height: 480 });
    const side = page.locator('aside.side');
    const box = await side.boundingBox();
    assert.ok(box);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, 3000);
    await page.waitForFunction(() => (document.querySelector('aside.side') as HTMLElement).scrollTop > 0);
    const metrics = await page.evaluate(() => ({
      scrollY: window.scrollY,
      documentHeight: document.documentElement.scrollHeight,
      windowHeight: window.innerHeight,
    }));
    assert.equal(metrics.scrollY, 0, 'the page did not move');
    assert.ok(metrics.documentHeight <= metrics.windowHeight, `the document (${metrics.documentHeight}px) is no taller than the window (${metrics.windowHeight}px)`);
  });

  it('adds everyone typed in quick succession, even while the previous Add is still on its way', async () => {
    const page = await openPage({ width: 1280, height: 800 });
    const before = await page.locator('#people li').count();
    // Each Add takes a while to come back, as on a busy machine.
    await page.route('**/playground/api/members', async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 400));
      await route.continue();
    });
    const names = ['Alan Turing', 'Barbara Liskov', 'Claude Shannon', 'Dorothy Vaughan', 'Edsger Dijkstra'];
    const field = page.getByRole('textbox', { name: 'Add someone' });
    for (const name of names) {
      await field.fill(name);
      await field.press('Enter');
    }
    await page.waitForFunction((count) => document.querySelectorAll('#people li').length === count, before + names.length);
    const people = await page.locator('#people li .full-name').allInnerTexts();
    for (const name of names) assert.ok(people.includes(name), `${name} was added`);
    assert.equal(await field.inputValue(), '', 'nothing left over in the field');
    await page.unroute('**/playground/api/members');
  });

  it('keeps following new posts after a visit to the Herald or Wire tab, and offers "New messages" when scrolled up', async () => {
    const page = await openPage({ width: 1280, height: 800 });
    assert.equal(await showsNewest(page), true, 'opens at the newest message');
    for (const tab of ['Wire', 'Herald']) {
      await page.getByRole('tab', { name: tab }).click();
      const count = await entryCount(page);
      await say(`Posted while the ${tab} tab was open`);
      await page.waitForFunction((n) => document.querySelectorAll('#stream li[data-entry]').length > n, count);
      await page.getByRole('tab', { name: 'Chat' }).click();
      assert.equal(await showsNewest(page), true, `back from ${tab}, the chat shows the newest post`);
      const again = await entryCount(page);
      await say(`Posted after coming back from ${tab}`);
      await page.waitForFunction((n) => document.querySelectorAll('#stream li[data-entry]').length > n, again);
      await page.waitForFunction(() => {
        const s = document.getElementById('stream') as HTMLElement;
        return s.scrollHeight - s.scrollTop - s.clientHeight < 2;
      });
      assert.equal(await showsNewest(page), true, `after ${tab}, the chat still follows new posts`);
    }

    // The reader scrolls back to the oldest messages (and the page has handled that scroll).
    const stream = await page.locator('#stream').boundingBox();
    assert.ok(stream);
    await page.mouse.move(stream.x + stream.width / 2, stream.y + stream.height / 2);
    await page.mouse.wheel(0, -100_000);
    await page.waitForFunction(() => (document.getElementById('stream') as HTMLElement).scrollTop === 0);
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    const count = await entryCount(page);
    await say('Posted while reading older messages');
    await page.waitForFunction((n) => document.querySelectorAll('#stream li[data-entry]').length > n, count);
    const hint = page.getByRole('button', { name: /New messages/ });
    await hint.waitFor();
    assert.equal(await page.locator('#stream').evaluate((s) => s.scrollTop), 0, 'the reader’s place is kept');
    await hint.click();
    assert.equal(await showsNewest(page), true);
    assert.equal(await hint.isHidden(), true);
  });

  it('opens at the newest message in a window 800 px wide or less', async () => {
    for (const width of [800, 600]) {
      const page = await openPage({ width, height: 700 });
      assert.equal(await showsNewest(page), true, `at ${width} px the newest message is on screen`);
      assert.ok((await page.locator('#stream').evaluate((s) => s.scrollTop)) > 0, `at ${width} px the stream is scrolled to its end`);
      assert.ok(await page.locator('aside.side').isVisible(), 'the side panel is still reachable below the chat');
    }
  });

  it('shows the Guest and External markers next to long names', async () => {
    const long = 'Maximiliana Wilhelmina Featherstonehaugh-Cholmondeley';
    await run.control('POST', 'members', { name: `${long} (guest)`, kind: 'guest' });
    await run.control('POST', 'members', { name: `${long} (external)`, kind: 'external' });
    const page = await openPage({ width: 1280, height: 800 });
    for (const [who, marker] of [[`${long} (guest)`, 'Guest'], [`${long} (external)`, 'External']] as const) {
      const badge = page.locator('#people li', { hasText: who }).locator('.marker');
      await badge.waitFor();
      await badge.scrollIntoViewIfNeeded();
      assert.equal(await badge.innerText(), marker);
      const onTop = await badge.evaluate((node) => {
        const box = node.getBoundingClientRect();
        const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
        return hit === node || node.contains(hit);
      });
      assert.equal(onTop, true, `the ${marker} marker is visible`);
    }
  });

  it('shows Herald being added and removed in the tab’s history', async () => {
    const page = await openPage({ width: 1280, height: 800 });
    const welcome = page.locator('#stream li[data-kind="post"]', { hasText: "Hi, I'm Herald" });
    await page.getByRole('button', { name: 'Add Herald' }).click();
    await welcome.first().waitFor();
    await page.getByRole('button', { name: 'Remove Herald' }).click();
    await page.waitForSelector('body[data-installed="false"]');
    await page.getByRole('button', { name: 'Add Herald' }).click();
    await page.waitForSelector('body[data-installed="true"]');
    await page.getByRole('tab', { name: 'Herald' }).click();
    const handle = await page.waitForSelector('#herald-tab');
    await page.waitForFunction(() => (document.getElementById('herald-tab') as HTMLIFrameElement | null)?.contentWindow?.location.pathname === '/tab/index.html');
    const tab = (await handle.contentFrame()) as Frame;
    await tab.waitForSelector('body[data-ready="true"]');
    await tab.selectOption('#history-kind', 'installed,uninstalled,problem');
    await tab.waitForFunction(() => document.querySelectorAll('#history-list li').length >= 3);
    const lines = await tab.locator('#history-list li .what').allInnerTexts();
    assert.deepEqual(lines.slice(0, 3), ['Ada Lovelace added Herald to the chat', 'Ada Lovelace removed Herald from the chat', 'Ada Lovelace added Herald to the chat']);
  });
});
