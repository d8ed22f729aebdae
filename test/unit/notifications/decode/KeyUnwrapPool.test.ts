import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { constants, publicEncrypt, randomBytes, X509Certificate } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { generateNotificationCertificate } from '../../../../src/certificates/generateNotificationCertificate.js';
import { notificationKeyFromPem, type NotificationKey } from '../../../../src/certificates/NotificationKey.js';
import { NotificationKeyRing } from '../../../../src/certificates/NotificationKeyRing.js';
import { silentLogger } from '../../../../src/log/createLogger.js';
import { decryptResourceData, decryptResourceDataWith, unwrapDataKey } from '../../../../src/notifications/decode/decryptResourceData.js';
import { KeyUnwrapPool, type KeyUnwrapPoolOptions } from '../../../../src/notifications/decode/KeyUnwrapPool.js';
import { spawnKeyUnwrapWorker } from '../../../../src/notifications/decode/spawnKeyUnwrapWorker.js';
import { encryptResourceData } from '../../../../sim/doubles/graph/encryption.js';

function wrapFor(key: NotificationKey, symmetricKey = randomBytes(32)): { symmetricKey: Buffer; wrapped: Buffer } {
  const publicKey = new X509Certificate(Buffer.from(key.certificateBase64, 'base64')).publicKey;
  return { symmetricKey, wrapped: publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, symmetricKey) };
}

describe('KeyUnwrapPool', () => {
  let current: NotificationKey;
  let previous: NotificationKey;
  const pools: KeyUnwrapPool[] = [];

  before(async () => {
    const now = new Date();
    current = notificationKeyFromPem({ ...(await generateNotificationCertificate({ now, validityDays: 30 })), id: 'herald-new', source: 'test' });
    previous = notificationKeyFromPem({ ...(await generateNotificationCertificate({ now, validityDays: 30 })), id: 'herald-old', source: 'test' });
  });
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.close()));
  });

  /** A pool whose started workers the test can reach. */
  function pool(options: Partial<KeyUnwrapPoolOptions> = {}): { pool: KeyUnwrapPool; workers: Worker[] } {
    const workers: Worker[] = [];
    const spawn = options.spawn ?? spawnKeyUnwrapWorker;
    const created = new KeyUnwrapPool({
      size: 2,
      log: silentLogger(),
      ...options,
      spawn: () => {
        const worker = spawn();
        workers.push(worker);
        return worker;
      },
    });
    pools.push(created);
    return { pool: created, workers };
  }

  it('opens data keys in worker threads exactly as the inline unwrap does, for every key of the ring', async () => {
    const { pool: unwrapper } = pool();
    const items = [current, previous, current].map((key) => ({ key, ...wrapFor(key) }));
    const opened = await Promise.all(items.map(({ key, wrapped }) => unwrapper.unwrap(key, wrapped)));
    assert.deepEqual(opened, items.map(({ symmetricKey }) => symmetricKey));
    assert.deepEqual(opened, items.map(({ key, wrapped }) => unwrapDataKey(key.privateKey, wrapped)));
    assert.equal(unwrapper.stats.inline, 0);
  });

  it('sends items requested together in a few messages, spread over the workers', async () => {
    const { pool: unwrapper, workers } = pool({ maxBatch: 32 });
    const items = Array.from({ length: 100 }, () => ({ key: current, ...wrapFor(current) }));
    const opened = await Promise.all(items.map(({ key, wrapped }) => unwrapper.unwrap(key, wrapped)));
    assert.deepEqual(opened, items.map(({ symmetricKey }) => symmetricKey));
    assert.equal(unwrapper.stats.items, 100);
    assert.ok(unwrapper.stats.messages <= 4, `${unwrapper.stats.messages} messages`);
    assert.equal(workers.length, 2);
  });

  it('sends each private key to a worker once, not with every message', async () => {
    const { pool: unwrapper, workers } = pool({ size: 1 });
    const keyMessages: string[] = [];
    for (let round = 0; round < 3; round++) {
      const pending = [current, previous].map((key) => unwrapper.unwrap(key, wrapFor(key).wrapped));
      const worker = workers[0];
      if (worker && keyMessages.length === 0) {
        const post = worker.postMessage.bind(worker);
        worker.postMessage = (message: { type: string; thumbprint?: string }, ...rest: never[]) => {
          if (message.type === 'key') keyMessages.push(message.thumbprint ?? '');
          post(message, ...rest);
        };
      }
      await Promise.all(pending);
    }
    // The first round's keys went before the spy was in place; later rounds sent none.
    assert.deepEqual(keyMessages, []);
    assert.equal(unwrapper.stats.messages, 3);
  });

  it('answers null for a data key that does not open, as the inline unwrap does', async () => {
    const { pool: unwrapper } = pool();
    const forOther = wrapFor(previous).wrapped;
    assert.equal(await unwrapper.unwrap(current, forOther), null);
    assert.equal(await unwrapper.unwrap(current, randomBytes(256)), null);
  });

  it('gives the same decryption error as the inline path for content under the wrong key', async () => {
    const { pool: unwrapper } = pool();
    const ring = new NotificationKeyRing([current]);
    const publicKey = new X509Certificate(Buffer.from(previous.certificateBase64, 'base64')).publicKey;
    // Names Herald's certificate, but the data key was wrapped for another one.
    const content = { ...encryptResourceData({ id: 'x' }, { publicKey, thumbprint: current.thumbprint }, current.id) };
    const inline = decryptResourceData(content, ring);
    assert.equal(inline.ok, false);
    assert.deepEqual(await decryptResourceDataWith(content, ring, unwrapper), inline);
  });

  it('replaces a worker killed mid-flight and still unwraps all of its items', async () => {
    const { pool: unwrapper, workers } = pool();
    const items = Array.from({ length: 60 }, () => ({ key: current, ...wrapFor(current) }));
    const pending = Promise.all(items.map(({ key, wrapped }) => unwrapper.unwrap(key, wrapped)));
    await Promise.resolve(); // the pool has handed the items to its workers
    assert.equal(workers.length, 2);
    await (workers[0] as Worker).terminate();
    assert.deepEqual(await pending, items.map(({ symmetricKey }) => symmetricKey));
    assert.equal(unwrapper.stats.workerDeaths, 1);
    assert.equal(workers.length, 3);

    const after = wrapFor(current);
    assert.deepEqual(await unwrapper.unwrap(current, after.wrapped), after.symmetricKey);
    assert.ok(unwrapper.usesWorkers);
  });

  it('unwraps on the main thread when its workers cannot run, instead of failing items', async () => {
    const broken = () => new Worker('throw new Error("no worker here")', { eval: true });
    const { pool: unwrapper } = pool({ spawn: broken });
    const items = Array.from({ length: 5 }, () => ({ key: current, ...wrapFor(current) }));
    const opened = await Promise.all(items.map(({ key, wrapped }) => unwrapper.unwrap(key, wrapped)));
    assert.deepEqual(opened, items.map(({ symmetricKey }) => symmetricKey));
    assert.equal(unwrapper.usesWorkers, false);
    assert.equal(unwrapper.stats.inline, 5);
  });

  it('starts every worker on warm(), before any item, and uses those same workers', async () => {
    const { pool: unwrapper, workers } = pool();
    unwrapper.warm();
    assert.equal(workers.length, 2);
    await Promise.all(Array.from({ length: 10 }, () => unwrapper.unwrap(current, wrapFor(current).wrapped)));
    assert.equal(workers.length, 2);
    assert.equal(unwrapper.stats.inline, 0);
  });

  it('unwraps inline with size 0 and starts no worker', async () => {
    const { pool: unwrapper, workers } = pool({ size: 0 });
    const item = wrapFor(current);
    assert.deepEqual(await unwrapper.unwrap(current, item.wrapped), item.symmetricKey);
    assert.equal(workers.length, 0);
  });

  it('ends its workers on close, and still answers afterwards', async () => {
    const { pool: unwrapper, workers } = pool();
    await Promise.all(Array.from({ length: 4 }, () => unwrapper.unwrap(current, wrapFor(current).wrapped)));
    const exited = workers.map((worker) => new Promise((resolve) => worker.once('exit', resolve)));
    await unwrapper.close();
    await Promise.all(exited);
    const item = wrapFor(current);
    assert.deepEqual(await unwrapper.unwrap(current, item.wrapped), item.symmetricKey);
  });

  describe('leaves nothing that keeps the process alive', () => {
    const script = fileURLToPath(new URL('./keyUnwrapPoolExit.fixture.ts', import.meta.url));
    const run = async (mode: string) => (await promisify(execFile)(process.execPath, ['--import', 'tsx', script, mode], { timeout: 30_000 })).stdout.trim();

    it('once closed', async function () {
      this.timeout(40_000);
      assert.equal(await run('closed'), 'unwrapped 8 in workers, closed');
    });

    it('when left open and idle after answering', async function () {
      this.timeout(40_000);
      assert.equal(await run('idle'), 'unwrapped 8 in workers, idle');
    });

    it('when left open with its workers started (warm) and never used', async function () {
      this.timeout(40_000);
      assert.equal(await run('warmed'), 'warmed, idle');
    });

    it('when closed while its workers still hold items (they are answered inline)', async function () {
      this.timeout(40_000);
      assert.equal(await run('closedInFlight'), 'unwrapped 8 in workers, closedInFlight');
    });
  });
});
