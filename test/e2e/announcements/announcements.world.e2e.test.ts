import assert from 'node:assert/strict';
import type { MemberView, PlaygroundView } from '../../../sim/playground/PlaygroundController.js';
import { SEED_PEOPLE } from '../../../sim/playground/seedPlayground.js';
import { cardTexts, postText, startPlaygroundRun, type PlaygroundRun } from '../../support/playground/playgroundHarness.js';

/**
 * The whole loop, as in production: people change in the simulated world → the Graph double sends
 * encrypted change notifications (per-chat and tenant-wide subscriptions, so most changes arrive twice)
 * → Herald's notification pipeline → announcements → the Teams double's Bot Connector. Membership
 * payloads carry `displayName: null`, as Graph's do.
 */
describe('announcements end to end (simulated world → Graph double → Herald → Teams double)', function () {
  this.timeout(90_000);
  let run: PlaygroundRun;

  const chatId = () => run.pg.simulated.chatId;
  const addMember = (name: string, kind: MemberView['kind'] = 'member') => run.control<MemberView>('POST', 'members', { name, kind });
  const removeMember = async (name: string) => {
    const { body } = await run.api<PlaygroundView>('GET', 'state');
    const member = body.chat.members.find((m) => m.name === name);
    assert.ok(member, `${name} is in the chat`);
    await run.control('DELETE', `members/${member.userId}`);
  };
  const cards = () => cardTexts(run.posts());
  const command = async (text: string, answer: RegExp) => {
    await run.control('POST', 'messages', { text: `@Herald ${text}` });
    await run.waitForPost(answer);
  };

  beforeEach(async () => {
    run = await startPlaygroundRun();
    await run.installWithWindowZero();
  });
  afterEach(async () => {
    await run?.close();
  });

  it('summarises a burst inside the window in one post, netting a join and a leave', async () => {
    await command('window 3s', /summary window 3s/);
    for (const name of ['Ada Lovelace', 'Alan Turing', 'Barbara Liskov', 'Edsger Dijkstra']) await addMember(name);
    // Tim leaves once Herald has heard of his joining (Graph names nobody; Herald asks while he is there).
    const joinedIds = new Set<string>();
    let onJoin: () => void = () => {};
    const off = run.pg.herald.context.events.on('changes', (unit) =>
      unit.afterCommit(() => {
        for (const event of unit.changes) if (event.kind === 'memberAdded') joinedIds.add(event.member.userId);
        onJoin();
      }),
    );
    const tim = await addMember('Tim Temp');
    await new Promise<void>((resolve) => {
      onJoin = () => joinedIds.has(tim.userId) && resolve();
      onJoin();
    });
    off();
    await run.pg.herald.modules.announcements.idle();
    await removeMember('Tim Temp');
    await removeMember(SEED_PEOPLE[2]);
    const post = await run.waitForPost(/ added /);
    await run.pg.settle();
    assert.equal(postText(post), `Ada Lovelace added Ada Lovelace, Alan Turing and 2 others · Tim Temp joined and left · Ada Lovelace removed ${SEED_PEOPLE[2]}`);
    assert.deepEqual(cards(), [postText(post)], 'one post for the whole burst');
  });

  it('names someone who leaves after a restart, although Graph gives no name', async () => {
    await addMember('Grace Hopper');
    await run.waitForPost(/Ada Lovelace added Grace Hopper/);
    await run.restart();
    await removeMember('Grace Hopper');
    await run.waitForPost(/Ada Lovelace removed Grace Hopper/);
    await run.pg.settle();
    assert.deepEqual(cards(), ['Ada Lovelace added Grace Hopper', 'Ada Lovelace removed Grace Hopper']);
  });

  it('announces each change once although two subscriptions report it', async () => {
    await addMember('Ken Thompson');
    await run.control('PUT', 'topic', { topic: 'Release crew' });
    await run.waitForPost(/renamed/);
    await run.pg.settle();
    const items = run.pg.simulated.graphWorld.wire.ofKind('notification').flatMap((n) => n.items);
    const memberItems = items.filter((i) => i.resource?.includes('/members')).length;
    assert.ok(memberItems >= 2, `the join was reported by both subscriptions (${memberItems} items)`);
    assert.equal(cards().filter((t) => t === 'Ada Lovelace added Ken Thompson').length, 1);
    assert.equal(cards().filter((t) => /renamed/.test(t)).length, 1);
  });

  it('retries a post the Bot Connector throttles, and posts it once', async () => {
    run.pg.simulated.teams.connector.failNextPosts({ count: 1, status: 429, conversationId: chatId() });
    await addMember('Dennis Ritchie');
    await run.waitForPost(/Ada Lovelace added Dennis Ritchie/);
    await run.pg.settle();
    const sends = run.pg.simulated.teams.connector.requests(chatId()).filter((r) => r.operation === 'replyToActivity' || r.operation === 'sendToConversation');
    assert.deepEqual(sends.slice(-2).map((r) => r.status), [429, 201]);
    assert.equal(cards().filter((t) => t === 'Ada Lovelace added Dennis Ritchie').length, 1);
  });

  it('marks the chat uninstalled when the Bot Connector answers 403', async () => {
    run.pg.simulated.teams.connector.failNextPosts({ count: 1, status: 403, conversationId: chatId() });
    await addMember('Margaret Hamilton');
    await run.pg.settle();
    assert.equal((await run.pg.herald.context.registry.get(chatId()))?.status, 'uninstalled');
    assert.deepEqual(cards(), []);
  });
});
