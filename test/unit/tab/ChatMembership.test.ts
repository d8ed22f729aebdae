import assert from 'node:assert/strict';
import type { AadUserConversationMember } from '@microsoft/microsoft-graph-types';
import sinon from 'sinon';
import { silentLogger } from '../../../src/log/createLogger.js';
import { DEFAULT_CHAT_SETTINGS } from '../../../src/model/chat.js';
import { openSqliteMemory, type SqliteStore } from '../../../src/storage/sqlite/SqliteStore.js';
import { ChatMembership } from '../../../src/tab/ChatMembership.js';

const TENANT = '8c1e4a57-0d9b-4f2c-a3e1-6b7d9f0c2e41';
const OTHER_TENANT = '1f0e2d3c-4b5a-4968-8776-655443322110';
const CHAT = '19:0a1b2c3d4e5f@thread.v2';
const ADA = 'aaaaaaaa-0000-4000-8000-000000000001';
const BEA = 'bbbbbbbb-0000-4000-8000-000000000002';
const LEFT = 'cccccccc-0000-4000-8000-000000000003';

describe('chat membership for the tab', () => {
  let store: SqliteStore;
  let listChatMembers: sinon.SinonStub<[string, string], Promise<AadUserConversationMember[]>>;

  const member = (userId: string): AadUserConversationMember => ({ userId, displayName: userId.slice(0, 4), roles: [] });

  beforeEach(async () => {
    store = await openSqliteMemory();
    await store.chats.put(CHAT, {
      chatId: CHAT, tenantId: TENANT, topic: null, topicUpdatedAt: null, settings: { ...DEFAULT_CHAT_SETTINGS }, problem: null, baselineAt: null,
      roster: {
        [ADA]: { userId: ADA, displayName: 'Ada', tenantId: TENANT, roles: [], changedAt: '2026-03-01T09:00:00Z', present: true },
        [LEFT]: { userId: LEFT, displayName: 'Lee', tenantId: TENANT, roles: [], changedAt: '2026-03-01T09:00:00Z', present: false },
      },
    });
    listChatMembers = sinon.stub<[string, string], Promise<AadUserConversationMember[]>>().resolves([member(ADA), member(BEA)]);
  });

  const membership = (withGraph = true) =>
    new ChatMembership({ store, graph: withGraph ? { listChatMembers } : null, log: silentLogger() });

  it('knows a present member from the stored roster without asking Graph', async () => {
    assert.deepEqual(await membership().check(CHAT, { oid: ADA, tenantId: TENANT }), { member: true, chatTenantId: TENANT, source: 'roster' });
    sinon.assert.notCalled(listChatMembers);
  });

  it('asks Graph, for the chat’s tenant, when the roster does not know the person', async () => {
    assert.deepEqual(await membership().check(CHAT, { oid: BEA, tenantId: TENANT }), { member: true, chatTenantId: TENANT, source: 'graph' });
    sinon.assert.calledOnceWithExactly(listChatMembers, TENANT, CHAT);
  });

  it('refuses someone Graph does not list either, including a roster entry marked as left', async () => {
    const m = membership();
    assert.deepEqual(await m.check(CHAT, { oid: LEFT, tenantId: TENANT }), { member: false, reason: 'not_in_graph' });
    assert.deepEqual(await m.check(CHAT, { oid: 'dddddddd-0000-4000-8000-000000000004', tenantId: TENANT }), { member: false, reason: 'not_in_graph' });
  });

  it('refuses when Graph fails (e.g. no consent), rather than letting the person in', async () => {
    listChatMembers.rejects(new Error('403 Forbidden'));
    assert.deepEqual(await membership().check(CHAT, { oid: BEA, tenantId: TENANT }), { member: false, reason: 'graph_failed' });
  });

  it('refuses a token from another tenant without asking Graph', async () => {
    assert.deepEqual(await membership().check(CHAT, { oid: ADA, tenantId: OTHER_TENANT }), { member: false, reason: 'tenant_mismatch' });
    sinon.assert.notCalled(listChatMembers);
  });

  it('without Graph, only the roster counts', async () => {
    assert.deepEqual(await membership(false).check(CHAT, { oid: BEA, tenantId: TENANT }), { member: false, reason: 'not_in_roster' });
  });

  it('for a chat Herald never recorded, asks Graph in the caller’s tenant', async () => {
    const unknownChat = '19:ffff@thread.v2';
    assert.deepEqual(await membership().check(unknownChat, { oid: BEA, tenantId: TENANT }), { member: true, chatTenantId: TENANT, source: 'graph' });
    sinon.assert.calledOnceWithExactly(listChatMembers, TENANT, unknownChat);
  });
});
