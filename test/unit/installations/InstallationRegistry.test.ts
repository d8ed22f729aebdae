import assert from 'node:assert/strict';
import type { Activity } from 'botbuilder';
import { HeraldEvents } from '../../../src/events/HeraldEvents.js';
import { InstallationRegistry } from '../../../src/installations/InstallationRegistry.js';
import { silentLogger } from '../../../src/log/createLogger.js';
import { openSqliteMemory, type SqliteStore } from '../../../src/storage/sqlite/SqliteStore.js';

const CHAT = '19:0123456789abcdef0123456789abcdef@thread.v2';
const TENANT = '3f2b8c1e-7d44-4a8e-9b1c-2e5f6a7b8c9d';

function activityFrom(name: string): Partial<Activity> {
  return {
    type: 'installationUpdate',
    action: 'add',
    serviceUrl: 'https://smba.trafficmanager.net/emea/',
    from: { id: '29:ada', name },
    recipient: { id: '28:herald', name: 'Herald' },
    conversation: { id: CHAT, conversationType: 'groupChat', tenantId: TENANT, isGroup: true, name: '' },
    channelData: { tenant: { id: TENANT } },
  };
}

describe('installations in the chat history', () => {
  let store: SqliteStore;
  let registry: InstallationRegistry;
  let now: Date;

  beforeEach(async () => {
    store = await openSqliteMemory();
    now = new Date('2026-12-01T10:00:00Z');
    registry = new InstallationRegistry({ store: store, events: new HeraldEvents(() => undefined), clock: () => now, log: silentLogger() });
  });

  it('records Herald being added, naming who added it, once per installation', async () => {
    await registry.touch(activityFrom('Ada Lovelace'));
    now = new Date('2026-12-01T10:01:00Z');
    await registry.touch(activityFrom('Grace Hopper'));
    const entries = await store.history.page(CHAT);
    assert.deepEqual(entries.map((e) => [e.kind, e.actor, e.at]), [['installed', 'Ada Lovelace', '2026-12-01T10:00:00.000Z']]);
  });

  it('records Herald being removed, by whom, and the reason when nobody is named', async () => {
    await registry.touch(activityFrom('Ada Lovelace'));
    now = new Date('2026-12-01T11:00:00Z');
    await registry.markUninstalled(CHAT, 'removed from the chat', TENANT, 'Grace Hopper');
    await registry.markUninstalled(CHAT, 'removed from the chat', TENANT, 'Grace Hopper');
    now = new Date('2026-12-01T12:00:00Z');
    await registry.touch(activityFrom('Ada Lovelace'));
    now = new Date('2026-12-01T13:00:00Z');
    await registry.markUninstalled(CHAT, 'connector answered 403');
    const entries = (await store.history.page(CHAT)).map((e) => [e.kind, e.actor ?? null, e.detail ?? null]);
    assert.deepEqual(entries, [
      ['uninstalled', null, 'connector answered 403'],
      ['installed', 'Ada Lovelace', null],
      ['uninstalled', 'Grace Hopper', null],
      ['installed', 'Ada Lovelace', null],
    ]);
  });
});
