import assert from 'node:assert/strict';
import { ChatStateUpdater } from '../../../src/announcements/ChatStateUpdater.js';
import type { ChangeEvent, ChatProperties } from '../../../src/model/changeEvents.js';
import type { ChatMember, ChatState } from '../../../src/model/chat.js';
import { emptyChatState } from '../../../src/model/chat.js';

const TENANT = '11111111-0000-4000-8000-000000000001';
const GUEST_HOME = '22222222-0000-4000-8000-000000000002';
const CHAT = '19:0123456789abcdef0123456789abcdef@thread.v2';
const BOT_APP_ID = '33333333-0000-4000-8000-000000000003';
const ALICE = 'aaaaaaaa-0000-4000-8000-00000000000a';
const BOB = 'bbbbbbbb-0000-4000-8000-00000000000b';

const T = (s: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, s)).toISOString();
const membershipId = (userId: string) => Buffer.from(`0##${TENANT}##${CHAT}##${userId}`).toString('base64');
const member = (userId: string, extra: Partial<ChatMember> = {}): ChatMember => ({ userId, displayName: null, tenantId: TENANT, roles: [], membershipId: membershipId(userId), ...extra });

const common = (at: string) => ({ tenantId: TENANT, chatId: CHAT, changeKey: `k-${at}`, source: 'notification' as const, receivedAt: at });
const added = (m: ChatMember, at: string): ChangeEvent => ({ ...common(at), kind: 'memberAdded', member: m, at });
const removed = (m: { userId?: string; membershipId?: string }, at: string): ChangeEvent => ({ ...common(at), kind: 'memberRemoved', member: m, at });
const updated = (chat: ChatProperties, receivedAt = T(59)): ChangeEvent => ({ ...common(receivedAt), kind: 'chatUpdated', chat });

/** A chat whose baseline was taken: topic "Alpha" as of T(0), Alice present. */
function knownChat(): ChatState {
  return {
    ...emptyChatState(CHAT, TENANT),
    topic: 'Alpha',
    topicUpdatedAt: T(0),
    baselineAt: T(0),
    roster: { [ALICE]: { ...member(ALICE, { displayName: 'Alice Example' }), present: true, changedAt: T(0) } },
  };
}

describe('chat state updater', () => {
  const updater = new ChatStateUpdater({ ownIds: [BOT_APP_ID] });

  describe('membership', () => {
    it('records a join and reports it once; the same join again changes nothing', () => {
      const first = updater.apply(knownChat(), added(member(BOB), T(10)));
      assert.equal(first.outcome, 'applied');
      assert.deepEqual(first.changes, [{ kind: 'joined', at: T(10), person: { userId: BOB, displayName: null, guest: false, external: false }, source: 'graph' }]);
      assert.equal(first.state.roster[BOB].present, true);
      const again = updater.apply(first.state, added(member(BOB), T(11)));
      assert.equal(again.outcome, 'unchanged');
      assert.deepEqual(again.changes, []);
    });

    it('keeps where a join was heard of: Teams\' bot event, or Graph (a notification or a reconcile)', () => {
      assert.deepEqual(updater.apply(knownChat(), { ...added(member(BOB), T(10)), source: 'bot' }).changes, [{ kind: 'joined', at: T(10), person: { userId: BOB, displayName: null, guest: false, external: false }, source: 'bot' }]);
      assert.deepEqual(updater.apply(knownChat(), { ...added(member(BOB), T(10)), source: 'reconcile' }).changes, [{ kind: 'joined', at: T(10), person: { userId: BOB, displayName: null, guest: false, external: false }, source: 'graph' }]);
    });

    it('keeps people who left in the roster with their name, and a second leave changes nothing', () => {
      const gone = updater.apply(knownChat(), removed({ userId: ALICE }, T(10)));
      assert.deepEqual(gone.changes, [{ kind: 'left', at: T(10), person: { userId: ALICE, displayName: 'Alice Example', guest: false, external: false }, source: 'graph' }]);
      assert.equal(gone.state.roster[ALICE].present, false);
      assert.equal(gone.state.roster[ALICE].displayName, 'Alice Example');
      assert.equal(updater.apply(gone.state, removed({ userId: ALICE }, T(12))).outcome, 'unchanged');
    });

    it('finds who left from the membership id alone, through the roster', () => {
      const state = knownChat();
      state.roster[ALICE].membershipId = 'opaque-id-from-graph';
      const result = updater.apply(state, removed({ membershipId: 'opaque-id-from-graph' }, T(10)));
      assert.equal(result.changes[0]?.kind, 'left');
      assert.equal(result.state.roster[ALICE].present, false);
    });

    it('decodes the membership id only when the roster does not know it', () => {
      const result = updater.apply(knownChat(), removed({ membershipId: membershipId(BOB) }, T(10)));
      assert.deepEqual(result.changes.map((c) => c.kind === 'left' && c.person.userId), [BOB]);
    });

    it('ignores a removal it cannot attribute to anyone', () => {
      assert.equal(updater.apply(knownChat(), removed({ membershipId: 'bm90IGEgbWVtYmVyc2hpcA==' }, T(10))).outcome, 'ignored');
    });

    it('never lets a late join roll back a newer leave', () => {
      const gone = updater.apply(knownChat(), removed({ userId: ALICE }, T(20))).state;
      const late = updater.apply(gone, added(member(ALICE), T(5)));
      assert.equal(late.outcome, 'stale');
      assert.equal(late.state.roster[ALICE].present, false);
    });

    it('never lets a late leave undo a newer rejoin', () => {
      let state = updater.apply(knownChat(), removed({ userId: ALICE }, T(10))).state;
      state = updater.apply(state, added(member(ALICE), T(20))).state;
      const late = updater.apply(state, removed({ userId: ALICE }, T(15)));
      assert.equal(late.outcome, 'stale');
      assert.equal(late.state.roster[ALICE].present, true);
    });

    it('marks guests and people from another tenant', () => {
      const guest = updater.apply(knownChat(), added(member(BOB, { roles: ['Guest'], tenantId: GUEST_HOME }), T(10)));
      assert.deepEqual(guest.changes[0]?.kind === 'joined' && guest.changes[0].person, { userId: BOB, displayName: null, guest: true, external: false });
      const external = updater.apply(knownChat(), added(member(BOB, { tenantId: GUEST_HOME }), T(10)));
      assert.deepEqual(external.changes[0]?.kind === 'joined' && external.changes[0].person, { userId: BOB, displayName: null, guest: false, external: true });
    });

    it('ignores Herald itself joining or leaving', () => {
      assert.equal(updater.apply(knownChat(), added(member(BOT_APP_ID), T(10))).outcome, 'ignored');
      assert.equal(updater.apply(knownChat(), added(member(`28:${BOT_APP_ID}`), T(10))).outcome, 'ignored');
      assert.equal(updater.apply(knownChat(), removed({ userId: BOT_APP_ID }, T(10))).outcome, 'ignored');
    });

    it('ignores messages, Herald posts included', () => {
      const message: ChangeEvent = { ...common(T(10)), kind: 'messageCreated', messageId: '1700000000000' };
      assert.equal(updater.apply(knownChat(), message).outcome, 'ignored');
    });
  });

  describe('topic', () => {
    it('reports a rename with the old and new topic', () => {
      const result = updater.apply(knownChat(), updated({ topic: 'Beta', lastUpdatedDateTime: T(10) }));
      assert.deepEqual(result.changes, [{ kind: 'renamed', at: T(10), from: 'Alpha', to: 'Beta' }]);
      assert.equal(result.state.topic, 'Beta');
      assert.equal(result.state.topicUpdatedAt, T(10));
    });

    it('treats an update with the same topic as no change (member changes, previews)', () => {
      const result = updater.apply(knownChat(), updated({ topic: 'Alpha', lastUpdatedDateTime: T(10) }));
      assert.deepEqual(result.changes, []);
      assert.equal(result.state.topicUpdatedAt, T(10));
    });

    it('does not read a missing topic as a change', () => {
      const result = updater.apply(knownChat(), updated({ lastUpdatedDateTime: T(10), chatType: 'group' }));
      assert.equal(result.outcome, 'ignored');
      assert.equal(result.state.topic, 'Alpha');
    });

    it('ignores user-specific (viewpoint) payloads even when they carry a topic', () => {
      const result = updater.apply(knownChat(), updated({ topic: 'Something else', lastUpdatedDateTime: T(10), viewpoint: { isHidden: false } }));
      assert.equal(result.outcome, 'ignored');
      assert.equal(result.state.topic, 'Alpha');
    });

    it('never rolls the topic back to an older update, whatever order Graph delivers in', () => {
      let state = updater.apply(knownChat(), updated({ topic: 'Gamma', lastUpdatedDateTime: T(20) })).state;
      const late = updater.apply(state, updated({ topic: 'Beta', lastUpdatedDateTime: T(10) }));
      assert.equal(late.outcome, 'stale');
      assert.deepEqual(late.changes, []);
      state = late.state;
      assert.equal(state.topic, 'Gamma');
    });

    it('compares times with offsets as instants', () => {
      const state = updater.apply(knownChat(), updated({ topic: 'Gamma', lastUpdatedDateTime: '2026-01-01T12:00:20Z' })).state;
      // 17:30:10+05:30 is 12:00:10Z: older.
      assert.equal(updater.apply(state, updated({ topic: 'Beta', lastUpdatedDateTime: '2026-01-01T17:30:10+05:30' })).outcome, 'stale');
    });

    it('reports "topic set" and "topic cleared" as renames from and to no topic', () => {
      const cleared = updater.apply(knownChat(), updated({ topic: null, lastUpdatedDateTime: T(10) }));
      assert.deepEqual(cleared.changes, [{ kind: 'renamed', at: T(10), from: 'Alpha', to: null }]);
      const set = updater.apply(cleared.state, updated({ topic: 'Beta', lastUpdatedDateTime: T(20) }));
      assert.deepEqual(set.changes, [{ kind: 'renamed', at: T(20), from: null, to: 'Beta' }]);
    });

    it('adopts the first topic of a chat it never knew, without announcing a rename', () => {
      const result = updater.apply(emptyChatState(CHAT, TENANT), updated({ topic: 'Alpha', lastUpdatedDateTime: T(10) }));
      assert.deepEqual(result.changes, []);
      assert.equal(result.state.topic, 'Alpha');
    });
  });
});
