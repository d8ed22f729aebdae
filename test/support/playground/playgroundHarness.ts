/**
 * The playground as tests use it: `startPlaygroundHerald` on a temporary DATA_DIR (the same world a
 * person sees with `npm start`), driven through the page's JSON API, with helpers to wait for Herald's
 * posts in the chat stream and to read the wire.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/loadConfig.js';
import { silentLogger } from '../../../src/log/createLogger.js';
import { startPlaygroundHerald, type PlaygroundHerald } from '../../../sim/playground/startPlaygroundHerald.js';
import type { TimelineEntry } from '../../../sim/playground/Timeline.js';
import { testNotificationCertificate, testSigningKey, testTls } from '../keys/testCredentials.js';

export type PostEntry = Extract<TimelineEntry, { kind: 'post' }>;

export interface PlaygroundRun {
  pg: PlaygroundHerald;
  dataDir: string;
  /** Calls the playground API as the page does; resolves with status and parsed body. */
  api<T = unknown>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** Like api() but fails on a non-2xx answer. */
  control<T = unknown>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T>;
  posts(): PostEntry[];
  /** Waits until a post matching `match` is in the stream (counting those already there). */
  waitForPost(match: RegExp | ((post: PostEntry) => boolean), timeoutMs?: number): Promise<PostEntry>;
  /** Installs Herald from the page and sets the summary window to 0 by chat command, waiting for both answers. */
  installWithWindowZero(): Promise<void>;
  /** Stops everything and starts again on the same DATA_DIR and port. */
  restart(): Promise<void>;
  close(options?: { keepData?: boolean }): Promise<void>;
}

export const WELCOME = /^Hi, I'm Herald/;

async function boot(dataDir: string, port = 0): Promise<PlaygroundHerald> {
  // The run's shared keys (tests of the playground's own keys run npm start: test/e2e/playground/npmStart.test.ts).
  const certificate = await testNotificationCertificate();
  const config = loadConfig({ PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'silent', NOTIFICATION_CERT_FILE: certificate.certFile, NOTIFICATION_KEY_FILE: certificate.keyFile });
  return startPlaygroundHerald({
    config,
    log: silentLogger(),
    tls: await testTls(),
    login: { initialSigningKey: await testSigningKey() },
    // Quick Graph delivery retries keep failure scenarios short.
    graph: { delivery: { retryDelaysMs: [100, 300, 900] } },
  });
}

export async function startPlaygroundRun(options: { dataDir?: string } = {}): Promise<PlaygroundRun> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'herald-playground-')));
  const run: PlaygroundRun = {
    pg: await boot(dataDir),
    dataDir,
    async api<T>(method: string, path: string, body?: unknown) {
      const response = await fetch(`${run.pg.url}/playground/api/${path}`, {
        method,
        headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
    },
    async control<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown) {
      const { status, body: answer } = await run.api<T>(method, path, body ?? (method === 'DELETE' ? undefined : {}));
      if (status < 200 || status >= 300) throw new Error(`${method} ${path} answered ${status}: ${JSON.stringify(answer)}`);
      return answer;
    },
    posts: () => run.pg.simulated.timeline.entries().filter((e): e is PostEntry => e.kind === 'post'),
    waitForPost(match, timeoutMs = 15_000) {
      const test = typeof match === 'function' ? match : (p: PostEntry) => match.test(postText(p));
      const found = run.posts().find(test);
      if (found) return Promise.resolve(found);
      return new Promise<PostEntry>((resolve, reject) => {
        const timer = setTimeout(() => {
          off();
          reject(new Error(`no post matching ${String(match)} within ${timeoutMs} ms; posts: ${JSON.stringify(run.posts().map(postText))}`));
        }, timeoutMs);
        const off = run.pg.simulated.timeline.on((change) => {
          if (change.entry.kind === 'post' && test(change.entry)) {
            clearTimeout(timer);
            off();
            resolve(change.entry);
          }
        });
      });
    },
    async installWithWindowZero() {
      await run.control('POST', 'herald/install');
      await run.waitForPost(WELCOME);
      await run.control('POST', 'messages', { text: '@Herald window 0' });
      await run.waitForPost(/window 0s/);
      await run.pg.settle();
    },
    async restart() {
      // Same port, as with `npm start` on PORT 3978: Graph's subscriptions keep pointing at Herald.
      const port = Number(new URL(run.pg.url).port);
      await run.pg.stop();
      run.pg = await boot(dataDir, port);
    },
    async close(closeOptions = {}) {
      await run.pg.stop();
      if (!closeOptions.keepData && !options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
  return run;
}

const ADAPTIVE_CARD = 'application/vnd.microsoft.card.adaptive';

/** A card's `fallbackText`: the plain text of an announcement (its post has no `text`, only the card). */
function cardText(post: PostEntry): string | null {
  const card = post.attachments.find((a) => a.contentType === ADAPTIVE_CARD)?.content as { fallbackText?: unknown } | undefined;
  return typeof card?.fallbackText === 'string' ? card.fallbackText : null;
}

/** What a post says: its text (welcome, command answers) or its card's plain text (announcements). */
export function postText(post: PostEntry): string {
  return post.text ?? cardText(post) ?? '';
}

/** The plain text of Herald's announcement cards (welcome and command answers are text-only posts). */
export function cardTexts(posts: PostEntry[]): string[] {
  return posts.filter((p) => p.attachments.some((a) => a.contentType === ADAPTIVE_CARD)).map((p) => cardText(p) ?? '');
}
