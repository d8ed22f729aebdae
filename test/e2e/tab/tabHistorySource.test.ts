import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { ChangeEvent } from '../../../src/model/changeEvents.js';
import type { TabHistoryResponse } from '../../../src/tab/tabApiTypes.js';
import { startTabWorld, type TabWorld } from '../../support/tab/tabWorld.js';
import { applyChange } from '../../support/announcements/applyChange.js';

/** Issue 16: a join or leave Herald heard of from Teams' bot event is marked so in the history, apart from Graph's. */
describe('tab API: where a history entry came from', () => {
  let world: TabWorld;

  beforeEach(async () => {
    world = await startTabWorld();
    // Post at once, so each change reaches the history without waiting for a summary window.
    await world.store.chats.update(world.chatId, (state) => state && { ...state, settings: { ...state.settings, windowMs: 0 } });
  });

  afterEach(async () => {
    await world?.close();
  });

  // Each event a millisecond after the one before at least: the history orders by time, and two events of a
  // test in the same millisecond would tie.
  let last = 0;
  const base = () => {
    last = Math.max(Date.now(), last + 1);
    const at = new Date(last).toISOString();
    return { tenantId: world.tenantId, chatId: world.chatId, receivedAt: at, at };
  };

  async function history(): Promise<TabHistoryResponse> {
    const response = await fetch(`${world.url}/api/tab/chats/${encodeURIComponent(world.chatId)}/history`, { headers: { Authorization: `Bearer ${await world.token(world.ada)}` } });
    assert.equal(response.status, 200);
    return (await response.json()) as TabHistoryResponse;
  }

  async function emit(event: ChangeEvent): Promise<void> {
    await applyChange(world.herald.context, event);
    await world.herald.modules.announcements?.idle();
  }

  it('marks a join from Teams\' conversationUpdate as the bot\'s, and a leave from a Graph notification as Graph\'s', async () => {
    const newcomer = randomUUID();
    await emit({
      ...base(), kind: 'memberAdded', source: 'bot', changeKey: `bot|1|added|${newcomer}`,
      member: { userId: newcomer, displayName: 'Nia Newcomer', tenantId: null, roles: [] }, actor: { userId: world.ada.oid, name: 'Ada Lovelace' },
    });
    await emit({ ...base(), kind: 'memberRemoved', source: 'notification', changeKey: `graph|1|removed|${world.grace.oid}`, member: { userId: world.grace.oid } });

    const { entries } = await history();
    assert.deepEqual(entries.slice(0, 2).map((e) => ({ kind: e.kind, actor: e.actor, source: e.source })), [
      { kind: 'left', actor: 'Grace Hopper', source: 'graph' },
      { kind: 'joined', actor: 'Nia Newcomer', source: 'bot' },
    ]);
  });

  it('names who added or removed someone, as the chat’s announcement does, and no one for a person who left by themselves', async () => {
    const newcomer = randomUUID();
    const ada = { userId: world.ada.oid, name: 'Ada Lovelace' };
    await emit({
      ...base(), kind: 'memberAdded', source: 'bot', changeKey: `bot|2|added|${newcomer}`,
      member: { userId: newcomer, displayName: 'Nia Newcomer', tenantId: null, roles: [] }, actor: ada,
    });
    await emit({ ...base(), kind: 'memberRemoved', source: 'bot', changeKey: `bot|3|removed|${world.grace.oid}`, member: { userId: world.grace.oid, displayName: 'Grace Hopper', tenantId: null, roles: [] }, actor: ada });
    await emit({ ...base(), kind: 'memberRemoved', source: 'bot', changeKey: `bot|4|removed|${newcomer}`, member: { userId: newcomer, displayName: 'Nia Newcomer', tenantId: null, roles: [] }, actor: { userId: newcomer, name: 'Nia Newcomer' } });

    const { entries } = await history();
    assert.deepEqual(entries.slice(0, 3).map((e) => ({ kind: e.kind, actor: e.actor, by: e.by })), [
      { kind: 'left', actor: 'Nia Newcomer', by: null },
      { kind: 'left', actor: 'Grace Hopper', by: 'Ada Lovelace' },
      { kind: 'joined', actor: 'Nia Newcomer', by: 'Ada Lovelace' },
    ]);
  });

  it('shows no source for entries recorded before Herald kept one', async () => {
    const { entries } = await history();
    assert.ok(entries.length > 0);
    assert.deepEqual(new Set(entries.map((e) => e.source)), new Set([null]));
  });
});
