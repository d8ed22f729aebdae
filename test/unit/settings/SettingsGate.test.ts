import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import sinon from 'sinon';
import type { AadUserConversationMember } from '@microsoft/microsoft-graph-types';
import { HeraldEvents, type SettingsChangedEvent } from '../../../src/events/HeraldEvents.js';
import { silentLogger } from '../../../src/log/createLogger.js';
import { emptyChatState, type RosterEntry } from '../../../src/model/chat.js';
import type { Installation } from '../../../src/model/installation.js';
import type { ConnectorMember } from '../../../src/names/ConnectorMembers.js';
import { ChatSettingsService } from '../../../src/settings/ChatSettingsService.js';
import { SettingsGate } from '../../../src/settings/SettingsGate.js';
import { openSqliteMemory, type SqliteStore } from '../../../src/storage/sqlite/SqliteStore.js';

const TENANT = randomUUID();
const CHAT = '19:9b1c0f2e9b8d4c7a9e6f5d3c2b1a0f9e@thread.v2';

describe('SettingsGate', () => {
  let store: SqliteStore;
  let events: HeraldEvents;
  let emitted: SettingsChangedEvent[];
  let settings: ChatSettingsService;
  let getMember: sinon.SinonStub<[Installation, string], Promise<ConnectorMember | null>>;
  let listChatMembers: sinon.SinonStub<[string, string], Promise<AadUserConversationMember[]>>;
  let gate: SettingsGate;

  const rosterEntry = (userId: string, roles: string[], extra: Partial<RosterEntry> = {}): RosterEntry => ({
    userId, displayName: 'Someone', tenantId: TENANT, roles, present: true, changedAt: new Date(0).toISOString(), ...extra,
  });

  async function seedChat(roster: RosterEntry[], whoMayChange: 'members' | 'owners' = 'members'): Promise<void> {
    const state = emptyChatState(CHAT, TENANT);
    await store.chats.put(CHAT, { ...state, settings: { ...state.settings, whoMayChange }, roster: Object.fromEntries(roster.map((r) => [r.userId, r])) });
  }

  async function install(): Promise<void> {
    await store.installations.put(CHAT, {
      chatId: CHAT, tenantId: TENANT, serviceUrl: 'https://smba.example.test/teams/', conversationReference: { conversation: { id: CHAT } } as Installation['conversationReference'],
      status: 'installed', installedAt: new Date(0).toISOString(), uninstalledAt: null, uninstallReason: null,
    } as Installation);
  }

  const change = (userId: string | null, name: string | null = 'Ada') =>
    gate.change({ chatId: CHAT, chatTenantId: TENANT, actor: { userId, name }, patch: { enabled: false }, source: 'chat' });

  beforeEach(async () => {
    store = await openSqliteMemory();
    events = new HeraldEvents();
    emitted = [];
    events.on('settingsChanged', (e) => void emitted.push(e));
    settings = new ChatSettingsService({ store: store, events, clock: () => new Date('2026-12-03T12:00:00Z') });
    getMember = sinon.stub<[Installation, string], Promise<ConnectorMember | null>>().resolves(null);
    listChatMembers = sinon.stub<[string, string], Promise<AadUserConversationMember[]>>().resolves([]);
    gate = new SettingsGate({ settings, store: store, connector: { getMember }, graph: { listChatMembers }, log: silentLogger() });
  });
  afterEach(async () => {
    await store.close();
  });

  it('applies a change by a member in the roster without asking anyone, and names who made it', async () => {
    const ada = randomUUID();
    await seedChat([rosterEntry(ada, [])]);
    const outcome = await change(ada, 'Ada Lovelace');
    assert.ok(outcome.allowed);
    assert.equal(outcome.by, 'Ada Lovelace');
    assert.deepEqual(outcome.changes, ['announcements off (quiet)']);
    assert.equal((await store.chats.get(CHAT))?.settings.enabled, false);
    assert.deepEqual(emitted, [{ chatId: CHAT, by: 'Ada Lovelace', changes: ['announcements off (quiet)'], source: 'chat' }]);
    assert.equal(getMember.callCount + listChatMembers.callCount, 0);
  });

  it('refuses a guest from the roster and changes nothing', async () => {
    const gil = randomUUID();
    await seedChat([rosterEntry(gil, ['guest'])]);
    const outcome = await change(gil, 'Gil Guest');
    assert.ok(!outcome.allowed);
    assert.equal(outcome.reason, 'guest');
    assert.equal(outcome.settings.enabled, true);
    assert.equal((await store.chats.get(CHAT))?.settings.enabled, true);
    assert.deepEqual(emitted, []);
    assert.equal((await store.history.page(CHAT)).length, 0);
  });

  it('refuses a person from another tenant in the roster', async () => {
    const erin = randomUUID();
    await seedChat([rosterEntry(erin, ['owner'], { tenantId: randomUUID() })]);
    const outcome = await change(erin);
    assert.ok(!outcome.allowed);
    assert.equal(outcome.reason, 'external');
  });

  it('asks the Bot Connector about someone the roster does not know (guest role and tenant)', async () => {
    await seedChat([]);
    await install();
    const guest = randomUUID();
    getMember.withArgs(sinon.match.any, guest).resolves({ userId: guest, displayName: 'Gil', tenantId: TENANT, guest: true });
    const member = randomUUID();
    getMember.withArgs(sinon.match.any, member).resolves({ userId: member, displayName: 'Mo', tenantId: TENANT, guest: false });
    const refused = await change(guest);
    assert.ok(!refused.allowed);
    assert.equal(refused.reason, 'guest');
    assert.ok((await change(member)).allowed);
    assert.equal(listChatMembers.callCount, 0, 'the connector was enough for the members rule');
  });

  it('asks Graph for the owner role under "owners only", and refuses a member who is not an owner', async () => {
    await seedChat([], 'owners');
    await install();
    const owner = randomUUID();
    const member = randomUUID();
    getMember.callsFake(async (_i, userId) => ({ userId, displayName: null, tenantId: TENANT, guest: false }));
    listChatMembers.resolves([
      { userId: owner, tenantId: TENANT, roles: ['owner'] },
      { userId: member, tenantId: TENANT, roles: [] },
    ]);
    assert.ok((await change(owner)).allowed);
    const refused = await change(member);
    assert.ok(!refused.allowed);
    assert.equal(refused.reason, 'notOwner');
    assert.equal(refused.rule, 'owners');
    assert.deepEqual(listChatMembers.firstCall.args, [TENANT, CHAT]);
  });

  it('refuses under "owners only" when Graph cannot be read and only the connector knows the person', async () => {
    await seedChat([], 'owners');
    await install();
    const mo = randomUUID();
    getMember.resolves({ userId: mo, displayName: 'Mo', tenantId: TENANT, guest: false });
    listChatMembers.rejects(new Error('Graph unavailable'));
    const outcome = await change(mo);
    assert.ok(!outcome.allowed);
    assert.equal(outcome.reason, 'ownerUnknown');
  });

  describe('with the Bot Connector record from the person\'s own message or card action', () => {
    const inTurn = (userId: string, connector: ConnectorMember | null, name = 'Ada') =>
      gate.change({ chatId: CHAT, chatTenantId: TENANT, actor: { userId, name, connector }, patch: { enabled: false }, source: 'chat' });

    it('needs neither the roster nor Graph (no consent yet, Graph down, Agents Playground)', async () => {
      await seedChat([]);
      listChatMembers.rejects(new Error('Graph unavailable'));
      const ada = randomUUID();
      const outcome = await inTurn(ada, { userId: ada, displayName: 'Ada', tenantId: TENANT, guest: false });
      assert.ok(outcome.allowed);
      assert.equal(getMember.callCount + listChatMembers.callCount, 0);
    });

    it('refuses a guest and someone of another organization the connector names', async () => {
      await seedChat([]);
      const gil = randomUUID();
      const erin = randomUUID();
      const guest = await inTurn(gil, { userId: gil, displayName: 'Gil', tenantId: TENANT, guest: true });
      assert.ok(!guest.allowed);
      assert.equal(guest.reason, 'guest');
      const external = await inTurn(erin, { userId: erin, displayName: 'Erin', tenantId: randomUUID(), guest: false });
      assert.ok(!external.allowed);
      assert.equal(external.reason, 'external');
    });

    it('refuses someone the connector says is not in the conversation, whatever the roster still says', async () => {
      const lee = randomUUID();
      await seedChat([rosterEntry(lee, ['owner'])]);
      const outcome = await inTurn(lee, null);
      assert.ok(!outcome.allowed);
      assert.equal(outcome.reason, 'unknown');
    });

    it('refuses a record about someone else', async () => {
      await seedChat([]);
      const ada = randomUUID();
      const outcome = await inTurn(ada, { userId: randomUUID(), displayName: 'Other', tenantId: TENANT, guest: false });
      assert.ok(!outcome.allowed);
      assert.equal(outcome.reason, 'unknown');
    });

    it('"owners only": the owner role comes from the roster\'s Graph roles, else from Graph', async () => {
      const ada = randomUUID();
      const mo = randomUUID();
      await seedChat([rosterEntry(ada, ['owner'])], 'owners');
      assert.ok((await inTurn(ada, { userId: ada, displayName: 'Ada', tenantId: TENANT, guest: false })).allowed);
      assert.equal(listChatMembers.callCount, 0, 'the roster had the owner role from Graph');
      listChatMembers.resolves([{ userId: mo, tenantId: TENANT, roles: ['owner'] }]);
      assert.ok((await inTurn(mo, { userId: mo, displayName: 'Mo', tenantId: TENANT, guest: false })).allowed);
      listChatMembers.rejects(new Error('Graph unavailable'));
      const unknown = await inTurn(mo, { userId: mo, displayName: 'Mo', tenantId: TENANT, guest: false });
      assert.ok(!unknown.allowed);
      assert.equal(unknown.reason, 'ownerUnknown', 'the connector cannot say who owns the chat');
    });
  });

  it('"owners only": a roster entry Teams\' bot event made (roles from the connector) does not say who is an owner: Graph does', async () => {
    const mo = randomUUID();
    await seedChat([rosterEntry(mo, [], { rolesSource: 'connector' })], 'owners');
    listChatMembers.resolves([{ userId: mo, tenantId: TENANT, roles: ['owner'] }]);
    assert.ok((await change(mo)).allowed);
    sinon.assert.calledOnce(listChatMembers);
  });

  it('refuses a person nobody knows, and a request without a user id, without failing', async () => {
    await seedChat([]);
    await install();
    getMember.rejects(new Error('connector down'));
    const stranger = await change(randomUUID());
    assert.ok(!stranger.allowed);
    assert.equal(stranger.reason, 'unknown');
    const anonymous = await change(null);
    assert.ok(!anonymous.allowed);
    assert.equal(anonymous.reason, 'unknown');
    assert.equal((await store.chats.get(CHAT))?.settings.enabled, true);
  });

  it('guards the rule itself: only those the current rule allows may change it', async () => {
    const gil = randomUUID();
    const ada = randomUUID();
    await seedChat([rosterEntry(gil, ['guest']), rosterEntry(ada, [])]);
    const byGuest = await gate.change({ chatId: CHAT, chatTenantId: TENANT, actor: { userId: gil, name: 'Gil' }, patch: { whoMayChange: 'owners' }, source: 'tab' });
    assert.ok(!byGuest.allowed);
    assert.equal((await settings.get(CHAT)).whoMayChange, 'members');
    const byMember = await gate.change({ chatId: CHAT, chatTenantId: TENANT, actor: { userId: ada, name: 'Ada' }, patch: { whoMayChange: 'owners' }, source: 'tab' });
    assert.ok(byMember.allowed);
    assert.deepEqual(byMember.changes, ['changes by owners only']);
    // Ada is not an owner: now she may not change it back.
    const back = await gate.change({ chatId: CHAT, chatTenantId: TENANT, actor: { userId: ada, name: 'Ada' }, patch: { whoMayChange: 'members' }, source: 'tab' });
    assert.ok(!back.allowed);
    assert.equal(back.reason, 'notOwner');
  });

  it('reads settings stored before the rule existed as the default rule', async () => {
    const state = emptyChatState(CHAT, TENANT);
    const { whoMayChange: _omitted, ...legacy } = state.settings;
    await store.chats.put(CHAT, { ...state, settings: legacy as typeof state.settings });
    assert.equal((await settings.get(CHAT)).whoMayChange, 'members');
    const permission = await gate.permission(CHAT, TENANT, { userId: null, name: null });
    assert.equal(permission.rule, 'members');
  });
});
