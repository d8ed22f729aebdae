import assert from 'node:assert/strict';
import sinon from 'sinon';
import type { Activity } from 'botbuilder';
import { PostError } from '../../../src/bot/ChatPoster.js';
import { PostQueue, type AnnouncementPoster, type PostTargets } from '../../../src/announcements/PostQueue.js';
import { DEFAULT_RETRY_POLICY, retryDelayMs } from '../../../src/announcements/retryDelay.js';
import { mergeStamps, SlidingWindowLimiter, TEAMS_SEND_LIMITS } from '../../../src/announcements/SlidingWindowLimiter.js';
import { systemTimers } from '../../../src/kernel/timers.js';
import { silentLogger } from '../../../src/log/createLogger.js';
import type { Installation } from '../../../src/model/installation.js';
import { openSqliteMemory, type SqliteStore } from '../../../src/storage/sqlite/SqliteStore.js';

const CHAT = '19:aaaa@thread.v2';
const OTHER = '19:bbbb@thread.v2';

const installation = (chatId: string, tenantId = 't1'): Installation => ({
  chatId,
  tenantId,
  serviceUrl: 'http://127.0.0.1:1/',
  conversationReference: { conversation: { id: chatId, isGroup: true, conversationType: 'groupChat', name: '' } },
  status: 'installed',
  installedAt: '2026-01-01T00:00:00.000Z',
  uninstalledAt: null,
  uninstallReason: null,
  lastActivityAt: '2026-01-01T00:00:00.000Z',
});

/** A registry holding a few installations; markUninstalled flips the status like the real one. */
function registryOf(...chats: Installation[]): PostTargets & { uninstalled: string[] } {
  const map = new Map(chats.map((c) => [c.chatId, c]));
  const uninstalled: string[] = [];
  return {
    uninstalled,
    get: async (chatId) => map.get(chatId),
    markUninstalled: async (chatId) => {
      const current = map.get(chatId);
      if (current) map.set(chatId, { ...current, status: 'uninstalled' });
      uninstalled.push(chatId);
      return true;
    },
  };
}

/** Records what was posted, failing with the planned errors first. */
class ScriptedPoster implements AnnouncementPoster {
  readonly posted: Array<{ chatId: string; text: string; at: number }> = [];
  readonly attempts: number[] = [];
  private failures: PostError[] = [];

  failNext(...errors: PostError[]): void {
    this.failures.push(...errors);
  }

  async post(target: Installation, activity: Partial<Activity>): Promise<string> {
    this.attempts.push(Date.now());
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.posted.push({ chatId: target.chatId, text: String(activity.text), at: Date.now() });
    return String(this.posted.length);
  }
}

const status = (code: number, retryAfterMs: number | null = null) => new PostError(CHAT, code, null, retryAfterMs, null);

describe('post queue', () => {
  let clock: sinon.SinonFakeTimers;
  let store: SqliteStore;
  let poster: ScriptedPoster;

  function queueWith(registry: PostTargets, random = () => 0.5): PostQueue {
    return new PostQueue({ store: store, registry, poster, clock: () => new Date(), log: silentLogger(), timers: systemTimers(), random });
  }

  /** Advances fake time in small steps, letting real storage I/O finish in between. */
  async function settle(queue: PostQueue, ms = 0): Promise<void> {
    await queue.idle();
    for (let done = 0; done < ms; done += 100) {
      await clock.tickAsync(Math.min(100, ms - done));
      await queue.idle();
    }
  }

  beforeEach(async () => {
    clock = sinon.useFakeTimers({ now: Date.UTC(2026, 0, 1), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    store = await openSqliteMemory();
    poster = new ScriptedPoster();
  });
  afterEach(() => clock.restore());

  it('stores a post before sending it and forgets it once delivered', async () => {
    const queue = queueWith(registryOf(installation(CHAT)));
    await queue.start();
    await queue.enqueue(CHAT, { type: 'message', text: 'hello' });
    await settle(queue);
    assert.deepEqual(poster.posted.map((p) => p.text), ['hello']);
    assert.equal((await store.outbox.count()), 0);
  });

  it('retries a 429 no sooner than Retry-After, then posts exactly once', async () => {
    const queue = queueWith(registryOf(installation(CHAT)));
    await queue.start();
    poster.failNext(status(429, 10_000));
    await queue.enqueue(CHAT, { type: 'message', text: 'hello' });
    await settle(queue);
    assert.equal(poster.posted.length, 0);
    await settle(queue, 9_999);
    assert.equal(poster.posted.length, 0, 'not before Retry-After');
    await settle(queue, 1);
    assert.deepEqual(poster.posted.map((p) => p.text), ['hello']);
    assert.equal(queue.stats.retried, 1);
  });

  it('backs off exponentially with jitter on 5xx', async () => {
    const queue = queueWith(registryOf(installation(CHAT)), () => 1);
    await queue.start();
    poster.failNext(status(502), status(503), status(500));
    await queue.enqueue(CHAT, { type: 'message', text: 'x' });
    await settle(queue, 60_000);
    const gaps = poster.attempts.slice(1).map((t, i) => t - poster.attempts[i]);
    assert.deepEqual(gaps, [2_400, 4_800, 9_600]);
    assert.equal(poster.posted.length, 1);
  });

  it('keeps a chat\'s posts in order while one is being retried', async () => {
    const queue = queueWith(registryOf(installation(CHAT)));
    await queue.start();
    poster.failNext(status(429, 1_000));
    await queue.enqueue(CHAT, { type: 'message', text: 'first' });
    await queue.enqueue(CHAT, { type: 'message', text: 'second' });
    await settle(queue, 5_000);
    assert.deepEqual(poster.posted.map((p) => p.text), ['first', 'second']);
  });

  it('marks the chat uninstalled on 403 and drops its posts instead of retrying', async () => {
    const registry = registryOf(installation(CHAT));
    const queue = queueWith(registry);
    await queue.start();
    poster.failNext(new PostError(CHAT, 403, 'BotNotInConversationRoster', null, null));
    await queue.enqueue(CHAT, { type: 'message', text: 'first' });
    await queue.enqueue(CHAT, { type: 'message', text: 'second' });
    await settle(queue, 60_000);
    assert.deepEqual(registry.uninstalled, [CHAT]);
    assert.equal(poster.attempts.length, 1);
    assert.equal((await store.outbox.count()), 0);
  });

  it('treats 404 like 403', async () => {
    const registry = registryOf(installation(CHAT));
    const queue = queueWith(registry);
    await queue.start();
    poster.failNext(new PostError(CHAT, 404, 'ConversationNotFound', null, null));
    await queue.enqueue(CHAT, { type: 'message', text: 'x' });
    await settle(queue);
    assert.deepEqual(registry.uninstalled, [CHAT]);
  });

  it('gives up a post the connector refuses for good (400) without touching the installation', async () => {
    const registry = registryOf(installation(CHAT));
    const queue = queueWith(registry);
    await queue.start();
    poster.failNext(status(400));
    await queue.enqueue(CHAT, { type: 'message', text: 'x' });
    await settle(queue, 60_000);
    assert.equal(poster.attempts.length, 1);
    assert.deepEqual(registry.uninstalled, []);
    assert.equal(queue.stats.dropped, 1);
  });

  it('does not post into a chat Herald is no longer installed in', async () => {
    const queue = queueWith(registryOf({ ...installation(CHAT), status: 'uninstalled' }));
    await queue.start();
    await queue.enqueue(CHAT, { type: 'message', text: 'x' });
    await settle(queue);
    assert.equal(poster.attempts.length, 0);
    assert.equal((await store.outbox.count()), 0);
  });

  it('delivers posts left in the outbox by a previous run', async () => {
    const registry = registryOf(installation(CHAT));
    const before = queueWith(registry);
    await before.enqueue(CHAT, { type: 'message', text: 'waiting' });
    await before.stop();
    assert.equal(poster.attempts.length, 0);
    const after = queueWith(registry);
    await after.start();
    await settle(after);
    assert.deepEqual(poster.posted.map((p) => p.text), ['waiting']);
  });

  it('paces one chat under 7 posts per second and 8 per 2 seconds, without slowing other chats', async () => {
    const queue = queueWith(registryOf(installation(CHAT), installation(OTHER, 't2')));
    await queue.start();
    for (let i = 0; i < 10; i++) await queue.enqueue(CHAT, { type: 'message', text: `c${i}` });
    await queue.enqueue(OTHER, { type: 'message', text: 'other' });
    await settle(queue);
    assert.equal(poster.posted.filter((p) => p.chatId === CHAT).length, 7);
    assert.equal(poster.posted.filter((p) => p.chatId === OTHER).length, 1);
    await settle(queue, 1_000);
    assert.equal(poster.posted.filter((p) => p.chatId === CHAT).length, 8, 'the 2-second window allows only one more');
    await settle(queue, 1_000);
    assert.equal(poster.posted.filter((p) => p.chatId === CHAT).length, 10);
  });
  it('sends, at its next sweep of the outbox, a post another instance stored and never sent', async () => {
    const queue = queueWith(registryOf(installation(CHAT)));
    await queue.start();
    const at = new Date().toISOString();
    await store.outbox.put('0-left-by-another', { id: '0-left-by-another', chatId: CHAT, activity: { type: 'message', text: 'orphan' }, createdAt: at, attempts: 0, notBefore: at });
    await settle(queue, 4_900);
    assert.equal(poster.posted.length, 0, 'not known before the sweep');
    await settle(queue, 200);
    assert.deepEqual(poster.posted.map((p) => p.text), ['orphan']);
    assert.equal((await store.outbox.count()), 0);
  });

  it('sends to no more chats at once than it may, and to every chat in turn', async () => {
    const chats = ['19:c1@thread.v2', '19:c2@thread.v2', '19:c3@thread.v2'];
    let inFlight = 0;
    let most = 0;
    const slowPoster: AnnouncementPoster = {
      post: async (target) => {
        most = Math.max(most, ++inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight--;
        poster.posted.push({ chatId: target.chatId, text: '', at: Date.now() });
        return 'id';
      },
    };
    const queue = new PostQueue({ store: store, registry: registryOf(...chats.map((c) => installation(c))), poster: slowPoster, clock: () => new Date(), log: silentLogger(), timers: systemTimers(), maxConcurrentChats: 2 });
    await queue.start();
    await Promise.all(chats.map((chatId) => queue.enqueue(chatId, { type: 'message', text: chatId })));
    await settle(queue);
    assert.equal(most, 2);
    assert.deepEqual(poster.posted.map((p) => p.chatId).sort(), chats);
  });
});

describe('sliding window limiter', () => {
  it('allows the next event when the oldest one in a full window expires', () => {
    const limiter = new SlidingWindowLimiter([{ limit: 2, periodMs: 1_000 }]);
    limiter.record('k', 0);
    limiter.record('k', 300);
    assert.equal(limiter.nextAllowedAt('k', 400), 1_000);
    assert.equal(limiter.nextAllowedAt('other', 400), 400);
  });

  it('applies Teams\' 60 per 30 seconds on top of the per-second limits', () => {
    const limiter = new SlidingWindowLimiter(TEAMS_SEND_LIMITS.perConversation);
    let now = 0;
    for (let i = 0; i < 60; i++) {
      now = limiter.nextAllowedAt('chat', now);
      limiter.record('chat', now);
    }
    assert.ok(now < 30_000);
    assert.equal(limiter.nextAllowedAt('chat', now), 30_000);
  });
});

describe('merged send logs', () => {
  it('counts each time as often as the log that has it more often', () => {
    assert.deepEqual(mergeStamps([5, 1, 1], [1, 1, 1, 9]), [1, 1, 1, 5, 9]);
  });
});

describe('retry delay', () => {
  it('doubles from the base up to the cap, with ±20 % jitter', () => {
    const p = DEFAULT_RETRY_POLICY;
    assert.equal(retryDelayMs(1, null, p, () => 0), 1_600);
    assert.equal(retryDelayMs(1, null, p, () => 1), 2_400);
    assert.equal(retryDelayMs(3, null, p, () => 0.5), 8_000);
    assert.equal(retryDelayMs(30, null, p, () => 0.5), p.maxDelayMs);
  });

  it('never retries sooner than Retry-After', () => {
    assert.equal(retryDelayMs(1, 30_000, DEFAULT_RETRY_POLICY, () => 0.5), 30_000);
  });
});
