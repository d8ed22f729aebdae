import assert from 'node:assert/strict';
import sinon from 'sinon';
import {
  CardFactory,
  type ConversationReference,
  type TeamsChannelAccount,
  TeamsActivityHandler,
  TeamsInfo,
  type TeamsPagedMembersResult,
  type TurnContext,
} from 'botbuilder';
import {
  botAccountId,
  InMemoryTeamsDirectory,
  newGroupChatId,
  newTeamsMember,
  startTeamsDouble,
  type TeamsDouble,
} from '../../../sim/doubles/teams/index.js';
import { startTestBot, type TestBot } from '../../support/sim/teamsTestBot.js';

const TENANT = '5f1c1a4e-0000-4000-8000-000000000001';
const BOT_APP_ID = '00000000-0000-4000-8000-00000000b07';

/** What botbuilder's ConnectorClient throws (a @azure/core-rest-pipeline RestError). */
interface ConnectorCallError {
  name: string;
  statusCode?: number;
  code?: string;
  details?: unknown;
  response?: { headers: { get(name: string): string | undefined } };
}

async function captureError(work: Promise<unknown>): Promise<ConnectorCallError> {
  try {
    await work;
  } catch (error) {
    return error as ConnectorCallError;
  }
  assert.fail('expected the connector call to fail');
}

/** A bot whose message handling each test sets. */
class ScriptedBot extends TeamsActivityHandler {
  onMessageTurn: (context: TurnContext) => Promise<void> = async () => {};

  constructor() {
    super();
    this.onMessage(async (context, next) => {
      await this.onMessageTurn(context);
      await next();
    });
  }
}

describe('Teams double: connector side driven by botbuilder', () => {
  let double: TeamsDouble<InMemoryTeamsDirectory>;
  let bot: ScriptedBot;
  let testBot: TestBot;
  const chatId = newGroupChatId();
  const ann = newTeamsMember({ name: 'Ann Lee', tenantId: TENANT });
  const bob = newTeamsMember({ name: 'Bob Stone', tenantId: TENANT });

  /** The minimal reference Herald builds for a chat it knows from Graph (reference §4.1). */
  function chatReference(conversationId = chatId): Partial<ConversationReference> {
    return {
      channelId: 'msteams',
      serviceUrl: double.serviceUrl,
      conversation: { id: conversationId, conversationType: 'groupChat', isGroup: true, tenantId: TENANT, name: '' },
      bot: { id: botAccountId(BOT_APP_ID), name: 'Herald' },
    };
  }

  /**
   * A proactive send that rethrows the connector's error to the caller. The catch must sit inside
   * the logic: with onTurnError set, errors thrown from it go to onTurnError, not to the caller.
   */
  async function sendProactive(text: string, conversationId = chatId): Promise<void> {
    let failure: unknown;
    await testBot.adapter.continueConversationAsync('', chatReference(conversationId), async (context) => {
      try {
        await context.sendActivity(text);
      } catch (error) {
        failure = error;
      }
    });
    if (failure !== undefined) throw failure;
  }

  beforeEach(async () => {
    double = await startTeamsDouble({ botAppId: BOT_APP_ID, tenantId: TENANT });
    bot = new ScriptedBot();
    testBot = await startTestBot(bot);
    double.channel.setBotEndpoint(testBot.endpoint);
    double.directory.setMembers(chatId, [ann, bob]);
  });

  afterEach(async () => {
    await testBot.close();
    await double.close();
  });

  it('routes a reply to /activities/:id with the incoming message as replyToId', async () => {
    bot.onMessageTurn = async (context) => {
      await context.sendActivity('pong');
    };
    const delivery = await double.channel.sendMessage({ chatId, from: ann, text: 'ping' });
    const [post] = await double.connector.waitForPosts(chatId, 1);
    assert.equal(post.route, 'reply');
    assert.equal(post.replyToId, delivery.activity.id);
    assert.equal(post.text, 'pong');
    assert.equal(post.activity.from?.id, botAccountId(BOT_APP_ID));
    assert.equal(post.activity.conversation?.id, chatId);
    // BOT_ID blank: botbuilder sends no token, as with the Bot Framework Emulator.
    assert.equal(post.authorization.present, false);
    assert.deepEqual(testBot.turnErrors, []);
  });

  it('delivers a proactive message sent with continueConversationAsync and a minimal reference', async () => {
    await sendProactive('Ann joined the chat.');
    const [post] = double.connector.posts(chatId);
    assert.equal(post.text, 'Ann joined the chat.');
    // botbuilder replies to the synthetic continuation event, so proactive posts use the reply route too.
    assert.equal(post.route, 'reply');
    assert.equal(post.activity.conversation?.tenantId, TENANT);
  });

  it('records an Adaptive Card attachment', async () => {
    const card = CardFactory.adaptiveCard({ type: 'AdaptiveCard', version: '1.5', body: [{ type: 'TextBlock', text: 'Summary' }] });
    await testBot.adapter.continueConversationAsync('', chatReference(), async (context) => {
      await context.sendActivity({ attachments: [card] });
    });
    assert.deepEqual(double.connector.posts(chatId)[0].attachments, [card]);
  });

  it('updates and deletes a post through the turn context', async () => {
    await testBot.adapter.continueConversationAsync('', chatReference(), async (context) => {
      const sent = await context.sendActivity('v1');
      assert.ok(sent?.id);
      await context.updateActivity({ type: 'message', id: sent.id, text: 'v2' });
      await context.deleteActivity(sent.id);
    });
    const [post] = double.connector.posts(chatId);
    assert.equal(post.text, 'v2');
    assert.ok(post.updatedAt);
    assert.ok(post.deletedAt);
    assert.deepEqual(
      double.connector.requests(chatId).map((r) => r.operation),
      ['replyToActivity', 'updateActivity', 'deleteActivity'],
    );
  });

  it('answers TeamsInfo.getMember and getPagedMembers from the directory', async () => {
    let member: TeamsChannelAccount | undefined;
    let byAadId: TeamsChannelAccount | undefined;
    let page: TeamsPagedMembersResult | undefined;
    bot.onMessageTurn = async (context) => {
      member = await TeamsInfo.getMember(context, bob.id);
      byAadId = await TeamsInfo.getMember(context, bob.aadObjectId);
      page = await TeamsInfo.getPagedMembers(context);
    };
    await double.channel.sendMessage({ chatId, from: ann, text: 'who is here' });
    assert.deepEqual(testBot.turnErrors, []);
    assert.equal(member?.id, bob.id);
    assert.equal(member?.name, 'Bob Stone');
    assert.equal(member?.aadObjectId, bob.aadObjectId);
    assert.equal(member?.userPrincipalName, bob.userPrincipalName);
    assert.equal(member?.tenantId, TENANT);
    assert.equal(member?.givenName, 'Bob');
    assert.equal(byAadId?.id, bob.id);
    assert.deepEqual(page?.members.map((m) => m.id), [ann.id, bob.id]);
    assert.equal(page?.continuationToken, undefined);
  });

  describe('faults as botbuilder sees them', () => {
    it('retries a 429 with Retry-After by itself and then succeeds', async () => {
      double.connector.failNextPosts({ count: 1, status: 429, retryAfterSeconds: 0 });
      await sendProactive('after a throttle');
      assert.deepEqual(double.connector.requests(chatId).map((r) => r.status), [429, 201]);
      assert.equal(double.connector.posts(chatId).length, 1);
    });

    it('surfaces a RestError with statusCode 429 and code Throttled once its 3 retries are used up', async () => {
      double.connector.failNextPosts({ count: 4, status: 429, retryAfterSeconds: 0 });
      const error = await captureError(sendProactive('never'));
      assert.equal(error.name, 'RestError');
      assert.equal(error.statusCode, 429);
      assert.equal(error.code, 'Throttled');
      assert.deepEqual(error.details, { error: { code: 'Throttled', message: 'Too many requests; slow down.' } });
      assert.equal(error.response?.headers.get('retry-after'), '0');
      assert.equal(double.connector.requests(chatId).length, 4);
      assert.deepEqual(double.connector.posts(), []);
    });

    it('does not retry a 429 without Retry-After', async () => {
      double.connector.failNextPosts({ count: 1, status: 429 });
      const error = await captureError(sendProactive('never'));
      assert.equal(error.statusCode, 429);
      assert.equal(double.connector.requests(chatId).length, 1);
    });

    it('surfaces 403 BotNotInConversationRoster and 404 ConversationNotFound without retrying', async () => {
      double.connector.failNextPosts({ count: 1, status: 403 });
      const forbidden = await captureError(sendProactive('x'));
      assert.equal(forbidden.statusCode, 403);
      assert.equal(forbidden.code, 'BotNotInConversationRoster');

      double.connector.failNextPosts({ count: 1, status: 404 });
      const missing = await captureError(sendProactive('x'));
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.code, 'ConversationNotFound');
      assert.deepEqual(double.connector.requests(chatId).map((r) => r.status), [403, 404]);
    });

    it('retries a 503 with Retry-After like a throttle', async () => {
      double.connector.failNextPosts({ count: 1, status: 503, retryAfterSeconds: 0 });
      await sendProactive('after an outage');
      assert.deepEqual(double.connector.requests(chatId).map((r) => r.status), [503, 201]);
    });

    describe('with fake timers for botbuilder’s exponential backoff', () => {
      let clock: sinon.SinonFakeTimers;

      beforeEach(() => {
        clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      });

      afterEach(() => {
        clock.restore();
      });

      /** Advances fake time while letting real sockets make progress, until the work settles. */
      async function settle<T>(work: Promise<T>): Promise<T> {
        let done = false;
        const watched = work.finally(() => {
          done = true;
        });
        watched.catch(() => {});
        while (!done) {
          await clock.tickAsync(250);
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        return watched;
      }

      it('retries 500 and 502 after a backoff and then succeeds', async () => {
        double.connector.failNextPosts({ count: 1, status: 500 });
        double.connector.failNextPosts({ count: 1, status: 502 });
        await settle(sendProactive('eventually'));
        assert.deepEqual(double.connector.requests(chatId).map((r) => r.status), [500, 502, 201]);
      });

      it('surfaces a RestError 502 after four attempts', async () => {
        double.connector.failNextPosts({ count: 4, status: 502 });
        const error = await captureError(settle(sendProactive('never')));
        assert.equal(error.statusCode, 502);
        assert.equal(error.code, 'BadGateway');
        assert.equal(double.connector.requests(chatId).length, 4);
      });
    });

    it('hands an error thrown from proactive logic to onTurnError, not to the caller', async () => {
      double.connector.failNextPosts({ count: 1, status: 403 });
      await testBot.adapter.continueConversationAsync('', chatReference(), async (context) => {
        await context.sendActivity('x');
      });
      assert.equal(testBot.turnErrors.length, 1);
      assert.equal((testBot.turnErrors[0] as ConnectorCallError).statusCode, 403);
    });

    it('swallows a failed reply into onTurnError while the bot still answers the channel 200', async () => {
      bot.onMessageTurn = async (context) => {
        await context.sendActivity('pong');
      };
      double.connector.failNextPosts({ count: 1, status: 403 });
      const delivery = await double.channel.sendMessage({ chatId, from: ann, text: 'ping' });
      assert.equal(delivery.status, 200);
      assert.equal(testBot.turnErrors.length, 1);
      assert.equal((testBot.turnErrors[0] as ConnectorCallError).statusCode, 403);
      assert.deepEqual(double.connector.requests(chatId).map((r) => r.status), [403]);
    });

    it('fails a member lookup on demand', async () => {
      double.connector.failNextMemberReads({ count: 1, status: 404, conversationId: chatId });
      let error: ConnectorCallError | undefined;
      bot.onMessageTurn = async (context) => {
        error = await captureError(TeamsInfo.getMember(context, bob.id));
      };
      await double.channel.sendMessage({ chatId, from: ann, text: 'who' });
      assert.equal(error?.statusCode, 404);
    });
  });
});
