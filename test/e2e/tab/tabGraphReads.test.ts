import assert from 'node:assert/strict';
import type { AadUserConversationMember } from '@microsoft/microsoft-graph-types';
import sinon from 'sinon';
import { startTabWorld, type Person, type TabWorld } from '../../support/tab/tabWorld.js';
import { applyChange } from '../../support/announcements/applyChange.js';

/**
 * The tab asks who its caller is on every request, and the settings gate asks Graph for roles: Graph's
 * member list of a chat is read once for a while, not once per request, and read again after a
 * membership change Herald hears of.
 */
describe('tab API: Graph member reads are shared and kept briefly', () => {
  let world: TabWorld;
  let mo: Person;
  const listChatMembers = sinon.stub<[string, string], Promise<AadUserConversationMember[]>>();

  beforeEach(async () => {
    mo = { oid: '5e1c0f2e-9b8d-4c7a-9e6f-5d3c2b1a0f9e', name: 'Mo Member' };
    listChatMembers.reset();
    // Mo is in the chat (Graph says so) but not in Herald's roster yet: the tab has to ask Graph.
    listChatMembers.callsFake(async () => [{ userId: mo.oid, tenantId: world.tenantId, roles: ['owner'], displayName: mo.name }]);
    world = await startTabWorld({ listChatMembers });
  });
  afterEach(async () => {
    await world?.close();
  });

  async function call(method: 'GET' | 'PUT', path: string, body?: unknown): Promise<number> {
    const response = await fetch(`${world.url}/api/tab/chats/${encodeURIComponent(world.chatId)}${path}`, {
      method,
      headers: { Authorization: `Bearer ${await world.token(mo)}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    await response.arrayBuffer();
    return response.status;
  }

  const readsOfChat = () => listChatMembers.getCalls().filter((c) => c.args[1] === world.chatId).length;

  it('one Graph read answers the settings GET, PUT and the history (membership and the owner rule alike)', async () => {
    await world.herald.context.settings.apply(world.chatId, world.tenantId, { whoMayChange: 'owners' }, 'Ada Lovelace', 'tab');
    assert.equal(await call('GET', '/settings'), 200);
    assert.equal(await call('PUT', '/settings', { announceTopic: false }), 200);
    assert.equal(await call('GET', '/history'), 200);
    assert.equal(await call('GET', '/settings'), 200);
    assert.equal(readsOfChat(), 1);
    assert.equal((await world.herald.context.settings.get(world.chatId)).announceTopic, false);
  });

  it('reads Graph again after a membership change of the chat', async () => {
    assert.equal(await call('GET', '/settings'), 200);
    await applyChange(world.herald.context, {
      kind: 'memberRemoved', tenantId: world.tenantId, chatId: world.chatId, changeKey: 'test-removal', source: 'notification',
      receivedAt: new Date().toISOString(), at: null, member: { userId: world.grace.oid },
    });
    assert.equal(await call('GET', '/settings'), 200);
    assert.equal(readsOfChat(), 2);
  });
});
