import assert from 'node:assert/strict';
import sinon from 'sinon';
import type { AadUserConversationMember } from '@microsoft/microsoft-graph-types';
import { silentLogger } from '../../../src/log/createLogger.js';
import type { Installation } from '../../../src/model/installation.js';
import type { ConnectorMember, ConnectorMemberDirectory } from '../../../src/names/ConnectorMembers.js';
import { DisplayNameResolver, type ChatMemberReader } from '../../../src/names/DisplayNameResolver.js';
import { decodeMembershipId } from '../../../src/names/membershipId.js';

const TENANT = '11111111-0000-4000-8000-000000000001';
const CHAT = '19:abc@thread.v2';
const installation: Installation = {
  chatId: CHAT, tenantId: TENANT, serviceUrl: 'http://127.0.0.1:1/', conversationReference: {}, status: 'installed',
  installedAt: '2026-01-01T00:00:00.000Z', uninstalledAt: null, uninstallReason: null, lastActivityAt: '2026-01-01T00:00:00.000Z',
};
const target = { tenantId: TENANT, chatId: CHAT, installation };
const ALICE = 'aaaaaaaa-0000-4000-8000-00000000000a';
const BOB = 'bbbbbbbb-0000-4000-8000-00000000000b';
const CAROL = 'cccccccc-0000-4000-8000-00000000000c';

function connectorWith(members: ConnectorMember[]) {
  return {
    getMember: sinon.spy(async (_i: Installation, userId: string) => members.find((m) => m.userId === userId) ?? null),
    listMembers: sinon.spy(async () => members),
  } satisfies ConnectorMemberDirectory;
}

function graphWith(members: AadUserConversationMember[]) {
  return { listChatMembers: sinon.spy(async () => members) } satisfies ChatMemberReader;
}

describe('display name resolver', () => {
  const clock = () => new Date('2026-01-01T00:00:00Z');

  it('asks the Bot Connector for one unknown person, then answers from its cache', async () => {
    const connector = connectorWith([{ userId: ALICE, displayName: 'Alice Example', tenantId: TENANT, guest: false }]);
    const resolver = new DisplayNameResolver({ connector, clock, log: silentLogger() });
    assert.equal((await resolver.resolve(target, [ALICE])).get(ALICE)?.displayName, 'Alice Example');
    assert.equal((await resolver.resolve(target, [ALICE])).get(ALICE)?.displayName, 'Alice Example');
    assert.equal(connector.getMember.callCount, 1);
  });

  it('reads the whole roster once for a burst of unknown people', async () => {
    const connector = connectorWith([ALICE, BOB, CAROL].map((userId, i) => ({ userId, displayName: `P${i}`, tenantId: TENANT, guest: false })));
    const resolver = new DisplayNameResolver({ connector, clock, log: silentLogger() });
    const names = await resolver.resolve(target, [ALICE, BOB, CAROL]);
    assert.deepEqual([...names.values()].map((n) => n.displayName), ['P0', 'P1', 'P2']);
    assert.equal(connector.listMembers.callCount, 1);
    assert.equal(connector.getMember.callCount, 0);
  });

  it('falls back to Graph when the connector fails or does not know the person', async () => {
    const connector = { getMember: sinon.stub().rejects(new Error('connector down')), listMembers: sinon.stub().resolves([]) };
    const graph = graphWith([{ userId: BOB, displayName: 'Bob Jones', tenantId: TENANT, roles: ['guest'] }]);
    const resolver = new DisplayNameResolver({ connector, graph, clock, log: silentLogger() });
    assert.deepEqual((await resolver.resolve(target, [BOB])).get(BOB), { displayName: 'Bob Jones', tenantId: TENANT, guest: true });
  });

  it('uses Graph alone for a chat Herald cannot post to', async () => {
    const connector = connectorWith([]);
    const graph = graphWith([{ userId: BOB, displayName: 'Bob Jones', tenantId: TENANT, roles: [] }]);
    const resolver = new DisplayNameResolver({ connector, graph, clock, log: silentLogger() });
    const names = await resolver.resolve({ ...target, installation: undefined }, [BOB]);
    assert.equal(names.get(BOB)?.displayName, 'Bob Jones');
    assert.equal(connector.getMember.callCount, 0);
  });

  it('remembers names it was told (e.g. of people who since left)', async () => {
    const connector = connectorWith([]);
    const resolver = new DisplayNameResolver({ connector, clock, log: silentLogger() });
    resolver.remember(TENANT, CAROL, { displayName: 'Carol Lee', tenantId: TENANT, guest: false });
    assert.equal((await resolver.resolve(target, [CAROL])).get(CAROL)?.displayName, 'Carol Lee');
    assert.equal(connector.getMember.callCount, 0);
  });

  it('returns no name rather than an id, and does not ask again for a while', async () => {
    const connector = connectorWith([]);
    const graph = graphWith([]);
    const resolver = new DisplayNameResolver({ connector, graph, clock, log: silentLogger() });
    assert.deepEqual((await resolver.resolve(target, [ALICE])).get(ALICE), { displayName: null, tenantId: null, guest: false });
    await resolver.resolve(target, [ALICE]);
    assert.equal(connector.getMember.callCount, 1);
    assert.equal(graph.listChatMembers.callCount, 1);
  });
});

describe('membership ids', () => {
  it('decodes the observed base64 form and refuses anything else', () => {
    const id = Buffer.from(`0##${TENANT}##${CHAT}##${ALICE}`).toString('base64');
    assert.deepEqual(decodeMembershipId(id), { tenantId: TENANT, chatId: CHAT, userId: ALICE });
    assert.equal(decodeMembershipId('opaque'), null);
    assert.equal(decodeMembershipId(Buffer.from('1##a##b##c').toString('base64')), null);
  });
});
