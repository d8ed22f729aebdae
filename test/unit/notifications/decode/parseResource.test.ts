import assert from 'node:assert/strict';
import { parseResource, resourcePath } from '../../../../src/notifications/decode/parseResource.js';

const chatId = '19:1273a016-201d-4f95-8083-1b7f99b3edeb_976f4b31-fd01-4e0b-9178-29cc40c14438@unq.gbl.spaces';
const memberId = 'MCMjMjQzMmI1N2ItMGFiZC00M2RiLWFhN2ItMTZlYWRkMTE1ZDM0IyMxOToxMjczYTAxNi0yMDFkLTRmOTUtODA4My0xYjdmOTliM2VkZWJfOTc2ZjRiMzEtZmQwMS00ZTBiLTkxNzgtMjljYzQwYzE0NDM4QHVucS5nYmwuc3BhY2VzIyMyZmM2MDY2My0xOWEyLTRhYTQtODUyYy1mN2JhNGU5MGFkYTI=';

describe('parseResource', () => {
  it("parses a chat: chats('…')", () => {
    assert.deepEqual(parseResource(`chats('${chatId}')`), { kind: 'chat', chatId });
  });

  it("parses a chat membership: chats('…')/members('…') (base64 ids with = and /)", () => {
    assert.deepEqual(parseResource(`chats('${chatId}')/members('${memberId}')`), { kind: 'chatMember', chatId, membershipId: memberId });
    assert.deepEqual(parseResource(`chats('19:a@thread.v2')/members('ab/c+d==')`), { kind: 'chatMember', chatId: '19:a@thread.v2', membershipId: 'ab/c+d==' });
  });

  it("parses a chat message: chats('…')/messages('…')", () => {
    assert.deepEqual(parseResource(`chats('${chatId}')/messages('1612289765949')`), { kind: 'chatMessage', chatId, messageId: '1612289765949' });
  });

  it("parses a channel message: teams('…')/channels('…')/messages('…')", () => {
    assert.deepEqual(parseResource(`teams('fbe2bf47-16c8-47cf-b4a5-4b9b187c508b')/channels('19:4a95f7d8db4c4e7fae857bcebe0623e6@thread.tacv2')/messages('1612293113399')`), {
      kind: 'channelMessage',
      teamId: 'fbe2bf47-16c8-47cf-b4a5-4b9b187c508b',
      channelId: '19:4a95f7d8db4c4e7fae857bcebe0623e6@thread.tacv2',
      messageId: '1612293113399',
    });
  });

  it('accepts any segment casing, a leading slash, a version prefix and path syntax', () => {
    assert.deepEqual(parseResource(`/Chats('${chatId}')/Members('x')`), { kind: 'chatMember', chatId, membershipId: 'x' });
    assert.deepEqual(parseResource(`v1.0/chats('${chatId}')`), { kind: 'chat', chatId });
    assert.deepEqual(parseResource(`/chats/${encodeURIComponent(chatId)}/members/abc`), { kind: 'chatMember', chatId, membershipId: 'abc' });
  });

  it("reads doubled quotes inside keys as one quote and writes them back", () => {
    const target = parseResource("chats('it''s')/messages('1')");
    assert.deepEqual(target, { kind: 'chatMessage', chatId: "it's", messageId: '1' });
    assert.equal(resourcePath(target!), "chats('it''s')/messages('1')");
  });

  it('returns null for anything else', () => {
    for (const bad of ['', 'chats', "chats('x", "users('x')", "chats('x')/tabs('y')", "chats('x')garbage", "chats('a')/members('b')/extra('c')"]) {
      assert.equal(parseResource(bad), null, bad);
    }
  });
});
