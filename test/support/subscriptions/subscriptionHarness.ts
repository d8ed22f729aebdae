/**
 * Herald (createHerald + the subscription manager) against the Graph and login doubles over real HTTP.
 * PUBLIC_URL is Herald itself: Graph's validation handshakes, change and lifecycle notifications go
 * through Herald's own notification routes and pipeline, as in production.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Activity } from 'botbuilder';
import sinon from 'sinon';
import { createHerald, type HeraldApp } from '../../../src/app/createHerald.js';
import { loadConfig } from '../../../src/config/loadConfig.js';
import { startGraphWorld, type AppRegistration, type GraphWorld } from '../../../sim/doubles/world/startGraphWorld.js';
import type { WorldUser } from '../../../sim/doubles/world/types.js';
import { GraphApi } from '../../../src/graph/GraphApi.js';
import { GraphCallStats } from '../../../src/graph/GraphCallStats.js';
import { GraphTokenProvider } from '../../../src/graph/GraphTokenProvider.js';
import { silentLogger } from '../../../src/log/createLogger.js';
import type { ChangeEvent, LifecycleEvent } from '../../../src/model/changeEvents.js';
import type { SubscriptionRecord } from '../../../src/model/subscription.js';
import { openSqliteStore, type SqliteStore } from '../../../src/storage/sqlite/SqliteStore.js';
import { testNotificationCertificate, testSigningKey, testTls, type CertificateFiles } from '../keys/testCredentials.js';
import { crashable, type CrashableStore } from './crashableStore.js';
import type { SubscriptionManager, SubscriptionManagerOptions } from '../../../src/subscriptions/SubscriptionManager.js';
import type { Timers } from '../../../src/kernel/timers.js';
import type { SubscriptionWiringDeps } from '../../../src/subscriptions/wireSubscriptions.js';

export interface HarnessOptions {
  teamsAppId?: boolean;
  billingModelB?: boolean;
  /** Timer functions for the subscription wheel (a sinon fake clock's). */
  timers?: Timers;
  managerOptions?: Partial<SubscriptionManagerOptions>;
  /** Sleep used by Graph retries inside one call (default: none, so tests stay fast). */
  graphSleep?: (ms: number) => Promise<void>;
  /** Deterministic jitter. */
  random?: () => number;
  /** More settings (e.g. NOTIFICATION_CERT_FILE). */
  env?: Record<string, string>;
}

interface ConnectorStub {
  origin: string;
  close(): Promise<void>;
}

/**
 * A minimal Bot Connector for the other modules Herald wires (welcome and announcement posts are
 * accepted; roster reads are refused, so only the Graph baseline under test describes the members).
 */
async function startConnectorStub(): Promise<ConnectorStub> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stub');
    req.resume();
    req.on('end', () => {
      const token = url.searchParams.get('validationToken');
      if (token !== null) {
        // Also plays "another deployment" of the app in tests: it answers Graph's handshake.
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end(token);
        return;
      }
      const rosterRead = /\/(paged)?members(\/|$)/.test(url.pathname);
      // Separate calls: restify patches ServerResponse.prototype.writeHead, which then returns nothing.
      res.writeHead(rosterRead ? 403 : 200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(rosterRead ? { error: { code: 'BotNotInConversationRoster', message: 'no roster here' } } : { id: 'activity-1' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port that was free a moment ago: Herald keeps it across restarts, so PUBLIC_URL stays the same. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}


// Captured at load: tests that fake timers (sinon) must not stop the harness from waiting in real time.
const realSetTimeout = globalThis.setTimeout.bind(globalThis);

export class SubscriptionHarness {
  herald!: HeraldApp;
  manager!: SubscriptionManager;
  store!: SqliteStore;
  /** What Herald writes through: the store above, until `kill` (or `storage.before`) crashes it. */
  storage!: CrashableStore;
  /** The manager's Graph access (its calls are counted here). */
  graphApi!: GraphApi;
  tokens!: GraphTokenProvider;
  readonly stats = new GraphCallStats();
  readonly changes: ChangeEvent[] = [];
  readonly lifecycles: LifecycleEvent[] = [];
  readonly posts: Array<{ chatId: string; text: string }> = [];
  users: WorldUser[] = [];
  private certificate: CertificateFiles | null = null;
  private constructor(
    readonly gw: GraphWorld,
    readonly app: AppRegistration,
    readonly connector: ConnectorStub,
    readonly port: number,
    readonly dataDir: string,
    readonly tenants: string[],
    private readonly options: HarnessOptions,
  ) {}

  static async start(options: HarnessOptions = {}, tenantCount = 2): Promise<SubscriptionHarness> {
    // RSA key generation dominates start-up: the run's one CA and signing key serve every harness.
    const gw = await startGraphWorld({ clock: () => new Date(), tls: await testTls(), login: { initialSigningKey: await testSigningKey() } });
    const app = gw.registerApp({ displayName: 'Herald' });
    const tenants: string[] = [];
    for (let i = 0; i < tenantCount; i++) tenants.push(gw.world.addTenant({ displayName: `Tenant ${i}`, domain: `t${i}.example` }).id);
    const connector = await startConnectorStub();
    const dataDir = await mkdtemp(join(tmpdir(), 'herald-subs-'));
    const harness = new SubscriptionHarness(gw, app, connector, await freePort(), dataDir, tenants, options);
    for (const tenantId of tenants) {
      for (const name of ['Ada', 'Grace', 'Linus']) harness.users.push(gw.world.addUser({ displayName: `${name} ${tenantId.slice(0, 4)}`, tenantId }));
    }
    harness.certificate = await testNotificationCertificate();
    await harness.boot();
    return harness;
  }

  /** Builds and starts Herald on the data directory (again, for restarts). */
  async boot(): Promise<void> {
    const config = loadConfig({
      BOT_AUTH: 'off',
      AAD_APP_CLIENT_ID: this.app.clientId,
      AAD_APP_CLIENT_SECRET: this.app.clientSecret,
      AAD_AUTHORITY_HOST: this.gw.loginUrl,
      GRAPH_ENDPOINT: this.gw.graphUrl,
      PUBLIC_URL: this.publicUrl,
      HOST: '127.0.0.1',
      PORT: String(this.port),
      DATA_DIR: this.dataDir,
      LOG_LEVEL: 'silent',
      // The run's one notification certificate (tests of certificates give their own files in `env`).
      ...(this.certificate ? { NOTIFICATION_CERT_FILE: this.certificate.certFile, NOTIFICATION_KEY_FILE: this.certificate.keyFile } : {}),
      ...(this.options.teamsAppId ? { TEAMS_APP_ID: this.app.teamsAppId } : {}),
      ...(this.options.billingModelB ? { GRAPH_BILLING_MODEL: 'B' } : {}),
      ...this.options.env,
    });
    const log = silentLogger();
    this.store = await openSqliteStore(this.dataDir);
    this.storage = crashable(this.store);
    this.tokens = new GraphTokenProvider({ clientId: config.aad.clientId, clientSecret: config.aad.clientSecret, authorityHost: config.aad.authorityHost, graphEndpoint: config.graph.endpoint, log });
    this.graphApi = new GraphApi({
      endpoint: config.graph.endpoint,
      tokens: this.tokens,
      log,
      clock: () => new Date(),
      stats: this.stats,
      retry: { sleep: this.options.graphSleep ?? (async () => undefined) },
    });
    // createHerald wires the subscription manager; tests hand it a counting Graph client and fake timers.
    const subscriptions: SubscriptionWiringDeps = {
      graph: this.graphApi,
      options: { ...(this.options.random ? { random: this.options.random } : {}), ...this.options.managerOptions, timers: this.options.timers },
    };
    const overrides = { store: this.storage.store, clock: () => new Date(), subscriptions };
    this.herald = await createHerald(config, log, overrides);
    const manager = this.herald.modules.subscriptions;
    if (!manager) throw new Error('createHerald did not wire the subscription manager');
    this.manager = manager;
    // A killed instance's stray work is neither recorded nor posted.
    const storage = this.storage;
    this.herald.context.events.on('changes', (unit) => unit.afterCommit(() => void (storage.crashed || this.changes.push(...unit.changes))));
    this.herald.context.events.on('lifecycle', (event) => void (storage.crashed || this.lifecycles.push(event)));
    // Posts go through the Bot Connector in production; here they are recorded.
    this.herald.context.poster.post = async (installation, activity) => {
      if (storage.crashed) return new Promise<string>(() => {});
      this.posts.push({ chatId: installation.chatId, text: String(activity.text ?? activity.summary ?? '') });
      return 'posted';
    };
    await this.herald.start();
    await this.idle();
  }

  /** The harness's Bot Connector stand-in. */
  get serviceUrl(): string {
    return `${this.connector.origin}/teams/`;
  }

  get publicUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Validation handshakes Graph made (each subscription validates both URLs). */
  get handshakes(): number {
    return this.gw.wire.ofKind('handshake').filter((e) => e.ok).length;
  }

  async restart(): Promise<void> {
    await this.herald.stop();
    await this.boot();
  }

  /**
   * A simulated kill -9 (at once, or where `storage.before` already crashed the store): the instance is
   * dropped without stopping, nothing more it does is stored or posted, and Herald starts again on the
   * same DATA_DIR.
   */
  async kill(): Promise<void> {
    this.storage.crash();
    // A dead process runs no timers: the subscription wheel (possibly on the shared fake clock) stops.
    void this.manager.stop();
    // Nor threads: its key unwrap workers end with it (anything they still hold is unwrapped inline, and lost with the crashed store).
    void this.herald.modules.notifications.unwrapPool.close();
    const http = this.herald.context.server.server;
    await new Promise<void>((resolve) => {
      http.close(() => resolve());
      http.closeAllConnections();
    });
    // The dead process's lock on herald.db goes with it; what it committed is on disk.
    await this.store.close();
    await this.boot();
  }

  /** A group chat in the tenant with three people; Herald's Teams app is installed into it in the world. */
  createChat(tenantId: string, topic = 'Planning', options: { installApp?: boolean } = {}): string {
    const members = this.users.filter((u) => u.tenantId === tenantId).map((u) => u.id);
    const chat = this.gw.world.createChat({ tenantId, topic, members });
    if (options.installApp !== false) this.gw.world.installApp(chat.id, this.app.teamsAppId);
    return chat.id;
  }

  /** What Teams tells the bot when it is added to a group chat. */
  async install(chatId: string): Promise<void> {
    const chat = this.gw.world.getChat(chatId);
    if (!chat) throw new Error(`no chat ${chatId}`);
    await this.herald.context.registry.touch(installActivity(chatId, chat.tenantId, this.serviceUrl));
  }

  async uninstall(chatId: string): Promise<void> {
    const chat = this.gw.world.getChat(chatId);
    if (chat?.installedApps.includes(this.app.teamsAppId)) this.gw.world.uninstallApp(chatId, this.app.teamsAppId);
    await this.herald.context.registry.markUninstalled(chatId, 'removed from the chat', chat?.tenantId);
  }

  /** Waits until Herald's subscription work and the Graph double's deliveries have settled. */
  async idle(): Promise<void> {
    // Until the manager's jobs are done, in real time: on a loaded machine a job (a reconcile's Graph
    // reads) outlasts any fixed number of turns, and a fake clock moved on meanwhile misses renewals.
    const deadline = performance.now() + 60_000;
    for (;;) {
      await this.manager.whenIdle();
      await this.gw.whenIdle();
      await new Promise((resolve) => setImmediate(resolve));
      await this.manager.whenIdle();
      if ((await this.manager.health()).runningJobs === 0) return;
      if (performance.now() > deadline) throw new Error('the subscription manager still had jobs running after 60 s');
      await new Promise((resolve) => realSetTimeout(resolve, 5));
    }
  }

  /** How many lifecycle events of this kind for this subscription reached Herald's event bus. */
  lifecycleCount(subscriptionId: string, kind: string): number {
    return this.lifecycles.filter((e) => e.subscriptionId === subscriptionId && e.kind === kind).length;
  }

  /** Live subscriptions at the Graph double for this app (optionally one tenant). */
  live(tenantId?: string) {
    return this.gw.graph.subscriptions({ clientId: this.app.clientId, ...(tenantId ? { tenantId } : {}) });
  }

  /** Stored subscriptions (optionally only those `filter` keeps). */
  async stored(filter?: (r: SubscriptionRecord) => boolean): Promise<SubscriptionRecord[]> {
    const all = await this.store.subscriptions.all();
    return filter ? all.filter(filter) : all;
  }

  /** Subscription wire events at the double, e.g. 'created', 'updated', 'deleted', 'reauthorized'. */
  subscriptionActions(action: string): number {
    return this.gw.wire.ofKind('subscription').filter((e) => e.action === action).length;
  }

  async close(): Promise<void> {
    await this.herald.stop();
    await this.connector.close();
    await this.gw.close();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}

export function installActivity(chatId: string, tenantId: string, serviceUrl: string): Partial<Activity> {
  return {
    type: 'installationUpdate',
    action: 'add',
    id: `act-${chatId}`,
    channelId: 'msteams',
    serviceUrl,
    from: { id: '29:installer', name: 'Installer' },
    recipient: { id: '28:herald', name: 'Herald' },
    conversation: { id: chatId, conversationType: 'groupChat', tenantId, isGroup: true, name: '' },
    channelData: { tenant: { id: tenantId } },
  };
}

/**
 * Fake time for Herald and the doubles: only `Date` is faked globally (HTTP, TLS and the other modules
 * keep real timers); the subscription wheel gets the fake clock's timer functions.
 */
export function fakeTime(start = '2026-03-02T08:00:00Z'): { clock: sinon.SinonFakeTimers; timers: Timers } {
  const clock = sinon.useFakeTimers({ now: Date.parse(start), toFake: ['Date'] });
  return {
    clock,
    timers: {
      setTimeout: (callback, ms) => clock.setTimeout(callback, ms),
      clearTimeout: (handle) => clock.clearTimeout(handle as number),
    },
  };
}

/** Moves fake time forward in steps, letting Herald's and Graph's real I/O finish after each step. */
export async function advance(h: SubscriptionHarness, clock: sinon.SinonFakeTimers, ms: number, stepMs = 30 * 60_000): Promise<void> {
  for (let done = 0; done < ms; done += stepMs) {
    await clock.tickAsync(Math.min(stepMs, ms - done));
    await h.idle();
  }
}
