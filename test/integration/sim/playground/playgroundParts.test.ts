import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../../src/config/loadConfig.js';
import { World } from '../../../../sim/doubles/world/World.js';
import { parseChatInput } from '../../../../sim/playground/PlaygroundController.js';
import { playgroundConfig, playgroundEnv, type PlaygroundWiring } from '../../../../sim/playground/playgroundConfig.js';
import { PlaygroundStateError, PlaygroundStateFile, type PlaygroundSnapshot } from '../../../../sim/playground/PlaygroundStateFile.js';
import { seedPlayground } from '../../../../sim/playground/seedPlayground.js';
import { describeWorldEvent } from '../../../../sim/playground/startSimulatedWorld.js';
import { Timeline } from '../../../../sim/playground/Timeline.js';
import { readable } from '../../../../sim/playground/wireView.js';
import { WorldTeamsDirectory } from '../../../../sim/playground/WorldTeamsDirectory.js';

const clock = () => new Date('2026-03-02T10:00:00Z');

describe('playground parts', () => {
  describe('chat input', () => {
    it('reads "@Herald …" as a message that mentions Herald', () => {
      assert.deepEqual(parseChatInput('@Herald status'), { text: 'status', mentionsHerald: true });
      assert.deepEqual(parseChatInput('  @herald, window 0 '), { text: 'window 0', mentionsHerald: true });
      assert.deepEqual(parseChatInput('<at>Herald</at> help'), { text: 'help', mentionsHerald: true });
    });

    it('leaves other messages to the people in the chat', () => {
      assert.deepEqual(parseChatInput('lunch at noon?'), { text: 'lunch at noon?', mentionsHerald: false });
      assert.deepEqual(parseChatInput('@Heraldine hi'), { text: '@Heraldine hi', mentionsHerald: false });
    });
  });

  describe('configuration', () => {
    const wiring: PlaygroundWiring = {
      authorityHost: 'https://127.0.0.1:41001',
      graphEndpoint: 'https://127.0.0.1:41002',
      clientId: '11111111-2222-4333-8444-555555555555',
      clientSecret: 'playground-secret',
      tenantId: '66666666-7777-4888-9999-000000000000',
      teamsAppId: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
      billingModel: 'B',
      publicUrl: 'http://127.0.0.1:3978',
    };

    it('differs from a live configuration only in wiring values', () => {
      const base = loadConfig({ PORT: '0', DATA_DIR: '/tmp/herald-data', LOG_LEVEL: 'silent' }, '/');
      assert.equal(base.mode, 'playground');
      const played = playgroundConfig(base, wiring, 3978);
      // The same values given as environment variables, as a live deployment would.
      const live = loadConfig({ ...playgroundEnv(wiring), PORT: '3978', DATA_DIR: '/tmp/herald-data', LOG_LEVEL: 'silent', BOT_TYPE: 'MultiTenant', BOT_AUTH: 'off' }, '/');
      assert.deepEqual(played.aad, live.aad);
      assert.deepEqual(played.graph, live.graph);
      assert.equal(played.publicUrl, live.publicUrl);
      assert.equal(played.teamsAppId, live.teamsAppId);
      assert.equal(played.port, live.port);
      assert.equal(played.dataDir, join(live.dataDir, 'playground', 'herald'), 'the playground’s Herald keeps its storage inside the playground’s folder');
      assert.equal(played.bot.appId, '', 'the bot runs without BOT_ID, as with the Bot Framework Emulator');
      assert.equal(played.host, '127.0.0.1', 'loopback only');
    });
  });

  describe('chat stream', () => {
    it('describes world changes as Teams shows them, naming who did it', () => {
      const { world, meta } = seedPlayground(clock);
      const lines: string[] = [];
      let actor: string | null = 'Ada Lovelace';
      world.on((event) => {
        const text = describeWorldEvent(event, actor, meta.app.teamsAppId, (id) => world.getUser(id)?.displayName ?? '?');
        if (text) lines.push(text);
      });
      const guest = world.addUser({ displayName: 'Gail Guest', tenantId: meta.otherTenantId, guest: true });
      world.addMember(meta.chatId, guest.id);
      world.renameChat(meta.chatId, 'Launch crew 2');
      world.removeMember(meta.chatId, guest.id);
      actor = null;
      world.renameChat(meta.chatId, null);
      assert.deepEqual(lines, [
        'Ada Lovelace added Gail Guest (Guest) to the chat.',
        'Ada Lovelace changed the group name to Launch crew 2.',
        'Ada Lovelace removed Gail Guest from the chat.',
        'Someone removed the group name.',
      ]);
    });

    it('keeps the newest entries, updates posts in place and continues ids after a reload', () => {
      const timeline = new Timeline([], 3);
      for (let i = 0; i < 4; i++) timeline.system(`2026-03-02T10:00:0${i}Z`, `line ${i}`);
      const post = timeline.post({ at: '2026-03-02T10:01:00Z', activityId: 'a1', text: 'hello', attachments: [] });
      assert.deepEqual(timeline.entries().map((e) => e.id), ['t3', 't4', 't5']);
      const changes: string[] = [];
      timeline.on((c) => changes.push(`${c.type}:${c.entry.id}`));
      timeline.updatePost('a1', { deleted: true });
      const updated = timeline.entries().find((e) => e.id === post.id);
      assert.ok(updated?.kind === 'post' && updated.deleted);
      assert.deepEqual(changes, [`updated:${post.id}`]);
      const reloaded = new Timeline(timeline.entries());
      assert.equal(reloaded.system('2026-03-02T10:02:00Z', 'again').id, 't6');
    });
  });

  describe('Teams roster from the world', () => {
    it('lists the chat members with stable 29: ids, home tenants and guest roles', () => {
      const world = new World({ clock });
      const home = world.addTenant({ displayName: 'Contoso' });
      const other = world.addTenant({ displayName: 'Fabrikam' });
      const ada = world.addUser({ displayName: 'Ada Lovelace', tenantId: home.id });
      const gail = world.addUser({ displayName: 'Gail Guest', tenantId: other.id, guest: true });
      const chat = world.createChat({ tenantId: home.id, members: [ada.id, gail.id] });
      const ids: Record<string, string> = {};
      let saves = 0;
      const directory = new WorldTeamsDirectory(world, ids, () => saves++);
      const roster = directory.listMembers(chat.id);
      assert.ok(roster);
      assert.deepEqual(
        roster.map((m) => [m.name, m.aadObjectId, m.tenantId, m.userRole]),
        [
          ['Ada Lovelace', ada.id, home.id, 'user'],
          ['Gail Guest', gail.id, other.id, 'guest'],
        ],
      );
      assert.ok(roster.every((m) => m.id.startsWith('29:')));
      assert.equal(saves, 2);
      assert.deepEqual(directory.listMembers(chat.id)?.map((m) => m.id), roster.map((m) => m.id), 'ids are stable');
      assert.equal(directory.listMembers('19:unknown@thread.v2'), undefined);
    });
  });

  describe('saved state', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'herald-pgstate-'));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('round-trips the snapshot and keeps only the latest of quick saves', async () => {
      const file = new PlaygroundStateFile(dir);
      assert.equal(await file.load(), null);
      const { world, meta } = seedPlayground(clock);
      const snapshot = (topic: string): PlaygroundSnapshot => ({ version: 1, meta: { ...meta, connectorPort: 4000 }, world: { ...world.toJSON(), chats: world.toJSON().chats.map((c) => ({ ...c, topic })) }, subscriptions: [], timeline: [] });
      for (const topic of ['one', 'two', 'three']) file.save(() => snapshot(topic));
      await file.flush();
      const loaded = await file.load();
      assert.equal(loaded?.world.chats[0]?.topic, 'three');
      assert.equal(loaded?.meta.connectorPort, 4000);
    });

    it('says which file to delete when it cannot be read', async () => {
      await writeFile(join(dir, 'playground.json'), '{ not json');
      await assert.rejects(new PlaygroundStateFile(dir).load(), (error: unknown) => error instanceof PlaygroundStateError && /delete it/.test(error.message));
    });
  });

  describe('wire titles', () => {
    it('decodes paths and shortens membership ids', () => {
      assert.equal(readable('/v1.0/chats/19%3Aabc%40thread.v2/members'), '/v1.0/chats/19:abc@thread.v2/members');
      assert.equal(readable("chats('19:abc@thread.v2')/members('MCMjNzFhODFlYzQtYjZiYS00MTJhLWFjNWMtNzVk')"), "chats('19:abc@thread.v2')/members('MCMjNzFhOD…')");
    });
  });
});
