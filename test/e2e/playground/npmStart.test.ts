import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startHeraldProcess as startHerald, type HeraldProcess } from '../../support/process/heraldProcess.js';

describe('npm start without credentials', function () {
  this.timeout(90_000);
  let workDir: string;
  let running: HeraldProcess | undefined;

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'herald-start-'));
  });

  afterEach(async () => {
    if (running && running.child.exitCode === null) {
      running.child.kill('SIGKILL');
      await running.exit;
    }
    running = undefined;
  });

  after(async () => {
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('prints the playground URL, serves the page and /healthz, and exits 0 on SIGTERM', async () => {
    const dataDir = join(workDir, 'data');
    running = startHerald(workDir, dataDir);
    const url = await running.url;

    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Herald playground/);
    const health = await fetch(new URL('/healthz', url));
    assert.equal(health.status, 200);
    const body = (await health.json()) as { status: string; notifications?: unknown };
    assert.equal(body.status, 'ok');
    assert.ok(body.notifications, 'health reports notification counts');

    running.child.kill('SIGTERM');
    assert.equal(await running.exit, 0, running.output());
    const saved = JSON.parse(await readFile(join(dataDir, 'playground', 'playground.json'), 'utf8')) as { meta: { chatId: string } };
    assert.match(saved.meta.chatId, /^19:[0-9a-f]{32}@thread\.v2$/, 'the simulated world was saved under DATA_DIR/playground');
    assert.deepEqual(await readdir(dataDir), ['playground'], 'everything, Herald’s storage included, is under DATA_DIR/playground');
    assert.ok((await readdir(join(dataDir, 'playground', 'herald'))).includes('certificates'), 'Herald’s generated certificate is in the playground’s Herald folder');
  });

  it('resumes the same chat when started again on the same DATA_DIR', async () => {
    // Its own DATA_DIR and first run: no reliance on another test's state.
    const dataDir = join(workDir, 'resume');
    const first = startHerald(workDir, dataDir);
    running = first;
    await first.url;
    first.child.kill('SIGTERM');
    assert.equal(await first.exit, 0, first.output());
    const before = JSON.parse(await readFile(join(dataDir, 'playground', 'playground.json'), 'utf8')) as { meta: { chatId: string } };
    running = startHerald(workDir, dataDir);
    const url = await running.url;
    const state = (await (await fetch(new URL('api/state', url))).json()) as { chat: { chatId: string } };
    assert.equal(state.chat.chatId, before.meta.chatId);
    running.child.kill('SIGINT');
    assert.equal(await running.exit, 0, running.output());
  });

  it('says which port is busy and how to fix it, and exits non-zero', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      running = startHerald(workDir, join(workDir, 'busy'), { PORT: String(port) });
      assert.equal(await running.exit, 1);
      assert.match(running.output(), new RegExp(`port ${port} is in use: stop the other process or set PORT`));
      assert.doesNotMatch(running.output(), /EADDRINUSE|at .*\(/, 'a plain message, not a stack');
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
