/**
 * Several Herald instances, each its own Node process (so one can be killed with SIGKILL), sharing one
 * PostgreSQL schema behind a round-robin proxy: Graph's notifications, lifecycle events and Teams'
 * activities reach whichever instance is next, as behind a load balancer. The playground's simulated
 * world (Graph, login, Teams) runs in the test process and is driven through its controller.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { PlaygroundController } from '../../../sim/playground/PlaygroundController.js';
import { startSimulatedWorld, type SimulatedWorld } from '../../../sim/playground/startSimulatedWorld.js';
import { silentLogger } from '../../../src/log/createLogger.js';
import { postText, type PostEntry } from '../playground/playgroundHarness.js';
import { testTls } from '../keys/testCredentials.js';
import { startRoundRobinProxy, type RoundRobinProxy } from '../process/roundRobinProxy.js';
import { freshSchema, type TestSchema } from '../storage/testPostgres.js';

export interface Instance {
  id: string;
  port: number;
  child: ChildProcess | null;
  output: string;
}

export interface ScaleOutWorld {
  simulated: SimulatedWorld;
  controller: PlaygroundController;
  proxy: RoundRobinProxy;
  db: TestSchema;
  instances: Instance[];
  posts(): PostEntry[];
  /** What each announcement and reply says. */
  texts(): string[];
  waitForPost(match: RegExp, timeoutMs?: number): Promise<PostEntry>;
  /** Waits until `count` posts match (fails with what was posted). */
  waitForCount(match: RegExp, count: number, timeoutMs?: number): Promise<void>;
  /** SIGKILL: no shutdown, no flush, leases left held. */
  kill(index: number): Promise<void>;
  /** Starts an instance again (same port, same id). */
  start(index: number): Promise<void>;
  close(): Promise<void>;
}

const ROOT = new URL('../../../', import.meta.url).pathname;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** `relayDatabase`: puts something (a relay that can cut the database away) between the instances and PostgreSQL. */
export async function startScaleOutWorld(options: { instances?: number; relayDatabase?: (url: string) => Promise<string> } = {}): Promise<ScaleOutWorld> {
  const count = options.instances ?? 3;
  const dir = await mkdtemp(join(tmpdir(), 'herald-scale-out-'));
  const tls = await testTls();
  const caFile = join(dir, 'ca.pem');
  await writeFile(caFile, tls.caCertPem);
  const db = await freshSchema('scaleout');
  const simulated = await startSimulatedWorld({ tls, log: silentLogger(), graph: { delivery: { retryDelaysMs: [200, 500, 1_000, 2_000, 4_000, 8_000, 8_000, 8_000, 8_000] } } });
  const instances: Instance[] = [];
  for (let i = 0; i < count; i++) instances.push({ id: `herald-${i + 1}`, port: await freePort(), child: null, output: '' });
  const proxy = await startRoundRobinProxy(instances.map((instance) => `http://127.0.0.1:${instance.port}`));
  const publicUrl = proxy.url;
  simulated.connectHerald(publicUrl);
  const controller = new PlaygroundController({ simulated, publicUrl, log: silentLogger() });
  const url = new URL(db.url);
  url.searchParams.set('options', `-c search_path=${db.schema}`);
  const databaseUrl = options.relayDatabase ? await options.relayDatabase(url.toString()) : url.toString();

  const start = async (index: number): Promise<void> => {
    const instance = instances[index] as Instance;
    instance.output = '';
    // What npm start runs, compiled (test/support/buildHerald.ts), trusting the doubles' loopback CA as an
    // operator would trust a private CA.
    const child = spawn(process.execPath, [join(ROOT, 'dist/bin/herald.js')], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '',
        ...simulated.env(publicUrl),
        PORT: String(instance.port),
        HOST: '127.0.0.1',
        DATA_DIR: join(dir, instance.id),
        DATABASE_URL: databaseUrl,
        HERALD_INSTANCE_ID: instance.id,
        BOT_AUTH: 'off',
        LOG_LEVEL: 'info',
        NODE_EXTRA_CA_CERTS: caFile,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    instance.child = child;
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        instance.output += chunk.toString('utf8');
        if (/"msg":"Herald is listening"/.test(instance.output)) resolve();
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => reject(new Error(`${instance.id} exited (${String(code)}) before it was ready:\n${instance.output}`)));
    });
  };

  const posts = () => simulated.timeline.entries().filter((e): e is PostEntry => e.kind === 'post');
  const world: ScaleOutWorld = {
    simulated,
    controller,
    proxy,
    db,
    instances,
    posts,
    texts: () => posts().map(postText),
    waitForPost: async (match, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = posts().find((p) => match.test(postText(p)));
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no post matching ${String(match)} within ${timeoutMs} ms; posts: ${JSON.stringify(world.texts())}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    waitForCount: async (match, wanted, timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = world.texts().filter((t) => match.test(t)).length;
        if (found >= wanted) return;
        if (Date.now() > deadline) throw new Error(`${found} of ${wanted} posts matching ${String(match)} within ${timeoutMs} ms; posts: ${JSON.stringify(world.texts())}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    kill: async (index) => {
      const child = instances[index]?.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
    start,
    close: async () => {
      await Promise.all(instances.map((_, i) => world.kill(i)));
      controller.close();
      await proxy.stop();
      await simulated.close();
      await db.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(instances.map((_, i) => start(i)));
  } catch (error) {
    await world.close().catch(() => undefined);
    throw error;
  }
  return world;
}
