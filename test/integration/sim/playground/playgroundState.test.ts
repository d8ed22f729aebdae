import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { access, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../../src/log/createLogger.js';
import { LowdbStore } from '../../../../src/storage/LowdbStore.js';
import { playgroundHeraldDir } from '../../../../sim/playground/playgroundConfig.js';
import { separateLegacyPlaygroundState } from '../../../../sim/playground/separateLegacyPlaygroundState.js';
import { makeLegacyPlaygroundDataDir } from '../../../support/playground/legacyLayout.js';
import { startPlaygroundRun, type PlaygroundRun } from '../../../support/playground/playgroundHarness.js';

const exists = (path: string) => access(path).then(() => true, () => false);

async function addLiveRecords(dataDir: string): Promise<{ chatId: string; subscriptionId: string }> {
  const store = await LowdbStore.openFile(dataDir);
  const tenantId = randomUUID();
  const chatId = `19:${randomUUID().replace(/-/g, '')}@thread.v2`;
  const subscriptionId = randomUUID();
  const now = new Date().toISOString();
  await store.installations.put(chatId, {
    chatId, tenantId, serviceUrl: 'https://smba.trafficmanager.net/emea/', conversationReference: {}, status: 'installed',
    installedAt: now, uninstalledAt: null, uninstallReason: null, lastActivityAt: now,
  });
  await store.subscriptions.put(subscriptionId, {
    id: subscriptionId, kind: 'chatMembers', tenantId, chatId, resource: `/chats/${chatId}/members`, changeType: 'created,deleted',
    clientState: randomUUID(), expirationDateTime: now, encryptionCertificateId: null, createdAt: now, lastRenewedAt: null, lastNotificationAt: null, lastError: null,
  });
  await store.close();
  return { chatId, subscriptionId };
}

describe('where the playground keeps its state', function () {
  this.timeout(60_000);
  let run: PlaygroundRun | undefined;
  let dirs: string[] = [];

  afterEach(async () => {
    await run?.close().catch(() => undefined);
    run = undefined;
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
    dirs = [];
  });

  async function freshDataDir(): Promise<string> {
    const dataDir = await mkdtemp(join(tmpdir(), 'herald-pgstate-'));
    dirs.push(dataDir);
    return dataDir;
  }

  async function legacyDataDir(): Promise<string> {
    const dataDir = await freshDataDir();
    await makeLegacyPlaygroundDataDir(dataDir);
    return dataDir;
  }

  it('keeps Herald’s storage under DATA_DIR/playground/herald and nothing of it in DATA_DIR itself', async () => {
    const dataDir = await freshDataDir();
    run = await startPlaygroundRun({ dataDir });
    await run.installWithWindowZero();
    await run.close({ keepData: true });
    run = undefined;
    assert.deepEqual(await readdir(dataDir), ['playground']);
    assert.ok(await exists(join(playgroundHeraldDir(dataDir), 'store')));
    const store = await LowdbStore.openFile(playgroundHeraldDir(dataDir));
    assert.equal(store.installations.list().length, 1, 'the playground chat is installed in the playground’s store');
    await store.close();
  });

  it('moves an older playground’s Herald files out of DATA_DIR, and the playground resumes with them', async () => {
    const dataDir = await legacyDataDir();
    assert.equal(await separateLegacyPlaygroundState(dataDir, silentLogger()), 'moved');
    assert.deepEqual(await readdir(dataDir), ['playground'], 'nothing left for a live start to act on');
    run = await startPlaygroundRun({ dataDir });
    assert.equal((await run.pg.herald.context.registry.listInstalled()).length, 1, 'Herald still knows it is installed');
    await run.control('POST', 'messages', { text: '@Herald status' });
    await run.waitForPost(/Herald status/);
  });

  it('removes only the simulated world’s records when live records share the older DATA_DIR', async () => {
    const dataDir = await legacyDataDir();
    const live = await addLiveRecords(dataDir);
    assert.equal(await separateLegacyPlaygroundState(dataDir, silentLogger()), 'removed');
    const store = await LowdbStore.openFile(dataDir);
    try {
      assert.deepEqual(store.installations.list().map((i) => i.chatId), [live.chatId]);
      assert.deepEqual(store.subscriptions.list().map((s) => s.id), [live.subscriptionId]);
    } finally {
      await store.close();
    }
    assert.equal(await separateLegacyPlaygroundState(dataDir, silentLogger()), 'none', 'a second start finds nothing to do');
  });

  it('leaves a DATA_DIR alone when no playground ever ran there', async () => {
    const dataDir = await freshDataDir();
    const live = await addLiveRecords(dataDir);
    assert.equal(await separateLegacyPlaygroundState(dataDir, silentLogger()), 'none');
    const store = await LowdbStore.openFile(dataDir);
    assert.deepEqual(store.installations.list().map((i) => i.chatId), [live.chatId]);
    await store.close();
  });
});
