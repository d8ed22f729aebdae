import assert from 'node:assert/strict';
import type { ChatView, MemberView, PlaygroundView } from '../../../sim/playground/PlaygroundController.js';
import { SEED_PEOPLE, SEED_TOPIC } from '../../../sim/playground/seedPlayground.js';
import { cardTexts, startPlaygroundRun, WELCOME, type PlaygroundRun } from '../../support/playground/playgroundHarness.js';

describe('playground end to end', function () {
  this.timeout(60_000);

  // Each test builds its own playground, so none depends on what an earlier one did.
  describe('a fresh playground', () => {
    let run: PlaygroundRun;

    beforeEach(async () => {
      run = await startPlaygroundRun();
    });

    afterEach(async () => {
      await run?.close();
    });

    const wire = () => run.pg.simulated.graphWorld.wire;

    it('starts with a seeded group chat and serves the page', async () => {
      const { status, body } = await run.api<PlaygroundView>('GET', 'state');
      assert.equal(status, 200);
      assert.equal(body.chat.topic, SEED_TOPIC);
      assert.deepEqual(body.chat.members.map((m) => m.name), [...SEED_PEOPLE]);
      assert.equal(body.chat.heraldInstalled, false);
      assert.equal(body.chat.acting.name, SEED_PEOPLE[0]);

      const page = await fetch(run.pg.playgroundUrl);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /text\/html/);
      assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
      assert.match(await page.text(), /<script src="\/playground\/build\/playground\.js"/);
      assert.equal((await fetch(`${run.pg.url}/playground/playground.css`)).status, 200);
    });

    it('install → Herald welcomes the chat and subscribes to it through Graph (per chat and tenant-wide, model B)', async () => {
      await run.control('POST', 'herald/install');
      await run.waitForPost(WELCOME);
      await run.pg.settle();
      const resources = run.pg.controller.subscriptions().map((s) => s.resource).sort();
      const chatId = run.pg.simulated.chatId;
      const teamsAppId = run.pg.simulated.app.teamsAppId;
      assert.deepEqual(resources, [
        `/appCatalogs/teamsApps/${teamsAppId}/installedToChats/getAllMembers?model=B`,
        `/appCatalogs/teamsApps/${teamsAppId}/installedToChats?model=B`,
        `/chats/${chatId}`,
        `/chats/${chatId}/members`,
      ].sort());
      assert.ok(wire().ofKind('handshake').every((h) => h.ok), 'every validation handshake succeeded');
      assert.equal(run.pg.config.publicUrl, run.pg.url, "Herald's PUBLIC_URL is its own loopback address");
    });

  });

  describe('a chat with Herald installed', () => {
    let run: PlaygroundRun;

    beforeEach(async () => {
      run = await startPlaygroundRun();
      await run.installWithWindowZero();
    });

    afterEach(async () => {
      await run?.close();
    });

    const chatSubscriptions = () => run.pg.controller.subscriptions().filter((s) => s.chatId === run.pg.simulated.chatId);
    const wire = () => run.pg.simulated.graphWorld.wire;
    const addMember = (name: string, kind: MemberView['kind'] = 'member') => run.control<MemberView>('POST', 'members', { name, kind });

    it('answers chat commands sent as @mentions', async () => {
      await run.control('POST', 'messages', { text: '@Herald window 0' });
      await run.waitForPost(/summary window 0s/);
      await run.control('POST', 'messages', { text: '@Herald status' });
      await run.waitForPost(/Herald status/);
    });

    it('add member → a join card naming them', async () => {
      await addMember('Linus Torvalds');
      const post = await run.waitForPost(/Ada Lovelace added Linus Torvalds/);
      assert.ok(post.attachments.some((a) => a.contentType === 'application/vnd.microsoft.card.adaptive'), 'the announcement is an Adaptive Card');
      await run.pg.settle();
      const notification = wire().ofKind('notification').find((n) => n.items.some((i) => i.resource?.includes('/members')));
      assert.ok(notification, 'Graph reported it too, in a change notification (the bot heard first and named who did it)');
      assert.ok(notification.items.some((i) => i.decrypted), 'the wire log shows the decrypted resource data');
    });

    it('marks guests and people from another organisation', async () => {
      await addMember('Gail Guest', 'guest');
      await run.waitForPost(/Ada Lovelace added Gail Guest \(Guest\)/);
      await addMember('Erin External', 'external');
      await run.waitForPost(/Ada Lovelace added Erin External \(External\)/);
    });

    it('rename → a rename card', async () => {
      await run.control('PUT', 'topic', { topic: 'Launch crew 🚀' });
      await run.waitForPost(/renamed from 'Launch crew' to 'Launch crew 🚀'/);
    });

    it('remove member → a leave card naming them', async () => {
      await addMember('Linus Torvalds');
      await run.waitForPost(/Ada Lovelace added Linus Torvalds/);
      const { body } = await run.api<PlaygroundView>('GET', 'state');
      const linus = body.chat.members.find((m) => m.name === 'Linus Torvalds');
      assert.ok(linus);
      await run.control('DELETE', `members/${linus.userId}`);
      await run.waitForPost(/Ada Lovelace removed Linus Torvalds/);
    });

    it('drop → Graph sends missed → Herald reconciles and still announces', async () => {
      await run.control('POST', 'trouble/drop');
      assert.equal(run.pg.controller.chat().armed.drop, true);
      await addMember('Dora Dropped');
      await run.waitForPost(/Ada Lovelace added Dora Dropped/);
      await run.pg.settle();
      assert.ok(wire().ofKind('suppressed').some((s) => s.reason === 'dropped'), 'the notification was dropped');
      assert.ok(wire().ofKind('lifecycle').some((l) => l.items.some((i) => i.lifecycleEvent === 'missed')), 'a missed lifecycle event was sent');
      assert.equal(run.pg.controller.chat().armed.drop, false);
    });

    it('duplicate delivery → one post', async () => {
      await run.control('POST', 'trouble/duplicate');
      await addMember('Dana Double');
      await run.waitForPost(/Ada Lovelace added Dana Double/);
      await run.pg.settle();
      assert.ok(wire().ofKind('notification').some((n) => n.duplicate), 'Graph delivered a notification twice');
      assert.equal(cardTexts(run.posts()).filter((t) => t.includes('Dana Double')).length, 1);
    });

    it('reauthorizationRequired → Herald takes the lifecycle event, keeps its subscriptions and keeps announcing', async () => {
      const ids = chatSubscriptions().map((s) => s.id).sort();
      const lifecycleBefore = wire().ofKind('lifecycle').length;
      const { affected } = await run.control<{ affected: number }>('POST', 'trouble/reauthorizationRequired');
      assert.equal(affected, 2);
      await run.pg.settle();
      const sent = wire().ofKind('lifecycle').slice(lifecycleBefore);
      assert.ok(sent.length > 0 && sent.every((l) => l.status === 202), 'Herald accepted the lifecycle notifications');
      // Created minutes ago and never PATCHed: a creation does not start Graph's 10-minute spacing, so both are reauthorized now.
      const reauthorized = wire().ofKind('subscription').filter((e) => e.action === 'reauthorized' && ids.includes(e.subscriptionId));
      assert.deepEqual(reauthorized.map((e) => e.subscriptionId).sort(), ids, 'the wire shows both subscriptions reauthorized');
      assert.deepEqual(chatSubscriptions().map((s) => s.id).sort(), ids);
      await addMember('Rita Reauth');
      await run.waitForPost(/Ada Lovelace added Rita Reauth/);
    });

    it('subscriptionRemoved → Herald subscribes again and keeps announcing', async () => {
      const old = chatSubscriptions().map((s) => s.id);
      await run.control('POST', 'trouble/subscriptionRemoved');
      await run.pg.settle();
      const now = chatSubscriptions();
      assert.equal(now.length, 2, 'the per-chat pair exists again');
      assert.ok(now.every((s) => !old.includes(s.id)), 'with new subscriptions');
      await addMember('Remy Removed');
      await run.waitForPost(/Ada Lovelace added Remy Removed/);
    });

    it('refuses bad input and other sites', async () => {
      assert.equal((await run.api('POST', 'members', { name: '  ' })).status, 400);
      assert.equal((await run.api('POST', 'members', { name: 'X', kind: 'robot' })).status, 400);
      assert.equal((await run.api('POST', 'trouble/earthquake', {})).status, 400);
      assert.equal((await run.api('DELETE', 'members/nobody')).status, 404);
      assert.equal((await run.api('POST', 'herald/install', {})).status, 409);
      const crossSite = await fetch(`${run.pg.url}/playground/api/members`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Origin: 'https://evil.example' },
        body: JSON.stringify({ name: 'Mallory' }),
      });
      assert.equal(crossSite.status, 400);
      const form = await fetch(`${run.pg.url}/playground/api/members`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: '{"name":"Mallory"}' });
      assert.equal(form.status, 400);
      assert.ok(!run.pg.controller.chat().members.some((m) => m.name === 'Mallory'));
    });

    it('streams a snapshot and then changes as server-sent events', async () => {
      const controller = new AbortController();
      const response = await fetch(`${run.pg.url}/playground/api/events`, { signal: controller.signal });
      assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
      const reader = response.body?.getReader();
      assert.ok(reader);
      let text = '';
      const readUntil = async (pattern: RegExp) => {
        while (!pattern.test(text)) {
          const { value, done } = await reader.read();
          if (done) throw new Error('stream ended');
          text += new TextDecoder().decode(value);
        }
      };
      await readUntil(/event: snapshot\ndata: .*\n\n/);
      await run.control('PUT', 'topic', { topic: 'Streaming' });
      await readUntil(/event: chat\ndata: [^\n]*"topic":"Streaming"/);
      controller.abort();
    });

    it('signs Teams SSO tokens the companion tab API accepts', async () => {
      const acting = run.pg.controller.chat().acting;
      const { body } = await run.api<{ token: string }>('GET', `sso-token?oid=${acting.userId}`);
      const chatId = encodeURIComponent(run.pg.simulated.chatId);
      const history = await fetch(`${run.pg.url}/api/tab/chats/${chatId}/history`, { headers: { Authorization: `Bearer ${body.token}` } });
      assert.equal(history.status, 200);
      assert.equal((await run.api('GET', 'sso-token?oid=nobody')).status, 404);
    });

    it('remove Herald → its chat subscriptions are deleted and the chat says so', async () => {
      await run.control('POST', 'herald/remove');
      await run.pg.settle();
      assert.deepEqual(chatSubscriptions(), []);
      const chat: ChatView = run.pg.controller.chat();
      assert.equal(chat.heraldInstalled, false);
      assert.ok(run.pg.simulated.timeline.entries().some((e) => e.kind === 'system' && /removed Herald from the chat/.test(e.text)));
    });
  });

  describe('429 on the next Graph call', () => {
    let run: PlaygroundRun;

    before(async () => {
      run = await startPlaygroundRun();
    });

    after(async () => {
      await run?.close();
    });

    it('is retried after Retry-After, so installing still subscribes and announces', async () => {
      await run.control('POST', 'trouble/throttle');
      await run.installWithWindowZero();
      const requests = run.pg.simulated.graphWorld.wire.ofKind('graphRequest');
      const throttled = requests.findIndex((r) => r.status === 429);
      assert.ok(throttled >= 0, 'Graph answered 429 once');
      const retried = requests.slice(throttled + 1).find((r) => r.method === requests[throttled]?.method && r.path === requests[throttled]?.path);
      assert.ok(retried && retried.status < 300, 'the same call succeeded afterwards');
      assert.equal(run.pg.controller.subscriptions().filter((s) => s.chatId).length, 2);
      await run.control('POST', 'members', { name: 'Tom Throttle' });
      await run.waitForPost(/Ada Lovelace added Tom Throttle/);
    });
  });

  describe('a restart', () => {
    let run: PlaygroundRun;

    before(async () => {
      run = await startPlaygroundRun();
    });

    after(async () => {
      await run?.close();
    });

    it('resumes the same chat: people, topic, Herald, subscriptions and the stream', async () => {
      await run.installWithWindowZero();
      await run.control('POST', 'members', { name: 'Before Restart' });
      await run.waitForPost(/Ada Lovelace added Before Restart/);
      await run.pg.settle();
      const chatId = run.pg.simulated.chatId;
      const subscriptionIds = run.pg.controller.subscriptions().map((s) => s.id).sort();
      const postsBefore = run.posts().length;

      await run.restart();

      const chat = run.pg.controller.chat();
      assert.equal(chat.chatId, chatId);
      assert.equal(chat.heraldInstalled, true);
      assert.ok(chat.members.some((m) => m.name === 'Before Restart'));
      assert.equal(run.posts().length, postsBefore, 'the stream is kept');
      await run.pg.settle();
      assert.deepEqual(run.pg.controller.subscriptions().map((s) => s.id).sort(), subscriptionIds, 'Graph kept the subscriptions and Herald made no duplicates');

      await run.control('POST', 'members', { name: 'After Restart' });
      await run.waitForPost(/Ada Lovelace added After Restart/);
    });
  });
});
