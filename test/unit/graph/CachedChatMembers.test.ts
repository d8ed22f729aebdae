import assert from 'node:assert/strict';
import type { AadUserConversationMember } from '@microsoft/microsoft-graph-types';
import sinon from 'sinon';
import { CachedChatMembers, CHAT_MEMBERS_TTL_MS } from '../../../src/graph/CachedChatMembers.js';

const TENANT = '8c1e4a57-0d9b-4f2c-a3e1-6b7d9f0c2e41';
const CHAT = '19:0a1b2c3d4e5f@thread.v2';
const OTHER_CHAT = '19:ffeeddccbbaa@thread.v2';

describe('CachedChatMembers: Graph member lists kept briefly', () => {
  let now: number;
  let listChatMembers: sinon.SinonStub<[string, string], Promise<AadUserConversationMember[]>>;
  let members: CachedChatMembers;

  beforeEach(() => {
    now = 1_000_000;
    listChatMembers = sinon.stub<[string, string], Promise<AadUserConversationMember[]>>().callsFake(async () => [{ userId: `read-${listChatMembers.callCount}` }]);
    members = new CachedChatMembers({ graph: { listChatMembers }, now: () => now });
  });

  it('reads Graph once per chat for the TTL, then again', async () => {
    for (let i = 0; i < 4; i++) assert.deepEqual(await members.listChatMembers(TENANT, CHAT), [{ userId: 'read-1' }]);
    sinon.assert.calledOnceWithExactly(listChatMembers, TENANT, CHAT);
    now += CHAT_MEMBERS_TTL_MS + 1;
    assert.deepEqual(await members.listChatMembers(TENANT, CHAT), [{ userId: 'read-2' }]);
  });

  it('shares one Graph read among callers asking at the same time', async () => {
    await Promise.all([members.listChatMembers(TENANT, CHAT), members.listChatMembers(TENANT, CHAT), members.listChatMembers(TENANT, CHAT)]);
    sinon.assert.calledOnce(listChatMembers);
  });

  it('keeps each chat apart, and forgetting one chat leaves the others', async () => {
    await members.listChatMembers(TENANT, CHAT);
    await members.listChatMembers(TENANT, OTHER_CHAT);
    members.forget(CHAT);
    await members.listChatMembers(TENANT, CHAT);
    await members.listChatMembers(TENANT, OTHER_CHAT);
    assert.deepEqual(listChatMembers.args.map(([, chatId]) => chatId), [CHAT, OTHER_CHAT, CHAT]);
  });

  it('does not keep a failed read', async () => {
    listChatMembers.onFirstCall().rejects(new Error('Graph unavailable'));
    await assert.rejects(members.listChatMembers(TENANT, CHAT), /Graph unavailable/);
    assert.deepEqual(await members.listChatMembers(TENANT, CHAT), [{ userId: 'read-2' }]);
  });

  it('does not keep a read that started before the chat was forgotten (it may predate the change)', async () => {
    let release: () => void = () => undefined;
    listChatMembers.onFirstCall().callsFake(() => new Promise((resolve) => (release = () => resolve([{ userId: 'before' }]))));
    const inFlight = members.listChatMembers(TENANT, CHAT);
    await Promise.resolve();
    now += 5;
    members.forget(CHAT);
    release();
    assert.deepEqual(await inFlight, [{ userId: 'before' }]);
    now += 5;
    assert.deepEqual(await members.listChatMembers(TENANT, CHAT), [{ userId: 'read-2' }]);
  });
});
