import assert from 'node:assert/strict';
import { access, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../../../src/storage/sqlite/SqliteStore.js';
import { playgroundHeraldDir } from '../../../../sim/playground/playgroundConfig.js';
import { startPlaygroundRun, type PlaygroundRun } from '../../../support/playground/playgroundHarness.js';

const exists = (path: string) => access(path).then(() => true, () => false);

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

  it('keeps Herald’s storage under DATA_DIR/playground/herald and nothing of it in DATA_DIR itself', async () => {
    const dataDir = await freshDataDir();
    run = await startPlaygroundRun({ dataDir });
    await run.installWithWindowZero();
    await run.close({ keepData: true });
    run = undefined;
    assert.deepEqual(await readdir(dataDir), ['playground']);
    assert.ok(await exists(join(playgroundHeraldDir(dataDir), 'herald.db')));
    const store = await openSqliteStore(playgroundHeraldDir(dataDir));
    assert.equal(await store.installations.countInstalled(), 1, 'the playground chat is installed in the playground’s store');
    await store.close();
  });
});
