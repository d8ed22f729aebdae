import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compiledWorkerOf } from '../../../../src/notifications/decode/spawnKeyUnwrapWorker.js';

describe('the key unwrap worker run from source', () => {
  let root: string;
  const source = () => pathToFileURL(join(root, 'src/notifications/decode/spawnKeyUnwrapWorker.ts')).href;
  const compiled = () => join(root, 'dist/src/notifications/decode/keyUnwrapWorker.js');
  const setTime = (path: string, seconds: number) => utimes(path, seconds, seconds);

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'herald-worker-source-'));
    await mkdir(join(root, 'src/notifications/decode'), { recursive: true });
    for (const name of ['keyUnwrapWorker.ts', 'decryptResourceData.ts', 'keyUnwrapProtocol.ts']) {
      await writeFile(join(root, 'src/notifications/decode', name), '');
      await setTime(join(root, 'src/notifications/decode', name), 1_000);
    }
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('uses the compiled worker of the last build when no source it runs is newer', async () => {
    await mkdir(join(root, 'dist/src/notifications/decode'), { recursive: true });
    await writeFile(compiled(), '');
    await setTime(compiled(), 2_000);
    assert.equal(compiledWorkerOf(source())?.pathname, compiled());
  });

  it('runs the sources (through tsx) when one of them changed after the build', async () => {
    await mkdir(join(root, 'dist/src/notifications/decode'), { recursive: true });
    await writeFile(compiled(), '');
    await setTime(compiled(), 2_000);
    await setTime(join(root, 'src/notifications/decode/decryptResourceData.ts'), 3_000);
    assert.equal(compiledWorkerOf(source()), null);
  });

  it('runs the sources when nothing was built', () => {
    assert.equal(compiledWorkerOf(source()), null);
  });
});
