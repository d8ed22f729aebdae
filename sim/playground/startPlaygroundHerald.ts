/**
 * Herald in the playground: the simulated world started, Herald built by the normal `createHerald` with
 * the playground wiring as its configuration, the playground page mounted on Herald's server, and the
 * Teams double pointed at Herald. What `npm start` runs without credentials, and what end-to-end tests
 * start (with a temporary DATA_DIR).
 */
import { createServer } from 'node:net';
import type { Logger } from 'pino';
import { createHerald, type HeraldApp, type HeraldOverrides } from '../../src/app/createHerald.js';
import type { HeraldConfig } from '../../src/config/HeraldConfig.js';
import type { LoopbackCa } from '../doubles/tls/loopbackCa.js';
import type { StartGraphWorldOptions } from '../doubles/world/startGraphWorld.js';
import { PlaygroundController } from './PlaygroundController.js';
import { playgroundConfig } from './playgroundConfig.js';
import { registerPlaygroundRoutes, type PlaygroundRoutes } from './playgroundRoutes.js';
import { startSimulatedWorld, type SimulatedWorld } from './startSimulatedWorld.js';

export interface StartPlaygroundHeraldOptions {
  /** Herald's configuration from the environment (mode `playground`): port, host, DATA_DIR, log level. */
  config: HeraldConfig;
  log: Logger;
  clock?: () => Date;
  /** Share one CA between runs (tests). */
  tls?: LoopbackCa;
  graph?: StartGraphWorldOptions['graph'];
  login?: StartGraphWorldOptions['login'];
  /** Passed to createHerald (tests inject a clock or store). */
  overrides?: HeraldOverrides;
  publicDir?: string;
}

export interface PlaygroundHerald {
  herald: HeraldApp;
  simulated: SimulatedWorld;
  controller: PlaygroundController;
  routes: PlaygroundRoutes;
  /** Herald's base URL, e.g. `http://127.0.0.1:3978` (also its PUBLIC_URL). */
  url: string;
  /** The page: `<url>/playground/`. */
  playgroundUrl: string;
  config: HeraldConfig;
  /**
   * Resolves once the Graph double has nothing in flight and Herald's /healthz shows nothing pending
   * (inbox, open summary windows, outbox, subscription jobs) twice in a row. For tests.
   */
  settle(): Promise<void>;
  /** Live streams end, Herald stops (flushing its storage), the world is saved and the doubles close. */
  stop(): Promise<void>;
}

/**
 * PUBLIC_URL is part of Herald's configuration, fixed before Herald is built, but with PORT=0 the port is
 * only known after listening. So with PORT=0 a free loopback port is reserved first (listen on 0, note
 * it, close) and Herald is configured with it; if something grabs it in between, Herald is rebuilt on a
 * fresh one.
 */
export async function reserveLoopbackPort(host: string): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, host, () => resolve());
  });
  const address = probe.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function hostInUrl(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

const PORT_ATTEMPTS = 3;

export async function startPlaygroundHerald(options: StartPlaygroundHeraldOptions): Promise<PlaygroundHerald> {
  const { log } = options;
  const simulated = await startSimulatedWorld({
    dataDir: options.config.dataDir,
    clock: options.clock,
    log: log.child({ module: 'playground' }),
    tls: options.tls,
    graph: options.graph,
    login: options.login,
  });
  try {
    for (let attempt = 1; ; attempt++) {
      const port = options.config.port === 0 ? await reserveLoopbackPort(options.config.host) : options.config.port;
      const publicUrl = `http://${hostInUrl(options.config.host)}:${port}`;
      const config = playgroundConfig(options.config, simulated.wiring(publicUrl), port);
      const herald = await createHerald(config, log, { clock: options.clock, ...options.overrides });
      const controller = new PlaygroundController({ simulated, publicUrl, clock: options.clock, log: log.child({ module: 'playground' }) });
      const routes = registerPlaygroundRoutes(herald.context.server, { controller, publicDir: options.publicDir, log });
      // Herald's start hooks (subscription reconcile, inbox replay) may call Graph, which may deliver
      // notifications: the Teams double must already know where Herald is.
      simulated.connectHerald(publicUrl);
      let url: string;
      try {
        url = await herald.start();
      } catch (error) {
        routes.close();
        controller.close();
        await herald.stop().catch(() => undefined);
        const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
        if (inUse && options.config.port === 0 && attempt < PORT_ATTEMPTS) continue;
        throw error;
      }
      return playgroundHandle({ herald, simulated, controller, routes, url, config });
    }
  } catch (error) {
    await simulated.close();
    throw error;
  }
}

function playgroundHandle(parts: Omit<PlaygroundHerald, 'playgroundUrl' | 'settle' | 'stop'>): PlaygroundHerald {
  const { herald, simulated, controller, routes, url } = parts;
  let stopped: Promise<void> | null = null;
  return {
    ...parts,
    playgroundUrl: `${url}/playground/`,
    settle: () => settle(url, simulated),
    stop() {
      stopped ??= (async () => {
        routes.close();
        controller.close();
        await herald.stop();
        await simulated.close();
      })();
      return stopped;
    },
  };
}

interface HealthSnapshot {
  notifications?: { inbox?: number; retrying?: number };
  announcements?: { outbox?: number; openWindows?: number };
  subscriptions?: { runningJobs?: number };
}

function busy(health: HealthSnapshot): boolean {
  return (
    (health.notifications?.inbox ?? 0) > 0 ||
    (health.announcements?.outbox ?? 0) > 0 ||
    (health.announcements?.openWindows ?? 0) > 0 ||
    (health.subscriptions?.runningJobs ?? 0) > 0
  );
}

async function settle(url: string, simulated: SimulatedWorld, rounds = 400): Promise<void> {
  let quiet = 0;
  for (let i = 0; i < rounds; i++) {
    await simulated.graphWorld.whenIdle();
    const response = await fetch(`${url}/healthz`);
    const health = (await response.json()) as HealthSnapshot;
    quiet = busy(health) ? 0 : quiet + 1;
    if (quiet >= 2) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the playground did not settle');
}
