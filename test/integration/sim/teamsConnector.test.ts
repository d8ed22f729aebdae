import assert from 'node:assert/strict';
import sinon from 'sinon';
import {
  type ConnectorEvent,
  InMemoryTeamsDirectory,
  newGroupChatId,
  newTeamChannelId,
  newTeamsMember,
  startTeamsDouble,
  type TeamsDouble,
  TeamsDoubleClosedError,
  WaitForPostsTimeoutError,
} from '../../../sim/doubles/teams/index.js';

const TENANT = '5f1c1a4e-0000-4000-8000-000000000001';
const BOT_APP_ID = '00000000-0000-4000-8000-00000000b07';

interface HttpAnswer {
  status: number;
  headers: Headers;
  json: unknown;
}

async function call(double: TeamsDouble<InMemoryTeamsDirectory>, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  const response = await fetch(new URL(path, double.serviceUrl), {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? (JSON.parse(text) as unknown) : null };
}

function activitiesPath(conversationId: string, activityId?: string): string {
  const base = `v3/conversations/${encodeURIComponent(conversationId)}/activities`;
  return activityId === undefined ? base : `${base}/${encodeURIComponent(activityId)}`;
}

describe('Teams double: connector side (raw HTTP)', () => {
  let double: TeamsDouble<InMemoryTeamsDirectory>;
  const chatId = newGroupChatId();

  beforeEach(async () => {
    double = await startTeamsDouble({ botAppId: BOT_APP_ID, tenantId: TENANT });
  });

  afterEach(async () => {
    await double.close();
  });

  describe('posts', () => {
    it('serves a loopback serviceUrl ending with a slash', () => {
      assert.match(double.serviceUrl, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    });

    it('records a send-to-conversation with the decoded conversation id and answers 201 with a fresh id', async () => {
      const answer = await call(double, 'POST', activitiesPath(chatId), { type: 'message', text: 'hello' });
      assert.equal(answer.status, 201);
      const { id } = answer.json as { id: string };
      assert.match(id, /^\d+$/);
      const [post] = double.connector.posts(chatId);
      assert.equal(post.id, id);
      assert.equal(post.conversationId, chatId);
      assert.equal(post.route, 'send');
      assert.equal(post.text, 'hello');
      assert.equal(post.replyToId, null);
      assert.deepEqual(post.authorization, { present: false, scheme: null, verified: null });
    });

    it('records a reply with the replied-to id from the path and gives each post a distinct id', async () => {
      const first = await call(double, 'POST', activitiesPath(chatId, '1712345678901'), { type: 'message', text: 'a' });
      const second = await call(double, 'POST', activitiesPath(chatId, '1712345678901'), { type: 'message', text: 'b' });
      assert.notEqual((first.json as { id: string }).id, (second.json as { id: string }).id);
      const posts = double.connector.posts(chatId);
      assert.deepEqual(posts.map((p) => [p.route, p.replyToId, p.text]), [
        ['reply', '1712345678901', 'a'],
        ['reply', '1712345678901', 'b'],
      ]);
    });

    it('keeps attachments (Adaptive Cards) and notes an Authorization header without verifying it', async () => {
      const card = { contentType: 'application/vnd.microsoft.card.adaptive', content: { type: 'AdaptiveCard', version: '1.5', body: [] } };
      await call(double, 'POST', activitiesPath(chatId), { type: 'message', attachments: [card] }, { authorization: 'Bearer abc.def.ghi' });
      const [post] = double.connector.posts();
      assert.deepEqual(post.attachments, [card]);
      assert.equal(post.text, null);
      assert.deepEqual(post.authorization, { present: true, scheme: 'Bearer', verified: null });
    });

    it('updates and deletes a post, and answers 404 ActivityNotFoundInConversation for unknown ids', async () => {
      const { json } = await call(double, 'POST', activitiesPath(chatId), { type: 'message', text: 'v1' });
      const { id } = json as { id: string };
      const updated = await call(double, 'PUT', activitiesPath(chatId, id), { type: 'message', text: 'v2' });
      assert.equal(updated.status, 200);
      assert.deepEqual(updated.json, { id });
      assert.equal(double.connector.posts(chatId)[0].text, 'v2');
      assert.ok(double.connector.posts(chatId)[0].updatedAt);

      const deleted = await call(double, 'DELETE', activitiesPath(chatId, id));
      assert.equal(deleted.status, 200);
      assert.ok(double.connector.posts(chatId)[0].deletedAt);

      const again = await call(double, 'DELETE', activitiesPath(chatId, id));
      assert.equal(again.status, 404);
      assert.deepEqual(again.json, { error: { code: 'ActivityNotFoundInConversation', message: 'The activity was not found.' } });
    });

    it('refuses bodies that are not activities and activities over the size limit', async () => {
      const notJson = await call(double, 'POST', activitiesPath(chatId), '{nope');
      assert.equal(notJson.status, 400);
      const noType = await call(double, 'POST', activitiesPath(chatId), { text: 'x' });
      assert.equal(noType.status, 400);
      assert.equal((noType.json as { error: { code: string } }).error.code, 'BadArgument');
      const huge = await call(double, 'POST', activitiesPath(chatId), { type: 'message', text: 'x'.repeat(30 * 1024) });
      assert.equal(huge.status, 413);
      assert.equal((huge.json as { error: { code: string } }).error.code, 'MessageSizeTooBig');
      assert.equal(double.connector.posts().length, 0);
    });

    it('answers 404 in the connector error shape for routes it does not serve', async () => {
      const answer = await call(double, 'POST', 'v3/conversations');
      assert.equal(answer.status, 404);
      assert.deepEqual(Object.keys((answer.json as { error: object }).error), ['code', 'message']);
    });

    it('logs every request, including refused ones', async () => {
      await call(double, 'POST', activitiesPath(chatId), { type: 'message' });
      await call(double, 'POST', activitiesPath(chatId), { text: 'no type' });
      assert.deepEqual(
        double.connector.requests(chatId).map((r) => [r.operation, r.status, r.errorCode]),
        [
          ['sendToConversation', 201, null],
          ['sendToConversation', 400, 'BadArgument'],
        ],
      );
    });
  });

  describe('rosters', () => {
    const ann = newTeamsMember({ name: 'Ann Lee', tenantId: TENANT });
    const bob = newTeamsMember({ name: 'Bob Stone', tenantId: 'aaaaaaaa-0000-4000-8000-000000000002', userRole: 'guest' });

    beforeEach(() => {
      double.directory.setMembers(chatId, [ann, bob]);
    });

    it('lists members as TeamsChannelAccounts (objectId and aadObjectId)', async () => {
      const answer = await call(double, 'GET', `v3/conversations/${encodeURIComponent(chatId)}/members`);
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.json, [
        {
          id: ann.id,
          name: 'Ann Lee',
          objectId: ann.aadObjectId,
          aadObjectId: ann.aadObjectId,
          givenName: 'Ann',
          surname: 'Lee',
          email: ann.userPrincipalName,
          userPrincipalName: ann.userPrincipalName,
          tenantId: TENANT,
          userRole: 'user',
        },
        {
          id: bob.id,
          name: 'Bob Stone',
          objectId: bob.aadObjectId,
          aadObjectId: bob.aadObjectId,
          givenName: 'Bob',
          surname: 'Stone',
          email: bob.userPrincipalName,
          userPrincipalName: bob.userPrincipalName,
          tenantId: bob.tenantId,
          userRole: 'guest',
        },
      ]);
    });

    it('finds one member by 29: id, Entra object id or UPN', async () => {
      for (const key of [bob.id, bob.aadObjectId, bob.userPrincipalName ?? '']) {
        const answer = await call(double, 'GET', `v3/conversations/${encodeURIComponent(chatId)}/members/${encodeURIComponent(key)}`);
        assert.equal(answer.status, 200, key);
        assert.equal((answer.json as { id: string }).id, bob.id);
      }
    });

    it('answers 404 for an unknown member and ConversationNotFound for an unknown conversation', async () => {
      const member = await call(double, 'GET', `v3/conversations/${encodeURIComponent(chatId)}/members/${encodeURIComponent('29:nobody')}`);
      assert.equal(member.status, 404);
      const conversation = await call(double, 'GET', `v3/conversations/${encodeURIComponent(newGroupChatId())}/members`);
      assert.equal(conversation.status, 404);
      assert.deepEqual(conversation.json, { error: { code: 'ConversationNotFound', message: 'Conversation not found.' } });
    });

    it('returns a group chat roster whole from pagedmembers, without a continuation token', async () => {
      const answer = await call(double, 'GET', `v3/conversations/${encodeURIComponent(chatId)}/pagedmembers?pageSize=1`);
      assert.equal(answer.status, 200);
      const page = answer.json as { members: { id: string }[]; continuationToken?: string };
      assert.deepEqual(page.members.map((m) => m.id), [ann.id, bob.id]);
      assert.equal(page.continuationToken, undefined);
    });

    it('pages a team roster with page sizes clamped to at least 50', async () => {
      const teamId = newTeamChannelId();
      const people = Array.from({ length: 60 }, (_, i) => newTeamsMember({ name: `Person ${i}`, tenantId: TENANT }));
      double.directory.setMembers(teamId, people);
      const base = `v3/conversations/${encodeURIComponent(teamId)}/pagedmembers`;
      const first = (await call(double, 'GET', `${base}?pageSize=10`)).json as { members: unknown[]; continuationToken: string };
      assert.equal(first.members.length, 50);
      assert.ok(first.continuationToken);
      const second = (await call(double, 'GET', `${base}?pageSize=10&continuationToken=${encodeURIComponent(first.continuationToken)}`))
        .json as { members: unknown[]; continuationToken?: string };
      assert.equal(second.members.length, 10);
      assert.equal(second.continuationToken, undefined);
    });

    it('reads rosters from an injected directory', async () => {
      const listMembers = sinon.stub().resolves([ann]);
      const injected = await startTeamsDouble({ botAppId: BOT_APP_ID, directory: { listMembers } });
      try {
        const answer = await fetch(new URL(`v3/conversations/${encodeURIComponent(chatId)}/members`, injected.serviceUrl));
        assert.deepEqual(((await answer.json()) as { id: string }[]).map((m) => m.id), [ann.id]);
        sinon.assert.calledOnceWithExactly(listMembers, chatId);
      } finally {
        await injected.close();
      }
    });
  });

  describe('fault injection', () => {
    it('fails the next posts with 429 Throttled and Retry-After, then accepts again', async () => {
      double.connector.failNextPosts({ count: 2, status: 429, retryAfterSeconds: 3 });
      for (let i = 0; i < 2; i++) {
        const answer = await call(double, 'POST', activitiesPath(chatId), { type: 'message' });
        assert.equal(answer.status, 429);
        assert.equal(answer.headers.get('retry-after'), '3');
        assert.equal((answer.json as { error: { code: string } }).error.code, 'Throttled');
      }
      const ok = await call(double, 'POST', activitiesPath(chatId), { type: 'message' });
      assert.equal(ok.status, 201);
      assert.equal(double.connector.posts().length, 1);
      assert.equal(double.connector.pendingFaults(), 0);
    });

    it('uses the Bot Connector codes per status unless told otherwise', async () => {
      const cases = [
        { status: 403, code: 'BotNotInConversationRoster' },
        { status: 404, code: 'ConversationNotFound' },
        { status: 500, code: 'ServiceError' },
        { status: 502, code: 'BadGateway' },
        { status: 503, code: 'ServiceUnavailable' },
      ] as const;
      for (const { status, code } of cases) {
        double.connector.failNextPosts({ count: 1, status });
        const answer = await call(double, 'POST', activitiesPath(chatId), { type: 'message' });
        assert.equal(answer.status, status);
        assert.equal((answer.json as { error: { code: string } }).error.code, code);
        assert.equal(answer.headers.get('retry-after'), null);
      }
      double.connector.failNextPosts({ count: 1, status: 403, code: 'ConversationBlockedByUser', message: 'blocked' });
      const custom = await call(double, 'POST', activitiesPath(chatId), { type: 'message' });
      assert.deepEqual(custom.json, { error: { code: 'ConversationBlockedByUser', message: 'blocked' } });
    });

    it('fails only the named conversation when a fault is scoped', async () => {
      const other = newGroupChatId();
      double.connector.failNextPosts({ count: 1, status: 404, conversationId: chatId });
      assert.equal((await call(double, 'POST', activitiesPath(other), { type: 'message' })).status, 201);
      assert.equal((await call(double, 'POST', activitiesPath(chatId), { type: 'message' })).status, 404);
      assert.equal((await call(double, 'POST', activitiesPath(chatId), { type: 'message' })).status, 201);
    });

    it('fails roster reads separately from posts', async () => {
      double.directory.setMembers(chatId, []);
      double.connector.failNextMemberReads({ count: 1, status: 429, retryAfterSeconds: 0 });
      assert.equal((await call(double, 'POST', activitiesPath(chatId), { type: 'message' })).status, 201);
      assert.equal((await call(double, 'GET', `v3/conversations/${encodeURIComponent(chatId)}/members`)).status, 429);
      assert.equal((await call(double, 'GET', `v3/conversations/${encodeURIComponent(chatId)}/members`)).status, 200);
    });

    it('rejects a fault without a positive count', () => {
      assert.throws(() => double.connector.failNextPosts({ count: 0, status: 500 }), RangeError);
    });
  });

  describe('roster enforcement', () => {
    it('answers 403 BotNotInConversationRoster where the bot is not present', async () => {
      double.connector.setEnforceRoster(true);
      const refused = await call(double, 'POST', activitiesPath(chatId), { type: 'message' });
      assert.equal(refused.status, 403);
      assert.equal((refused.json as { error: { code: string } }).error.code, 'BotNotInConversationRoster');
      double.presence.join(chatId);
      assert.equal((await call(double, 'POST', activitiesPath(chatId), { type: 'message' })).status, 201);
      double.presence.leave(chatId);
      assert.equal((await call(double, 'POST', activitiesPath(chatId), { type: 'message' })).status, 403);
    });
  });

  describe('auth', () => {
    it('answers 401 without a Bearer token the verifier accepts, when a verifier is configured', async () => {
      await double.close();
      const verifyConnectorToken = sinon.stub().callsFake((token: string) => token === 'good-token');
      double = await startTeamsDouble({ botAppId: BOT_APP_ID, verifyConnectorToken });
      const missing = await call(double, 'POST', activitiesPath(chatId), { type: 'message' });
      assert.equal(missing.status, 401);
      assert.equal((missing.json as { error: { code: string } }).error.code, 'Unauthorized');
      assert.equal((await call(double, 'POST', activitiesPath(chatId), { type: 'message' }, { authorization: 'Bearer bad' })).status, 401);
      assert.equal((await call(double, 'POST', activitiesPath(chatId), { type: 'message' }, { authorization: 'Basic good-token' })).status, 401);
      const ok = await call(double, 'POST', activitiesPath(chatId), { type: 'message' }, { authorization: 'Bearer good-token' });
      assert.equal(ok.status, 201);
      assert.deepEqual(double.connector.posts()[0].authorization, { present: true, scheme: 'Bearer', verified: true });
      sinon.assert.calledWith(verifyConnectorToken, 'good-token', { botAppId: BOT_APP_ID });
    });
  });

  describe('waiting and watching', () => {
    it('waitForPosts resolves once the nth post arrives, counting posts already there', async () => {
      await call(double, 'POST', activitiesPath(chatId), { type: 'message', text: 'one' });
      const waiting = double.connector.waitForPosts(chatId, 2, 5_000);
      await call(double, 'POST', activitiesPath(newGroupChatId()), { type: 'message', text: 'elsewhere' });
      await call(double, 'POST', activitiesPath(chatId), { type: 'message', text: 'two' });
      const posts = await waiting;
      assert.deepEqual(posts.map((p) => p.text), ['one', 'two']);
    });

    it('waitForPosts without a conversation counts posts anywhere', async () => {
      const waiting = double.connector.waitForPosts(undefined, 2);
      await call(double, 'POST', activitiesPath(chatId), { type: 'message' });
      await call(double, 'POST', activitiesPath(newGroupChatId()), { type: 'message' });
      assert.equal((await waiting).length, 2);
    });

    it('waitForPosts rejects with a typed error when the posts do not come in time', async () => {
      const clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      try {
        const waiting = double.connector.waitForPosts(chatId, 1, 1_000);
        clock.tick(1_000);
        await assert.rejects(waiting, (error: unknown) => {
          assert.ok(error instanceof WaitForPostsTimeoutError);
          assert.equal(error.conversationId, chatId);
          assert.equal(error.expected, 1);
          assert.equal(error.received, 0);
          return true;
        });
      } finally {
        clock.restore();
      }
    });

    it('clearPosts starts the count afresh', async () => {
      await call(double, 'POST', activitiesPath(chatId), { type: 'message' });
      double.connector.clearPosts();
      assert.deepEqual(double.connector.posts(), []);
      const waiting = double.connector.waitForPosts(chatId, 1);
      await call(double, 'POST', activitiesPath(chatId), { type: 'message', text: 'fresh' });
      assert.equal((await waiting)[0].text, 'fresh');
    });

    it('close rejects pending waits instead of leaving them hanging', async () => {
      const waiting = double.connector.waitForPosts(chatId, 1, 60_000);
      await double.close();
      await assert.rejects(waiting, TeamsDoubleClosedError);
      double = await startTeamsDouble({ botAppId: BOT_APP_ID, tenantId: TENANT });
    });

    it('tells subscribers about posts, updates, deletions and requests until they unsubscribe', async () => {
      const events: ConnectorEvent[] = [];
      const unsubscribe = double.connector.subscribe((event) => events.push(event));
      const { json } = await call(double, 'POST', activitiesPath(chatId), { type: 'message', text: 'v1' });
      const { id } = json as { id: string };
      await call(double, 'PUT', activitiesPath(chatId, id), { type: 'message', text: 'v2' });
      await call(double, 'DELETE', activitiesPath(chatId, id));
      unsubscribe();
      await call(double, 'POST', activitiesPath(chatId), { type: 'message', text: 'unseen' });
      assert.deepEqual(events.map((e) => e.type), ['posted', 'request', 'updated', 'request', 'deleted', 'request']);
    });

    it('keeps answering when a subscriber throws', async () => {
      double.connector.subscribe(() => {
        throw new Error('broken view');
      });
      assert.equal((await call(double, 'POST', activitiesPath(chatId), { type: 'message' })).status, 201);
    });
  });

  describe('serviceUrl path', () => {
    it('serves under a regional-looking path when asked', async () => {
      await double.close();
      double = await startTeamsDouble({ botAppId: BOT_APP_ID, serviceUrlPath: 'amer' });
      assert.match(double.serviceUrl, /\/amer\/$/);
      assert.equal((await call(double, 'POST', activitiesPath(chatId), { type: 'message' })).status, 201);
      assert.equal((await call(double, 'POST', `/${activitiesPath(chatId)}`, { type: 'message' })).status, 404);
    });
  });
});
