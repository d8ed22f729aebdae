import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's Chromium (`apt-get install -y chromium`); the browser tests skip without it. */
export const CHROMIUM = '/usr/bin/chromium';

/** Headless, offline and quiet: no GPU, no QUIC, no first-run, update, sync or background traffic. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const ROOT = new URL('../../../', import.meta.url).pathname;

/** Skips the suite (from its `before`) with a message saying how to get Chromium, when it is missing. */
export function skipWithoutChromium(suite: Mocha.Context, what = 'browser tests'): void {
  if (existsSync(CHROMIUM)) return;
  console.log(`    (${what} skipped: ${CHROMIUM} is missing; install it with: apt-get update && apt-get install -y chromium)`);
  suite.skip();
}

/** Bundles the pages (web/ → public/build/) unless the named bundles are there: `npm test` does it first, a lone mocha run may not have. */
export async function ensureWebBundles(...bundles: string[]): Promise<void> {
  if (bundles.every((b) => existsSync(join(ROOT, 'public', 'build', `${b}.js`)))) return;
  await promisify(execFile)(process.execPath, [join(ROOT, 'scripts', 'buildWeb.mjs')]);
}

export interface ChromiumSession {
  context: BrowserContext;
  /** Script errors of every page opened in the context, for an `afterEach` to assert empty (and clear). */
  pageErrors: string[];
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

export interface ChromiumOptions {
  viewport?: { width: number; height: number };
  /**
   * What the pages may reach beyond loopback. `teams-js` (default): only teams-js's valid-domains list,
   * answered here with an empty one (there is no internet). `none`: every https request off loopback fails.
   */
  offline?: 'teams-js' | 'none';
  /** Where the fresh profile is made (default: the system's temporary directory); removed on close either way. */
  profileParent?: string;
}

/** Headless Chromium with a fresh profile (its own `--user-data-dir`), offline. */
export async function launchChromium(options: ChromiumOptions = {}): Promise<ChromiumSession> {
  const userDataDir = await mkdtemp(join(options.profileParent ?? tmpdir(), 'herald-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      ...(options.viewport ? { viewport: options.viewport } : {}),
    });
  } catch (error) {
    await rm(userDataDir, { recursive: true, force: true });
    throw error;
  }
  if ((options.offline ?? 'teams-js') === 'teams-js') {
    await context.route('**/validDomains.json', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ validOrigins: [] }) }));
  } else {
    await context.route(/^https:\/\/(?!127\.0\.0\.1)/, (route) => route.abort());
  }
  const pageErrors: string[] = [];
  context.on('page', (page) => page.on('pageerror', (error) => pageErrors.push(error.message)));
  return {
    context,
    pageErrors,
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}
