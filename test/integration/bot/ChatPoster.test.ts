import assert from 'node:assert/strict';
import { ChatPoster, PostError } from '../../../src/bot/ChatPoster.js';
import { createBotAdapter } from '../../../src/bot/createBotAdapter.js';
import { loadConfig } from '../../../src/config/loadConfig.js';
import { silentLogger } from '../../../src/log/createLogger.js';
import { newGroupChatId, startTeamsDouble, type TeamsDouble } from '../../../sim/doubles/teams/index.js';
import type { Installation } from '../../../src/model/installation.js';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';

describe('chat poster', () => {
  let teams: TeamsDouble;
  let poster: ChatPoster;
  let installation: Installation;

  before(async () => {
    teams = await startTeamsDouble({ botAppId: '', tenantId: TENANT });
    const config = loadConfig({ BOT_AUTH: 'off', AAD_APP_CLIENT_ID: '11111111-2222-3333-4444-555555555555', AAD_APP_CLIENT_SECRET: 's', PUBLIC_URL: 'http://127.0.0.1:1' });
    poster = new ChatPoster({ adapter: createBotAdapter(config, silentLogger()), botAppId: '', clock: () => new Date() });
  });
  after(async () => teams.close());
  beforeEach(() => {
    const chatId = newGroupChatId();
    installation = {
      chatId, tenantId: TENANT, serviceUrl: teams.serviceUrl,
      conversationReference: { conversation: { id: chatId, conversationType: 'groupChat', isGroup: true, tenantId: TENANT, name: '' }, bot: { id: '28:bot', name: 'Herald' } },
      status: 'installed', installedAt: '', uninstalledAt: null, uninstallReason: null, lastActivityAt: '',
    };
  });

  it('posts proactively into the chat at its serviceUrl', async () => {
    const id = await poster.post(installation, { type: 'message', text: 'Ann joined' });
    const posts = await teams.connector.waitForPosts(installation.chatId, 1);
    assert.equal(posts[0].text, 'Ann joined');
    assert.equal(posts[0].id, id);
  });

  it('reports a 403 from the connector as a permanent failure with its code', async () => {
    teams.connector.failNextPosts({ count: 1, status: 403, conversationId: installation.chatId });
    const error = await poster.post(installation, { type: 'message', text: 'x' }).then(() => null, (e: unknown) => e);
    assert.ok(error instanceof PostError);
    assert.equal(error.status, 403);
    assert.equal(error.connectorCode, 'BotNotInConversationRoster');
    assert.equal(error.code, 'herald.bot.post_failed');
    assert.equal(error.permanent, true);
    assert.equal(error.retryable, false);
  });

  it('reports throttling with the Retry-After the connector sent', async () => {
    // botbuilder itself retries a 429 with Retry-After three times before giving up.
    teams.connector.failNextPosts({ count: 4, status: 429, retryAfterSeconds: 0, conversationId: installation.chatId });
    const error = await poster.post(installation, { type: 'message', text: 'x' }).then(() => null, (e: unknown) => e);
    assert.ok(error instanceof PostError);
    assert.equal(error.status, 429);
    assert.equal(error.retryAfterMs, 0);
    assert.equal(error.retryable, true);
    assert.equal(teams.connector.posts(installation.chatId).length, 0);
  });
});
