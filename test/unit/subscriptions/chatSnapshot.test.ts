import assert from 'node:assert/strict';
import type { ChatState } from '../../../src/model/chat.js';
import { emptyChatState } from '../../../src/model/chat.js';
import { applyBaseline, diffSnapshot, type ChatSnapshot } from '../../../src/subscriptions/chatSnapshot.js';

const CHAT = '19:abc@thread.v2';
const TENANT = 'tenant-1';

function snapshot(members: Array<[string, string | null]>, topic: string | null = 'Ops', takenAt = '2026-03-02T00:00:00.000Z'): ChatSnapshot {
  return {
    chatId: CHAT,
    tenantId: TENANT,
    topic,
    lastUpdatedDateTime: '2026-03-01T12:00:00.000Z',
    members: members.map(([userId, displayName]) => ({ userId, displayName, membershipId: `m-${userId}`, tenantId: TENANT, roles: [] })),
    takenAt,
  };
}

function baseline(): ChatState {
  const state = emptyChatState(CHAT, TENANT);
  state.settings.windowMs = 0;
  return applyBaseline(state, snapshot([['ada', 'Ada'], ['bob', 'Bob']], 'Ops', '2026-03-01T00:00:00.000Z'));
}

describe('chat snapshots', () => {
  describe('applyBaseline', () => {
    it('stores topic and roster with names, and keeps the chat\'s settings', () => {
      const state = baseline();
      assert.equal(state.topic, 'Ops');
      assert.equal(state.baselineAt, '2026-03-01T00:00:00.000Z');
      assert.deepEqual(Object.keys(state.roster).sort(), ['ada', 'bob']);
      assert.equal(state.roster.ada?.displayName, 'Ada');
      assert.equal(state.roster.ada?.present, true);
      assert.equal(state.settings.windowMs, 0);
    });

    it('marks people no longer listed as gone but remembers their names', () => {
      const state = applyBaseline(baseline(), snapshot([['ada', 'Ada']]));
      assert.equal(state.roster.bob?.present, false);
      assert.equal(state.roster.bob?.displayName, 'Bob');
    });

    it('leaves roster entries changed after the snapshot started alone, and ignores Herald itself', () => {
      const state = baseline();
      state.roster.bob = { ...(state.roster.bob as NonNullable<typeof state.roster.bob>), present: false, changedAt: '2026-03-03T00:00:00.000Z' };
      const next = applyBaseline(state, snapshot([['ada', 'Ada'], ['bob', 'Bob'], ['herald-app', 'Herald']]), new Set(['herald-app']));
      assert.equal(next.roster.bob?.present, false);
      assert.equal(next.roster['herald-app'], undefined);
    });
  });

  describe('diffSnapshot', () => {
    const receivedAt = '2026-03-02T00:00:05.000Z';

    it('emits nothing when Graph agrees with the stored state', () => {
      assert.deepEqual(diffSnapshot(baseline(), snapshot([['ada', 'Ada'], ['bob', 'Bob']]), receivedAt), []);
    });

    it('describes joins, leaves and a rename as reconcile change events with names', () => {
      const events = diffSnapshot(baseline(), snapshot([['ada', 'Ada'], ['cy', 'Cy']], 'Ops team'), receivedAt);
      const summary = events
        .map((e) => (e.kind === 'chatUpdated' ? `renamed:${e.chat.topic}` : e.kind === 'messageCreated' ? 'message' : `${e.kind}:${e.member.displayName}`))
        .sort();
      assert.deepEqual(summary, ['memberAdded:Cy', 'memberRemoved:Bob', 'renamed:Ops team']);
      for (const e of events) {
        assert.equal(e.source, 'reconcile');
        assert.equal(e.chatId, CHAT);
        assert.equal(e.tenantId, TENANT);
        assert.equal(e.receivedAt, receivedAt);
      }
    });

    it('gives the same change the same key when diffed twice, and a later real change a new one', () => {
      const state = baseline();
      const first = diffSnapshot(state, snapshot([['ada', 'Ada']]), receivedAt).map((e) => e.changeKey);
      const again = diffSnapshot(state, snapshot([['ada', 'Ada']], 'Ops', '2026-03-02T01:00:00.000Z'), receivedAt).map((e) => e.changeKey);
      assert.deepEqual(again, first);
      const left = applyBaseline(state, snapshot([['ada', 'Ada']]));
      const rejoined = diffSnapshot(left, snapshot([['ada', 'Ada'], ['bob', 'Bob']], 'Ops', '2026-03-04T00:00:00.000Z'), receivedAt);
      assert.equal(rejoined.length, 1);
      assert.notEqual(rejoined[0]?.changeKey, first[0]);
    });

    it('leaves alone what Herald learnt after the snapshot\'s reads started', () => {
      const state = baseline();
      state.roster.cy = { userId: 'cy', displayName: 'Cy', tenantId: TENANT, roles: [], present: true, changedAt: '2026-03-02T00:00:01.000Z' };
      state.roster.bob = { ...(state.roster.bob as NonNullable<typeof state.roster.bob>), present: false, changedAt: '2026-03-02T00:00:02.000Z' };
      assert.deepEqual(diffSnapshot(state, snapshot([['ada', 'Ada'], ['bob', 'Bob']]), receivedAt), []);
    });

    it('does not undo a topic Herald already knows to be newer', () => {
      const state = { ...baseline(), topic: 'Newer', topicUpdatedAt: '2026-03-05T00:00:00.000Z' };
      assert.deepEqual(diffSnapshot(state, snapshot([['ada', 'Ada'], ['bob', 'Bob']], 'Ops'), receivedAt), []);
    });
  });
});
