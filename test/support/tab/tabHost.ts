import assert from 'node:assert/strict';
import type { BrowserContext, Frame, Page } from 'playwright-core';
import { startTabWorld, type Person, type TabWorld } from './tabWorld.js';

/** The playground's stand-in for Teams' token service (see startBrowserTabWorld). */
export const TOKEN_ROUTE = '/test-only/sso-token';

/**
 * A tab world for the browser tests: the playground's Herald, with a token route whose tokens the login
 * double signs, so the tab API runs the same validation as live.
 */
export function startBrowserTabWorld(): Promise<TabWorld> {
  return startTabWorld({
    mode: 'playground',
    beforeListen(w) {
      w.herald.context.server.get(TOKEN_ROUTE, async (req, res) => {
        const query = req.query as Record<string, string | undefined>;
        const token = await w.login.signUserToken({
          tenantId: query.tid ?? '', clientId: w.clientId, apiHost: 'herald.example.test', oid: query.oid ?? '', name: query.name ?? '',
        });
        res.json(200, { token });
      });
    },
  });
}

/** Opens Herald's tab inside the simulated Teams host (`/tab/host-demo.html`) as a person. */
export class TabHost {
  constructor(
    private readonly browser: BrowserContext,
    private readonly world: TabWorld,
  ) {}

  url(person: Person, extra: Record<string, string> = {}): string {
    const w = this.world;
    const params = new URLSearchParams({
      chatId: w.chatId, tenantId: w.tenantId, userId: person.oid, name: person.name, upn: 'someone@contoso.test', chatName: 'Launch crew', tokenUrl: TOKEN_ROUTE, ...extra,
    });
    return `${w.url}/tab/host-demo.html?${params.toString()}`;
  }

  async open(person: Person, extra: Record<string, string> = {}): Promise<{ page: Page; tab: Frame }> {
    const page = await this.browser.newPage();
    await page.goto(this.url(person, extra));
    const tab = await frameOf(page, '/tab/index.html');
    return { page, tab };
  }
}

/** The host's tab frame once it shows `path` and is ready (or has failed). */
export async function frameOf(page: Page, path: string): Promise<Frame> {
  const handle = await page.waitForSelector('#host-tab');
  await page.waitForFunction((p) => (document.getElementById('host-tab') as HTMLIFrameElement | null)?.contentWindow?.location.pathname === p, path);
  const frame = await handle.contentFrame();
  assert.ok(frame, 'the tab frame exists');
  await frame.waitForSelector('body[data-ready="true"], #failure:not([hidden])');
  return frame;
}
