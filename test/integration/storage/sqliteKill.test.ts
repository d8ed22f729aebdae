import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../../src/storage/sqlite/SqliteStore.js';

const WRITER = new URL('../../support/storage/sqliteWriter.ts', import.meta.url).pathname;

describe('the embedded store killed (SIGKILL) in the middle of its writes', function () {
  this.timeout(60_000);
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'herald-kill-'));
  });
  after(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps every write it acknowledged, once, and at most the one in flight besides', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let acked = -1;
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        for (const match of buffered.matchAll(/^ACK (\d+)$/gm)) acked = Math.max(acked, Number(match[1]));
        // Killed once it is well into its writes, wherever it is in the one under way.
        if (acked >= 150) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.once('exit', () => reject(new Error(`the writer exited on its own: ${err}`)));
    }).catch((error: unknown) => {
      if (child.exitCode === null && child.signalCode === null) throw error;
    });
    assert.equal(await exited, 'SIGKILL');

    const store = await openSqliteStore(dataDir);
    try {
      const batches = await store.inbox.count();
      assert.ok(batches >= acked + 1 && batches <= acked + 2, `${batches} batches stored, ${acked + 1} acknowledged`);
      for (let n = 0; n <= acked; n++) assert.ok(await store.inbox.get(`batch-${n}`), `batch ${n} was acknowledged`);
      const entries = await store.history.page('19:kill', { limit: 10_000 });
      const ids = entries.map((e) => e.id);
      assert.equal(new Set(ids).size, ids.length, 'no entry twice');
      assert.equal(entries.length, batches, 'each unit of work whole: its batch and its entry, or neither');
    } finally {
      await store.close();
    }
  });
});
