import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHerald, type HeraldApp } from '../../../src/app/createHerald.js';
import { loadConfig } from '../../../src/config/loadConfig.js';
import { silentLogger } from '../../../src/log/createLogger.js';
import { HELP_TEXT } from '../../../src/bot/commands/parseCommand.js';
import { NOT_A_GROUP_CHAT_TEXT, WELCOME_TEXT } from '../../../src/bot/HeraldBot.js';
import { startTeamsDouble, newGroupChatId, newTeamsUserId, type TeamsDouble, type TeamsUser } from '../../../sim/doubles/teams/index.js';
import type { HeraldEventMap } from '../../../src/events/HeraldEvents.js';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '11111111-2222-3333-4444-555555555555';
const ann: TeamsUser = { id: newTeamsUserId(), name: 'Ann Example', aadObjectId: 'a0000000-0000-0000-0000-000000000001' };

describe('bot', () => {
  let dataDir: string;
  let teams: TeamsDouble;
  let herald: HeraldApp;
  let baseUrl: string;

  async function startHerald(): Promise<HeraldApp> {
    const config = loadConfig({ PORT: '0', BOT_AUTH: 'off', AAD_APP_CLIENT_ID: CLIENT, AAD_APP_CLIENT_SECRET: 's', PUBLIC_URL: 'http://127.0.0.1:1', DATA_DIR: dataDir }, dataDir);
    const app = await createHerald(config, silentLogger());
    baseUrl = await app.start();
    teams.channel.setBotEndpoint(`${baseUrl}/api/messages`);
    return app;
  }

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'herald-bot-'));
    teams = await startTeamsDouble({ botAppId: '', tenantId: TENANT });
    herald = await startHerald();
  });
  afterEach(async () => {
    await herald.stop();
    await teams.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('welcomes exactly once when Teams sends both install activities, and stores the installation', async () => {
    const chatId = newGroupChatId();
    const installed: HeraldEventMap['installed'][] = [];
    herald.context.events.on('installed', (e) => void installed.push(e));
    await teams.channel.installIntoChat({ chatId, tenantId: TENANT, by: ann, topic: 'Project' });
    const posts = await teams.connector.waitForPosts(chatId, 1);
    assert.equal(posts[0].text, WELCOME_TEXT);
    assert.equal(teams.connector.posts(chatId).length, 1);
    assert.equal(installed.length, 1);
    const stored = await herald.context.store.installations.get(chatId);
    assert.equal(stored?.status, 'installed');
    assert.equal(stored?.tenantId, TENANT);
    assert.equal(stored?.serviceUrl, teams.serviceUrl);
  });

  for (const only of ['installationUpdate', 'conversationUpdate'] as const) {
    it(`treats a lone ${only} as the installation`, async () => {
      const chatId = newGroupChatId();
      await teams.channel.installIntoChat({ chatId, tenantId: TENANT, by: ann, only });
      await teams.connector.waitForPosts(chatId, 1);
      assert.equal((await herald.context.store.installations.get(chatId))?.status, 'installed');
    });
  }

  it('keeps the installation across a restart and does not welcome again', async () => {
    const chatId = newGroupChatId();
    await teams.channel.installIntoChat({ chatId, tenantId: TENANT, by: ann });
    await teams.connector.waitForPosts(chatId, 1);
    await herald.stop();
    herald = await startHerald();
    assert.equal((await herald.context.store.installations.get(chatId))?.status, 'installed');
    await teams.channel.installIntoChat({ chatId, tenantId: TENANT, by: ann });
    await teams.channel.sendMessage({ chatId, from: ann, text: 'help' });
    const posts = await teams.connector.waitForPosts(chatId, 2);
    assert.equal(posts[1].text, HELP_TEXT);
    assert.equal(teams.connector.posts(chatId).filter((p) => p.text === WELCOME_TEXT).length, 1);
  });

  it('treats the first activity from an unknown group chat as an installation', async () => {
    const chatId = newGroupChatId();
    await teams.channel.sendMessage({ chatId, tenantId: TENANT, from: ann, text: 'status' });
    const posts = await teams.connector.waitForPosts(chatId, 2);
    assert.equal(posts[0].text, WELCOME_TEXT);
    assert.match(posts[1].text ?? '', /Herald status/);
    assert.equal((await herald.context.store.installations.get(chatId))?.status, 'installed');
  });

  it('marks the chat uninstalled when Herald is removed, and re-installs with a new welcome', async () => {
    const chatId = newGroupChatId();
    const removed: string[] = [];
    herald.context.events.on('uninstalled', (e) => void removed.push(e.chatId));
    await teams.channel.installIntoChat({ chatId, tenantId: TENANT, by: ann });
    await teams.connector.waitForPosts(chatId, 1);
    await teams.channel.removeFromChat({ chatId, tenantId: TENANT, by: ann });
    assert.equal((await herald.context.store.installations.get(chatId))?.status, 'uninstalled');
    assert.deepEqual(removed, [chatId]);
    await teams.channel.installIntoChat({ chatId, tenantId: TENANT, by: ann });
    await teams.connector.waitForPosts(chatId, 2);
    assert.equal(teams.connector.posts(chatId).filter((p) => p.text === WELCOME_TEXT).length, 2);
  });

  it('welcomes a re-added chat with what its surviving settings announce', async () => {
    const chatId = newGroupChatId();
    await teams.channel.installIntoChat({ chatId, tenantId: TENANT, by: ann });
    await teams.connector.waitForPosts(chatId, 1);
    await teams.channel.sendMessage({ chatId, from: ann, text: 'announce joins off' });
    await teams.connector.waitForPosts(chatId, 2);
    await teams.channel.removeFromChat({ chatId, tenantId: TENANT, by: ann });
    teams.connector.clearPosts();
    await teams.channel.installIntoChat({ chatId, tenantId: TENANT, by: ann });
    const [welcome] = await teams.connector.waitForPosts(chatId, 1);
    assert.equal(welcome?.text, "Hi, I'm Herald. I'll post here when people leave this chat and when it is renamed. Mention me with `help` to see what I can do.");
    assert.doesNotMatch(welcome?.text ?? '', /join/);
  });

  it('reads commands behind the @mention and changes settings', async () => {
    const chatId = newGroupChatId();
    await teams.channel.installIntoChat({ chatId, tenantId: TENANT, by: ann });
    await teams.channel.sendMessage({ chatId, from: ann, text: 'announce joins off' });
    await teams.channel.sendMessage({ chatId, from: ann, text: 'window 30s' });
    await teams.channel.sendMessage({ chatId, from: ann, text: 'settings' });
    const posts = await teams.connector.waitForPosts(chatId, 4);
    assert.match(posts[1].text ?? '', /joins off/);
    assert.match(posts[2].text ?? '', /summary window 30s/);
    // The settings answer is a card; its words are in the activity's summary (previews) and the card's fallback.
    assert.match(String(posts[3].activity.summary ?? ''), /joins off · leaves on · topic on · guests only off · window 30s/);
    const settings = (await herald.context.store.chats.get(chatId))?.settings;
    assert.equal(settings?.announceJoins, false);
    assert.equal(settings?.windowMs, 30_000);
    const history = await herald.context.store.history.page(chatId);
    assert.equal(history[0].kind, 'settingsChanged');
    assert.equal(history[0].actor, 'Ann Example');
  });

  it('answers an unknown or invalid command with help instead of failing', async () => {
    const chatId = newGroupChatId();
    await teams.channel.installIntoChat({ chatId, tenantId: TENANT, by: ann });
    await teams.channel.sendMessage({ chatId, from: ann, text: 'dance' });
    await teams.channel.sendMessage({ chatId, from: ann, text: 'window forever' });
    const posts = await teams.connector.waitForPosts(chatId, 3);
    assert.match(posts[1].text ?? '', /I don't know "dance"/);
    assert.match(posts[2].text ?? '', /not a duration/);
  });

  it('answers politely in personal and team scopes without installing anything', async () => {
    const personal = await teams.channel.sendPersonalMessage({ from: ann, text: 'hi', tenantId: TENANT });
    assert.ok(personal.status < 500);
    const posts = await teams.connector.waitForPosts(undefined, 1);
    assert.equal(posts[0].text, NOT_A_GROUP_CHAT_TEXT);
    assert.equal(await herald.context.store.installations.countInstalled(), 0);
  });

  it('reports installations in /healthz', async () => {
    const chatId = newGroupChatId();
    await teams.channel.installIntoChat({ chatId, tenantId: TENANT, by: ann });
    const res = await fetch(`${baseUrl}/healthz`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { status: string; installations: { installed: number } };
    assert.equal(body.status, 'ok');
    assert.equal(body.installations.installed, 1);
  });

  it('names this instance in /healthz (its id and when it started)', async () => {
    const body = (await (await fetch(`${baseUrl}/healthz`)).json()) as { instance: { id: string; startedAt: string } };
    assert.equal(body.instance.id, herald.context.instanceId);
    assert.match(body.instance.id, /^.+-\d+-[0-9a-f]{6}$/, 'host, process and a random part');
    assert.ok(Date.parse(body.instance.startedAt) <= Date.now());
  });
});
