import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sinon from 'sinon';
import { type Activity, type TeamsChannelAccount, TeamsActivityHandler, type TeamsChannelData, TurnContext } from 'botbuilder';
import {
  type ActivityJson,
  botAccountId,
  BotEndpointNotSetError,
  InMemoryTeamsDirectory,
  newGroupChatId,
  newTeamChannelId,
  newTeamsMember,
  startTeamsDouble,
  type TeamsDouble,
  UnknownTenantError,
} from '../../../sim/doubles/teams/index.js';
import { startTestBot, type TestBot } from '../../support/sim/teamsTestBot.js';

const TENANT = '5f1c1a4e-0000-4000-8000-000000000001';
const BOT_APP_ID = '00000000-0000-4000-8000-00000000b07';
const BOT_ID = botAccountId(BOT_APP_ID);

interface Seen {
  handler: string;
  activity: Activity;
  members?: TeamsChannelAccount[];
  /** The message text as it arrived, and after botbuilder removed the bot's mention. */
  rawText?: string;
  text?: string;
}

/** Records which TeamsActivityHandler handlers fire and with what; answers messages like Herald would. */
class RecordingBot extends TeamsActivityHandler {
  readonly seen: Seen[] = [];

  constructor() {
    super();
    this.onInstallationUpdateAdd(async (context, next) => {
      this.seen.push({ handler: 'installationUpdateAdd', activity: context.activity });
      await next();
    });
    this.onInstallationUpdateRemove(async (context, next) => {
      this.seen.push({ handler: 'installationUpdateRemove', activity: context.activity });
      await next();
    });
    this.onTeamsMembersAddedEvent(async (members, _team, context, next) => {
      this.seen.push({ handler: 'teamsMembersAdded', activity: context.activity, members });
      await next();
    });
    this.onTeamsMembersRemovedEvent(async (members, _team, context, next) => {
      this.seen.push({ handler: 'teamsMembersRemoved', activity: context.activity, members });
      await next();
    });
    this.onMessage(async (context, next) => {
      const rawText = context.activity.text;
      // removeRecipientMention also rewrites activity.text in place.
      const text = TurnContext.removeRecipientMention(context.activity).trim();
      this.seen.push({ handler: 'message', activity: context.activity, rawText, text });
      const scope = context.activity.conversation.conversationType;
      await context.sendActivity(scope === 'groupChat' ? `you said: ${text}` : 'I work in group chats; add me to one.');
      await next();
    });
  }

  handlerNames(): string[] {
    return this.seen.map((s) => s.handler);
  }
}

describe('Teams double: channel side', () => {
  let double: TeamsDouble<InMemoryTeamsDirectory>;
  let bot: RecordingBot;
  let testBot: TestBot;
  const ann = newTeamsMember({ name: 'Ann Lee', tenantId: TENANT });
  const bob = newTeamsMember({ name: 'Bob Stone', tenantId: TENANT });
  let chatId: string;

  beforeEach(async () => {
    chatId = newGroupChatId();
    bot = new RecordingBot();
    testBot = await startTestBot(bot);
    double = await startTeamsDouble({ botAppId: BOT_APP_ID, botEndpoint: testBot.endpoint });
  });

  afterEach(async () => {
    await testBot.close();
    await double.close();
  });

  describe('installing into a group chat', () => {
    it('sends installationUpdate add, then conversationUpdate with the bot in membersAdded', async () => {
      const deliveries = await double.channel.installIntoChat({ chatId, tenantId: TENANT, by: ann, topic: 'Project sync' });
      assert.deepEqual(deliveries.map((d) => [d.activity.type, d.status]), [
        ['installationUpdate', 200],
        ['conversationUpdate', 200],
      ]);
      assert.deepEqual(bot.handlerNames(), ['installationUpdateAdd', 'teamsMembersAdded']);
      assert.deepEqual(testBot.turnErrors, []);

      const install = bot.seen[0].activity;
      assert.equal(install.action, 'add');
      assert.equal(install.channelId, 'msteams');
      assert.equal(install.serviceUrl, double.serviceUrl);
      assert.deepEqual(install.conversation, {
        id: chatId,
        conversationType: 'groupChat',
        isGroup: true,
        tenantId: TENANT,
        name: 'Project sync',
      });
      assert.equal((install.channelData as TeamsChannelData).tenant?.id, TENANT);
      assert.deepEqual(install.recipient, { id: BOT_ID, name: 'Herald' });
      assert.deepEqual(install.from, { id: ann.id, name: ann.name, aadObjectId: ann.aadObjectId });
      assert.match(install.id ?? '', /^f:/);
      assert.ok(install.timestamp);
      assert.equal(install.locale, 'en-US');

      const added = bot.seen[1];
      assert.equal(added.members?.length, 1);
      assert.equal(added.members?.[0].id, added.activity.recipient.id, 'the bot itself was added');
    });

    it('can send the two activities in the other order, or only one of them', async () => {
      await double.channel.installIntoChat({ chatId, tenantId: TENANT, by: ann, order: 'conversationUpdateFirst' });
      assert.deepEqual(bot.handlerNames(), ['teamsMembersAdded', 'installationUpdateAdd']);
      await double.channel.installIntoChat({ chatId, by: ann, only: 'installationUpdate', upgrade: true });
      assert.equal(bot.seen[2].activity.action, 'add-upgrade');
      await double.channel.installIntoChat({ chatId, by: ann, only: 'conversationUpdate' });
      assert.deepEqual(bot.handlerNames(), ['teamsMembersAdded', 'installationUpdateAdd', 'installationUpdateAdd', 'teamsMembersAdded']);
    });

    it('marks the bot present and puts the installer on the built-in roster', async () => {
      await double.channel.installIntoChat({ chatId, tenantId: TENANT, by: ann });
      assert.ok(double.presence.has(chatId));
      assert.deepEqual(double.directory.listMembers(chatId)?.map((m) => m.id), [ann.id]);
    });
  });

  describe('removing from a group chat', () => {
    it('sends installationUpdate remove and conversationUpdate with the bot in membersRemoved', async () => {
      await double.channel.installIntoChat({ chatId, tenantId: TENANT, by: ann });
      const deliveries = await double.channel.removeFromChat({ chatId, by: ann });
      assert.deepEqual(deliveries.map((d) => d.activity.type), ['installationUpdate', 'conversationUpdate']);
      assert.deepEqual(bot.handlerNames().slice(2), ['installationUpdateRemove', 'teamsMembersRemoved']);
      assert.equal(bot.seen[2].activity.action, 'remove');
      assert.equal(bot.seen[3].members?.[0].id, BOT_ID);
      assert.equal(double.presence.has(chatId), false);
    });

    it('lets posts after removal fail with 403 when roster enforcement is on', async () => {
      double.connector.setEnforceRoster(true);
      await double.channel.installIntoChat({ chatId, tenantId: TENANT, by: ann });
      await double.channel.removeFromChat({ chatId, by: ann });
      let failure: { statusCode?: number; code?: string } | undefined;
      await testBot.adapter.continueConversationAsync(
        '',
        { channelId: 'msteams', serviceUrl: double.serviceUrl, conversation: { id: chatId, conversationType: 'groupChat', isGroup: true, tenantId: TENANT, name: '' } },
        async (context) => {
          try {
            await context.sendActivity('still here?');
          } catch (error) {
            failure = error as typeof failure;
          }
        },
      );
      assert.equal(failure?.statusCode, 403);
      assert.equal(failure?.code, 'BotNotInConversationRoster');
    });
  });

  describe('messages', () => {
    it('delivers an @mention as <at>Herald</at> text with a mention entity, which botbuilder strips', async () => {
      await double.channel.installIntoChat({ chatId, tenantId: TENANT, by: ann });
      const delivery = await double.channel.sendMessage({ chatId, from: bob, text: 'help' });
      assert.equal(delivery.status, 200);
      const message = bot.seen.find((s) => s.handler === 'message');
      assert.equal(message?.rawText, '<at>Herald</at> help');
      assert.deepEqual(message?.activity.entities?.[0], {
        type: 'mention',
        mentioned: { id: BOT_ID, name: 'Herald' },
        text: '<at>Herald</at>',
      });
      assert.equal(message?.text, 'help');
      assert.match(message?.activity.id ?? '', /^\d+$/);
      assert.equal(message?.activity.conversation.tenantId, TENANT, 'the tenant is remembered from the install');

      const [reply] = await double.connector.waitForPosts(chatId, 1);
      assert.equal(reply.text, 'you said: help');
      assert.equal(reply.replyToId, delivery.activity.id);
    });

    it('can send a message without the mention', async () => {
      await double.channel.sendMessage({ chatId, tenantId: TENANT, from: bob, text: 'just chatting', mention: false });
      const message = bot.seen.find((s) => s.handler === 'message');
      assert.equal(message?.rawText, 'just chatting');
      assert.equal(message?.activity.entities?.some((e) => e.type === 'mention'), false);
    });

    it('sends a personal (1:1) message from an a: conversation, where the bot answers politely', async () => {
      const delivery = await double.channel.sendPersonalMessage({ from: ann, tenantId: TENANT, text: 'hi' });
      const conversation = delivery.activity.conversation;
      assert.equal(conversation?.conversationType, 'personal');
      assert.match(conversation?.id ?? '', /^a:/);
      assert.equal(bot.seen[0].activity.conversation.conversationType, 'personal');
      const [reply] = await double.connector.waitForPosts(conversation?.id, 1);
      assert.equal(reply.text, 'I work in group chats; add me to one.');

      const again = await double.channel.sendPersonalMessage({ from: ann, tenantId: TENANT, text: 'hello?' });
      assert.equal(again.activity.conversation?.id, conversation?.id, 'one 1:1 conversation per user');
    });

    it('sends a channel message with team channelData, and the reply goes to the thread', async () => {
      const teamId = newTeamChannelId();
      const delivery = await double.channel.sendChannelMessage({ teamId, teamName: 'Ops', tenantId: TENANT, from: ann, text: 'status' });
      const activity = bot.seen[0].activity;
      assert.equal(activity.conversation.conversationType, 'channel');
      assert.equal(activity.conversation.id, `${teamId};messageid=${delivery.activity.id}`);
      const data = activity.channelData as TeamsChannelData;
      assert.equal(data.team?.id, teamId);
      assert.equal(data.team?.name, 'Ops');
      assert.equal(data.channel?.id, teamId);
      assert.equal(data.tenant?.id, TENANT);
      assert.equal(bot.seen[0].text, 'status');
      const [reply] = await double.connector.waitForPosts(activity.conversation.id, 1);
      assert.equal(reply.text, 'I work in group chats; add me to one.');
    });
  });

  describe('ordinary members joining and leaving', () => {
    it('sends membersAdded with 29: ids, which botbuilder resolves through getMember on the directory', async () => {
      await double.channel.installIntoChat({ chatId, tenantId: TENANT, by: ann });
      await double.channel.membersAdded({ chatId, members: [bob], by: ann });
      const added = bot.seen.find((s) => s.handler === 'teamsMembersAdded' && s.members?.[0].id === bob.id);
      assert.ok(added, 'onTeamsMembersAdded saw Bob');
      assert.deepEqual(added.activity.membersAdded, [
        { id: bob.id, name: 'Bob Stone', aadObjectId: bob.aadObjectId, objectId: bob.aadObjectId, givenName: 'Bob', surname: 'Stone', email: bob.email, userPrincipalName: bob.userPrincipalName, tenantId: TENANT, userRole: 'user' },
      ]);
      assert.deepEqual(testBot.turnErrors, []);
      const lookups = double.connector.requests(chatId).filter((r) => r.operation === 'getConversationMember');
      assert.equal(lookups.length, 1);
    });

    it('sends membersRemoved and drops them from the built-in roster', async () => {
      await double.channel.installIntoChat({ chatId, tenantId: TENANT, by: ann });
      await double.channel.membersAdded({ chatId, members: [bob] });
      await double.channel.membersRemoved({ chatId, members: [bob] });
      const removed = bot.seen.find((s) => s.handler === 'teamsMembersRemoved');
      assert.deepEqual(removed?.activity.membersRemoved, [{ id: bob.id, aadObjectId: bob.aadObjectId }]);
      assert.deepEqual(double.directory.listMembers(chatId)?.map((m) => m.id), [ann.id]);
    });

    it('leaves an injected directory alone (the caller owns that roster)', async () => {
      const world = new InMemoryTeamsDirectory();
      world.setMembers(chatId, [ann, bob]);
      const injected = await startTeamsDouble({ botAppId: BOT_APP_ID, botEndpoint: testBot.endpoint, directory: world });
      try {
        const carol = newTeamsMember({ name: 'Carol Diaz', tenantId: TENANT });
        await injected.channel.installIntoChat({ chatId, tenantId: TENANT, by: carol });
        await injected.channel.membersRemoved({ chatId, members: [bob] });
        assert.deepEqual(world.listMembers(chatId)?.map((m) => m.id), [ann.id, bob.id]);
      } finally {
        await injected.close();
      }
    });
  });

  describe('HTTP envelope', () => {
    let capture: http.Server;
    let requests: { headers: http.IncomingHttpHeaders; body: ActivityJson }[];
    let endpoint: string;

    beforeEach(async () => {
      requests = [];
      capture = http.createServer((req, res) => {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        req.on('end', () => {
          requests.push({ headers: req.headers, body: JSON.parse(body) as ActivityJson });
          res.statusCode = 202;
          res.setHeader('content-type', 'application/json');
          res.end('{"ok":true}');
        });
      });
      await new Promise<void>((resolve) => capture.listen(0, '127.0.0.1', () => resolve()));
      endpoint = `http://127.0.0.1:${(capture.address() as AddressInfo).port}/api/messages`;
    });

    afterEach(async () => {
      await new Promise<void>((resolve) => capture.close(() => resolve()));
    });

    it('sends no Authorization header by default, and the Teams conversation and tenant headers', async () => {
      double.channel.setBotEndpoint(endpoint);
      const delivery = await double.channel.sendMessage({ chatId, tenantId: TENANT, from: ann, text: 'x' });
      assert.equal(delivery.status, 202);
      assert.deepEqual(delivery.body, { ok: true });
      const [request] = requests;
      assert.equal(request.headers.authorization, undefined);
      assert.equal(request.headers['x-ms-conversation-id'], chatId);
      assert.equal(request.headers['x-ms-tenant-id'], TENANT);
      assert.equal(request.body.serviceUrl, double.serviceUrl);
    });

    it('signs each activity with the injected channel token signer', async () => {
      const signChannelToken = sinon.stub().resolves('channel-token');
      const signed = await startTeamsDouble({ botAppId: BOT_APP_ID, botEndpoint: endpoint, signChannelToken });
      try {
        await signed.channel.installIntoChat({ chatId, tenantId: TENANT, by: ann });
        assert.deepEqual(requests.map((r) => r.headers.authorization), ['Bearer channel-token', 'Bearer channel-token']);
        sinon.assert.alwaysCalledWithExactly(signChannelToken, { botAppId: BOT_APP_ID, serviceUrl: signed.serviceUrl, channelId: 'msteams' });
      } finally {
        await signed.close();
      }
    });

    it('keeps a log of deliveries and tells subscribers', async () => {
      double.channel.setBotEndpoint(endpoint);
      const seen: string[] = [];
      const unsubscribe = double.channel.subscribe((delivery) => seen.push(delivery.activity.type));
      await double.channel.installIntoChat({ chatId, tenantId: TENANT, by: ann });
      unsubscribe();
      await double.channel.sendMessage({ chatId, from: ann, text: 'x' });
      assert.deepEqual(seen, ['installationUpdate', 'conversationUpdate']);
      assert.deepEqual(double.channel.deliveries().map((d) => d.activity.type), ['installationUpdate', 'conversationUpdate', 'message']);
    });

    it('refuses to send without an endpoint or a known tenant', async () => {
      const bare = await startTeamsDouble({ botAppId: BOT_APP_ID });
      try {
        await assert.rejects(bare.channel.sendMessage({ chatId, tenantId: TENANT, from: ann, text: 'x' }), BotEndpointNotSetError);
        bare.channel.setBotEndpoint(endpoint);
        await assert.rejects(bare.channel.sendMessage({ chatId: newGroupChatId(), from: ann, text: 'x' }), UnknownTenantError);
      } finally {
        await bare.close();
      }
    });
  });
});
