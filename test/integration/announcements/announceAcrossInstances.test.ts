/**
 * Several Herald instances on one PostgreSQL database (two PostgresStores on one schema = two
 * instances), each with its own AnnouncementService and PostQueue, posting through one fake connector.
 * An instance "dies" by never running its timers again (or never starting its queue) and closing its
 * store: what it stored is all another instance has.
 */
import assert from 'node:assert/strict';
import type { Activity } from 'botbuilder';
import { AnnouncementService } from '../../../src/announcements/AnnouncementService.js';
import { ChatStateUpdater } from '../../../src/announcements/ChatStateUpdater.js';
import { PostQueue, type PostTargets } from '../../../src/announcements/PostQueue.js';
import { systemTimers, type Timers } from '../../../src/kernel/timers.js';
import { silentLogger } from '../../../src/log/createLogger.js';
import type { ChangeEvent } from '../../../src/model/changeEvents.js';
import { emptyChatState } from '../../../src/model/chat.js';
import type { Installation } from '../../../src/model/installation.js';
import { DisplayNameResolver } from '../../../src/names/DisplayNameResolver.js';
import { openPostgresStore, type PostgresStore } from '../../../src/storage/postgres/PostgresStore.js';
import { freshSchema, waitFor, type TestSchema } from '../../support/storage/testPostgres.js';
import type { ChatUnits } from '../../../src/events/ChatUnits.js';
import { applyChange, unitsFor } from '../../support/announcements/applyChange.js';

const TENANT = '11111111-0000-4000-8000-000000000001';
const CHAT = '19:across@thread.v2';
const BOT = '33333333-0000-4000-8000-000000000003';
const BOB = 'bbbbbbbb-0000-4000-8000-00000000000b';
/** Short sweeps, so a dead instance's work is picked up within a test's patience. */
const SWEEP_MS = 50;

const installation: Installation = {
  chatId: CHAT, tenantId: TENANT, serviceUrl: 'http://127.0.0.1:1/', conversationReference: {}, status: 'installed',
  installedAt: '2026-01-01T00:00:00.000Z', uninstalledAt: null, uninstallReason: null, lastActivityAt: '2026-01-01T00:00:00.000Z',
};

const registry: PostTargets = { get: async () => installation, markUninstalled: async () => true };

/** Timers of an instance that is about to die: nothing it schedules ever runs. */
const deadTimers: Timers = { setTimeout: () => null, clearTimeout: () => undefined };

interface Posted {
  text: string;
  by: string;
  /** When the connector was called (ms). */
  at: number;
}

interface Instance {
  name: string;
  store: PostgresStore;
  queue: PostQueue;
  service: AnnouncementService;
  units: ChatUnits;
}

describe('announcements across instances on one PostgreSQL database', function () {
  this.timeout(30_000);
  let db: TestSchema;
  let posted: Posted[];
  let instances: Instance[];

  async function instance(name: string, options: { timers?: Timers } = {}): Promise<Instance> {
    const store = await openPostgresStore({ url: db.url, schema: db.schema, applicationName: `herald-${name}` });
    const clock = () => new Date();
    const log = silentLogger();
    const timers = options.timers ?? systemTimers();
    const poster = {
      post: async (_i: Installation, activity: Partial<Activity>) => {
        posted.push({ text: String(activity.summary ?? activity.text), by: name, at: Date.now() });
        return 'id';
      },
    };
    const queue = new PostQueue({ store, registry, poster, clock, log, timers, sweepMs: SWEEP_MS });
    const resolver = new DisplayNameResolver({ connector: { getMember: async () => null, listMembers: async () => [] }, clock, log });
    const service = new AnnouncementService({
      store, registry, clock, log, timers, queue, resolver, updater: new ChatStateUpdater({ ownIds: [BOT] }), windowSweepMs: SWEEP_MS,
    });
    const made = { name, store, queue, service, units: unitsFor(store, service) };
    instances.push(made);
    return made;
  }

  /** The instance stops for good: nothing of it runs any more, and its connections are gone. */
  async function die(dead: Instance): Promise<void> {
    await dead.service.idle();
    instances = instances.filter((i) => i !== dead);
    await dead.store.close();
  }

  async function seedChat(store: PostgresStore, windowMs: number): Promise<void> {
    const empty = emptyChatState(CHAT, TENANT);
    await store.chats.put(CHAT, { ...empty, baselineAt: '2026-01-01T00:00:00.000Z', settings: { ...empty.settings, windowMs } });
  }

  /** Two running instances; the chat's state is stored with this summary window. */
  async function twoStarted(windowMs: number): Promise<[Instance, Instance]> {
    const a = await instance('a');
    const b = await instance('b');
    await seedChat(a.store, windowMs);
    await Promise.all([a.service.start(), b.service.start()]);
    return [a, b];
  }

  const join = (userId: string, changeKey: string): ChangeEvent => ({
    kind: 'memberAdded', tenantId: TENANT, chatId: CHAT, changeKey, source: 'notification', receivedAt: new Date().toISOString(), at: null,
    member: { userId, displayName: 'Bob Jones', tenantId: TENANT, roles: [] },
  });

  beforeEach(async () => {
    db = await freshSchema('announce_across');
    posted = [];
    instances = [];
  });
  afterEach(async () => {
    for (const running of instances) {
      await running.service.stop();
      await running.store.close();
    }
    await db.drop();
  });

  it('announces a join reported to two instances at the same moment once', async () => {
    const [a, b] = await twoStarted(0);
    // Two subscriptions (or the bot on one, Graph on the other) report the same join.
    await Promise.all([applyChange(a, join(BOB, 'graph|1')), applyChange(b, join(BOB, 'bot|1'))]);
    await Promise.all([a.service.idle(), b.service.idle()]);
    await waitFor(async () => (await a.store.outbox.count()) === 0);
    assert.equal(posted.length, 1, `one post, got ${JSON.stringify(posted)}`);
    assert.match(posted[0]?.text ?? '', /Bob Jones/);
  });

  it('keeps one window for a chat whose changes reach two instances, and posts it once', async () => {
    const [a, b] = await twoStarted(300);
    await Promise.all([applyChange(a, join(BOB, 'graph|1')), applyChange(b, join(BOB, 'bot|1'))]);
    await waitFor(async () => posted.length > 0 && (await a.store.pendingSummaries.all()).length === 0);
    await Promise.all([a.service.idle(), b.service.idle()]);
    assert.equal(posted.length, 1);
  });

  it('closes a window opened by an instance that died, once it is due', async () => {
    const b = await instance('b');
    await seedChat(b.store, 300);
    await b.service.start();
    const a = await instance('a', { timers: deadTimers });
    await a.service.start();
    await applyChange(a, join(BOB, 'graph|1'));
    assert.equal((await b.store.pendingSummaries.all()).length, 1, 'A stored the window');
    await die(a);
    await waitFor(async () => posted.length > 0);
    await b.service.idle();
    assert.deepEqual(posted.map((p) => [p.by, /Bob Jones/.test(p.text)]), [['b', true]]);
    assert.equal((await b.store.pendingSummaries.all()).length, 0);
  });

  it('sends posts a dead instance enqueued, once each and in order', async () => {
    const b = await instance('b');
    await seedChat(b.store, 0);
    await b.service.start();
    // A stored its posts and died before sending any (its queue never ran).
    const a = await instance('a', { timers: deadTimers });
    for (const text of ['first', 'second', 'third']) await a.queue.enqueue(CHAT, { type: 'message', text });
    await die(a);
    await waitFor(async () => posted.length >= 3 && (await b.store.outbox.count()) === 0);
    await b.service.idle();
    assert.deepEqual(posted.map((p) => `${p.by}:${p.text}`), ['b:first', 'b:second', 'b:third']);
  });

  it('paces one chat under the per-conversation limits when its posts are split across instances', async () => {
    const [a, b] = await twoStarted(0);
    for (let i = 0; i < 10; i++) await (i % 2 === 0 ? a : b).queue.enqueue(CHAT, { type: 'message', text: `p${i}` });
    await waitFor(async () => posted.length >= 10 && (await a.store.outbox.count()) === 0);
    await Promise.all([a.service.idle(), b.service.idle()]);
    assert.deepEqual(posted.map((p) => p.text).sort(), Array.from({ length: 10 }, (_, i) => `p${i}`).sort(), 'each post once');
    // What both instances paced by: the send times they recorded for the chat, each durably before its post
    // (the connector's arrival times add the store write's latency, which a loaded machine stretches).
    const at = [...((await a.store.chats.get(CHAT))?.postsSentAt ?? [])].sort((x, y) => x - y);
    assert.equal(at.length, 10, 'every post recorded its send time');
    for (let i = 0; i + 7 < at.length; i++) assert.ok(at[i + 7] - at[i] >= 1_000, `at most 7 posts per second (posts ${i}..${i + 7})`);
    for (let i = 0; i + 8 < at.length; i++) assert.ok(at[i + 8] - at[i] >= 2_000, `at most 8 posts per 2 seconds (posts ${i}..${i + 8})`);
  });
});
