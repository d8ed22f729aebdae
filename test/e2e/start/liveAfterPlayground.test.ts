import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LowdbStore } from '../../../src/storage/LowdbStore.js';
import { playgroundHeraldDir } from '../../../sim/playground/playgroundConfig.js';
import { makeLegacyPlaygroundDataDir } from '../../support/playground/legacyLayout.js';
import { startHeraldProcess } from '../../support/process/heraldProcess.js';

async function countRecords(dir: string): Promise<{ installations: number; subscriptions: number }> {
  const store = await LowdbStore.openFile(dir);
  try {
    return { installations: store.installations.list().length, subscriptions: store.subscriptions.list().length };
  } finally {
    await store.close();
  }
}

describe('npm start live on a DATA_DIR an older playground used', function () {
  this.timeout(90_000);
  let dataDir: string;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'herald-live-after-pg-'));
    await makeLegacyPlaygroundDataDir(dataDir);
  });

  after(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('starts without the simulated chat: its records are moved into DATA_DIR/playground/herald first', async () => {
    const before = await countRecords(dataDir);
    assert.ok(before.installations === 1 && before.subscriptions > 0, 'the old layout holds the simulated chat and its subscriptions');
    const run = startHeraldProcess(dataDir, dataDir, {
      AAD_APP_CLIENT_ID: randomUUID(),
      AAD_APP_CLIENT_SECRET: 'secret-for-this-test',
      AAD_APP_TENANT_ID: randomUUID(),
      BOT_AUTH: 'off',
      PUBLIC_URL: 'https://herald.example.invalid',
      // Nothing answers here: a call on behalf of the simulated tenant could not go anywhere real.
      AAD_AUTHORITY_HOST: 'https://127.0.0.1:9',
      GRAPH_ENDPOINT: 'https://127.0.0.1:9',
      LOG_LEVEL: 'info',
    });
    try {
      const url = await run.url;
      const health = (await (await fetch(new URL('/healthz', url))).json()) as { installations: { installed: number } };
      assert.equal(health.installations.installed, 0, 'live Herald knows no installation');
      assert.doesNotMatch(run.output(), /127\.0\.0\.1:9/, 'live Herald called neither login nor Graph');
    } finally {
      run.child.kill('SIGTERM');
    }
    assert.equal(await run.exit, 0, run.output());
    assert.deepEqual(await countRecords(dataDir), { installations: 0, subscriptions: 0 });
    assert.deepEqual(await countRecords(playgroundHeraldDir(dataDir)), before, 'the playground keeps its records for its next start');
  });
});
