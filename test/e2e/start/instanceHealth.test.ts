import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHeraldProcess, type HeraldProcess } from '../../support/process/heraldProcess.js';

describe('npm start: instance identity in /healthz', function () {
  this.timeout(120_000);
  let dataDir: string;
  let herald: HeraldProcess | undefined;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'herald-instance-'));
  });
  afterEach(async () => {
    herald?.child.kill('SIGKILL');
    await herald?.exit;
    herald = undefined;
    await rm(dataDir, { recursive: true, force: true });
  });

  it('shows HERALD_INSTANCE_ID and when the instance started', async () => {
    const before = Date.now();
    herald = startHeraldProcess(dataDir, dataDir, { HERALD_INSTANCE_ID: 'herald-blue-1' });
    const base = new URL(await herald.url).origin;
    const health = (await (await fetch(`${base}/healthz`)).json()) as { instance?: { id?: unknown; startedAt?: unknown } };
    assert.equal(health.instance?.id, 'herald-blue-1');
    const startedAt = Date.parse(String(health.instance?.startedAt));
    assert.ok(startedAt >= before - 1_000 && startedAt <= Date.now(), String(health.instance?.startedAt));
  });
});
