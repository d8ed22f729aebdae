import assert from 'node:assert/strict';
import sinon from 'sinon';
import type { Activity } from 'botbuilder';
import { AnnouncementService } from '../../../src/announcements/AnnouncementService.js';
import { ChatStateUpdater } from '../../../src/announcements/ChatStateUpdater.js';
import { PostQueue, type PostTargets } from '../../../src/announcements/PostQueue.js';
import { systemTimers } from '../../../src/kernel/timers.js';
import { silentLogger } from '../../../src/log/createLogger.js';
import type { ChangeEvent } from '../../../src/model/changeEvents.js';
import type { Installation } from '../../../src/model/installation.js';
import type { ConnectorMember, ConnectorMemberDirectory } from '../../../src/names/ConnectorMembers.js';
import { DisplayNameResolver } from '../../../src/names/DisplayNameResolver.js';
import { emptyChatState } from '../../../src/model/chat.js';
import { openSqliteMemory, type SqliteStore } from '../../../src/storage/sqlite/SqliteStore.js';
import type { ChatUnits } from '../../../src/events/ChatUnits.js';
import { applyChange, unitsFor } from '../../support/announcements/applyChange.js';

const TENANT = '11111111-0000-4000-8000-000000000001';
const CHAT = '19:feed@thread.v2';
const BOT = '33333333-0000-4000-8000-000000000003';
const BOB = 'bbbbbbbb-0000-4000-8000-00000000000b';

const installation: Installation = {
  chatId: CHAT, tenantId: TENANT, serviceUrl: 'http://127.0.0.1:1/', conversationReference: {}, status: 'installed',
  installedAt: '2026-01-01T00:00:00.000Z', uninstalledAt: null, uninstallReason: null, lastActivityAt: '2026-01-01T00:00:00.000Z',
};

/** A connector whose member reads wait until the test lets them answer. */
class GatedConnector implements ConnectorMemberDirectory {
  private gate: Promise<void> = Promise.resolve();
  private open: () => void = () => {};
  constructor(private readonly members: ConnectorMember[]) {}
  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }
  release(): void {
    this.open();
  }
  async getMember(_i: Installation, userId: string): Promise<ConnectorMember | null> {
    await this.gate;
    return this.members.find((m) => m.userId === userId) ?? null;
  }
  async listMembers(): Promise<ConnectorMember[]> {
    await this.gate;
    return this.members;
  }
}

describe('announcement service', () => {
  let store: SqliteStore;
  let posts: string[];
  let connector: GatedConnector;
  let service: AnnouncementService;
  let registry: PostTargets & { status: Installation['status'] };
  /** Who Graph lists in the chat now, and how often it was asked. */
  let graphMembers: string[];
  let memberReads: number;

  const join = (userId: string): ChangeEvent => ({
    kind: 'memberAdded', tenantId: TENANT, chatId: CHAT, changeKey: `k-${userId}`, source: 'notification', receivedAt: new Date().toISOString(), at: null,
    member: { userId, displayName: null, tenantId: TENANT, roles: [] },
  });

  const leave = (userId: string, receivedAt = new Date().toISOString()): ChangeEvent => ({
    kind: 'memberRemoved', tenantId: TENANT, chatId: CHAT, changeKey: `l-${userId}-${receivedAt}`, source: 'notification', receivedAt, at: null,
    member: { userId },
  });

  let units: ChatUnits;
  beforeEach(async () => {
    store = await openSqliteMemory();
    posts = [];
    graphMembers = [];
    memberReads = 0;
    connector = new GatedConnector([{ userId: BOB, displayName: 'Bob Jones', tenantId: TENANT, guest: false }]);
    registry = {
      status: 'installed',
      get: async () => ({ ...installation, status: registry.status }),
      markUninstalled: async () => true,
    };
    const clock = () => new Date();
    const log = silentLogger();
    const timers = systemTimers();
    const poster = {
      post: async (_i: Installation, activity: Partial<Activity>) => {
        posts.push(String(activity.summary ?? activity.text));
        return 'id';
      },
    };
    const queue = new PostQueue({ store: store, registry, poster, clock, log, timers });
    service = new AnnouncementService({
      store: store, registry, clock, log, timers, queue, connector,
      members: {
        listChatMembers: async () => {
          memberReads++;
          return graphMembers.map((userId) => ({ '@odata.type': '#microsoft.graph.aadUserConversationMember', userId, displayName: null, roles: [] }));
        },
      },
      updater: new ChatStateUpdater({ ownIds: [BOT] }),
      resolver: new DisplayNameResolver({ connector, clock, log }),
    });
    await store.chats.put(CHAT, { ...emptyChatState(CHAT, TENANT), baselineAt: '2026-01-01T00:00:00.000Z', settings: { ...emptyChatState(CHAT, TENANT).settings, windowMs: 0 } });
    units = unitsFor(store, service);
    await service.start();
  });
  afterEach(async () => {
    await service.stop();
  });

  it('keeps a settings change made while a name was being looked up (no lost update)', async () => {
    connector.hold();
    const handled = applyChange({ units }, join(BOB));
    await new Promise((resolve) => setImmediate(resolve));
    await store.chats.update(CHAT, (s) => s && { ...s, settings: { ...s.settings, announceJoins: false } });
    connector.release();
    await handled;
    await service.idle();
    assert.deepEqual(posts, [], 'joins were switched off before the post was stored');
    const state = await store.chats.get(CHAT);
    assert.equal(state?.settings.announceJoins, false);
    assert.equal(state?.roster[BOB]?.present, true);
    assert.equal(state?.roster[BOB]?.displayName, 'Bob Jones');
  });

  it('does not announce a join the baseline recorded while the name was being looked up', async () => {
    connector.hold();
    const handled = applyChange({ units }, join(BOB));
    await new Promise((resolve) => setImmediate(resolve));
    await store.chats.update(CHAT, (s) => s && { ...s, roster: { [BOB]: { userId: BOB, displayName: 'Bob Jones', tenantId: TENANT, roles: [], present: true, changedAt: new Date().toISOString() } } });
    connector.release();
    await handled;
    await service.idle();
    assert.deepEqual(posts, []);
  });

  describe('ambiguous order of a leave and a join of one person', () => {
    const bobLeftEarlier = () =>
      store.chats.update(CHAT, (s) => s && { ...s, roster: { [BOB]: { userId: BOB, displayName: 'Bob Jones', tenantId: TENANT, roles: [], present: false, changedAt: '2026-01-01T00:00:00.000Z' } } });

    it('a leave that changed nothing, then a join: asks Graph and says nothing when the person is not in the chat now', async () => {
      await bobLeftEarlier();
      // Really: Bob joined, then left; delivered the other way round.
      await applyChange({ units }, leave(BOB));
      await applyChange({ units }, join(BOB));
      await service.idle();
      assert.equal(memberReads, 1);
      assert.deepEqual(posts, []);
      assert.equal((await store.chats.get(CHAT))?.roster[BOB]?.present, false, 'the roster says what Graph says');
    });

    it('the same reports, and Graph lists the person: announces the join (true now)', async () => {
      await bobLeftEarlier();
      graphMembers = [BOB];
      await applyChange({ units }, leave(BOB));
      await applyChange({ units }, join(BOB));
      await service.idle();
      assert.equal(memberReads, 1);
      assert.equal(posts.length, 1);
      assert.match(posts[0] ?? '', /Bob Jones joined/);
      assert.equal((await store.chats.get(CHAT))?.roster[BOB]?.present, true);
    });

    it('a join that changed nothing, then a leave, in one summary window: says only what Graph shows now', async () => {
      await store.chats.update(CHAT, (s) => s && { ...s, settings: { ...s.settings, windowMs: 5_000 }, roster: { [BOB]: { userId: BOB, displayName: 'Bob Jones', tenantId: TENANT, roles: [], present: true, changedAt: '2026-01-01T00:00:00.000Z' } } });
      const clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
      try {
        graphMembers = [BOB];
        // Really: Bob left, then came back; delivered the other way round.
        await applyChange({ units }, join(BOB));
        await applyChange({ units }, leave(BOB));
        assert.equal((await store.chats.get(CHAT))?.roster[BOB]?.present, false, 'as reported, until the window closes');
        await clock.tickAsync(5_000);
        await service.idle();
      } finally {
        clock.restore();
      }
      assert.equal(memberReads, 1);
      assert.deepEqual(posts, [], 'Bob is in the chat as before: nothing to say');
      assert.equal((await store.chats.get(CHAT))?.roster[BOB]?.present, true);
    });

    it('a join and a leave in their order are announced as reported, without asking Graph', async () => {
      await applyChange({ units }, join(BOB));
      await applyChange({ units }, leave(BOB));
      await service.idle();
      assert.equal(memberReads, 0);
      assert.equal(posts.length, 2);
      assert.match(posts[1] ?? '', /Bob Jones left/);
    });
  });

  it('never announces Herald itself', async () => {
    await applyChange({ units }, join(BOT));
    await service.idle();
    assert.deepEqual(posts, []);
    assert.equal((await store.chats.get(CHAT))?.roster[BOT], undefined);
  });

  it('records the timeline but posts nothing once Herald was removed', async () => {
    await store.chats.update(CHAT, (s) => s && { ...s, settings: { ...s.settings, windowMs: 5_000 } });
    const clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      await applyChange({ units }, join(BOB));
      registry.status = 'uninstalled';
      await service.handleUninstalled({ chatId: CHAT, tenantId: TENANT, reason: 'removed' });
      await service.idle();
      assert.deepEqual(posts, []);
      assert.equal(await store.pendingSummaries.get(CHAT), undefined);
      assert.deepEqual((await store.history.page(CHAT)).map((e) => e.kind), ['joined']);
    } finally {
      clock.restore();
    }
  });
});
