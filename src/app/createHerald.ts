import type { Logger } from 'pino';
import { wireAnnouncements, type Announcements } from '../announcements/wireAnnouncements.js';
import type { HeraldConfig } from '../config/HeraldConfig.js';
import { ChatUnits } from '../events/ChatUnits.js';
import { HeraldEvents } from '../events/HeraldEvents.js';
import { ChatPoster } from '../bot/ChatPoster.js';
import { createBotAdapter } from '../bot/createBotAdapter.js';
import { HeraldBot } from '../bot/HeraldBot.js';
import { registerMessagesRoute } from '../bot/messagesRoute.js';
import { createHttpServer } from '../http/createHttpServer.js';
import { registerMetricsRoute } from '../http/metricsRoute.js';
import { createMetricsRegistry } from '../metrics/metricsRegistry.js';
import { HealthRegistry } from '../http/HealthRegistry.js';
import { InstallationRegistry } from '../installations/InstallationRegistry.js';
import { ChatSettingsService } from '../settings/ChatSettingsService.js';
import { SettingsGate } from '../settings/SettingsGate.js';
import { BotConnectorMembers } from '../bot/BotConnectorMembers.js';
import { chatStatusLines } from '../status/chatStatusLines.js';
import { messagesFor, type Messages } from '../i18n/Messages.js';
import type { Store } from '../storage/Store.js';
import { openPostgresStore } from '../storage/postgres/PostgresStore.js';
import { openSqliteStore } from '../storage/sqlite/SqliteStore.js';
import { storeHealthReport } from './storeHealthReport.js';
import { wireNotifications, type NotificationsModule } from '../notifications/wireNotifications.js';
import type { SubscriptionManager } from '../subscriptions/SubscriptionManager.js';
import { wireSubscriptions, type SubscriptionWiringDeps } from '../subscriptions/wireSubscriptions.js';
import { wireTab, type TabModule } from '../tab/wireTab.js';
import type { ModuleHost } from '../kernel/ModuleHost.js';
import { catalogueEntry } from '../kernel/errorCatalogue.js';
import type { HeraldContext } from './HeraldContext.js';
import { createGraphAccess } from '../graph/createGraphAccess.js';
import { CachedChatMembers } from '../graph/CachedChatMembers.js';
import { keyRingRotation, loadNotificationKeyRing, type LoadKeyRingDeps } from '../certificates/loadNotificationKeyRing.js';
import type { CertificateRotation } from '../certificates/EncryptionCertificate.js';
import type { NotificationKeyRing } from '../certificates/NotificationKeyRing.js';
import { loadSharedKeyRing, SHARED_CERTIFICATE_POLL_MS, sharedKeyRingRotation, syncSharedKeyRing } from '../certificates/sharedKeyRing.js';

export interface HeraldOverrides {
  clock?: () => Date;
  /** A store to use instead of the configured one; Herald closes it on stop. */
  store?: Store;
  /** This instance's id (several instances in one test process). */
  instanceId?: string;
  /** Fake timers, a counting Graph client or a renewal policy for the subscription module (tests, benchmarks). */
  subscriptions?: SubscriptionWiringDeps;
}

/** The feature modules as wired: a declared seam for tests, benchmarks and the playground. */
export interface HeraldModules {
  notifications: NotificationsModule;
  /** Null when PUBLIC_URL is not set (Graph could not reach Herald). */
  subscriptions: SubscriptionManager | null;
  announcements: Announcements;
  tab: TabModule;
}

export interface HeraldApp {
  context: HeraldContext;
  modules: HeraldModules;
  /** The lines of `@Herald status` for a chat, from every module. */
  statusLines(chatId: string, messages?: Messages): Promise<string[]>;
  /** Listens on config.port/host; resolves with the base URL. */
  start(): Promise<string>;
  stop(): Promise<void>;
}

/** Herald's composition root: builds the pipeline from a validated config. */
export async function createHerald(config: HeraldConfig, log: Logger, overrides: HeraldOverrides = {}): Promise<HeraldApp> {
  const clock = overrides.clock ?? (() => new Date());
  const store = await openStore(config, log, overrides.store);
  const events = new HeraldEvents((name, error) => log.error({ err: error, event: name }, 'event handler failed'));
  const units = new ChatUnits({ store, events, log });
  const health = new HealthRegistry();
  let stopping = false;
  const server = createHttpServer({ log, health, isStopping: () => stopping });
  const metricsRegistry = createMetricsRegistry();
  registerMetricsRoute(server, metricsRegistry);
  const startHooks: Array<() => Promise<void> | void> = [];
  const stopHooks: Array<() => Promise<void> | void> = [];

  const registry = new InstallationRegistry({ store, events, clock, log });
  const settings = new ChatSettingsService({ store, events, clock });
  const adapter = createBotAdapter(config, log);
  const poster = new ChatPoster({ adapter, botAppId: config.bot.appId, clock });
  const statusProviders: Array<(chatId: string, messages: Messages) => string[] | Promise<string[]>> = [(chatId, messages) => chatStatusLines({ store, config, clock }, chatId, messages)];

  const instanceId = overrides.instanceId ?? config.instanceId;
  const startedAt = clock().toISOString();
  const context: HeraldContext = { config, log, clock, instanceId, store, events, units, health, server, registry, settings, adapter, poster };
  const host: ModuleHost = {
    onStart: (hook) => void startHooks.push(hook),
    onStop: (hook) => void stopHooks.push(hook),
    reportHealth: (section, read) => health.register(section, read),
    addStatusLines: (provider) => void statusProviders.push(provider),
  };

  // In the chat's language unless told otherwise.
  const statusLines = async (chatId: string, given?: Messages) => {
    const messages = given ?? messagesFor((await settings.get(chatId)).language);
    return (await Promise.all(statusProviders.map((provider) => provider(chatId, messages)))).flat();
  };
  health.register('installations', async () => ({ installed: await registry.countInstalled() }));
  // The embedded store answers from memory: no reason to serve an older answer.
  const storeHealth = storeHealthReport(store, { clock, ...(store.kind === 'embedded' ? { maxAgeMs: 0 } : {}) });
  await storeHealth.refresh();
  health.register('store', () => storeHealth.read());
  health.register('instance', () => ({ id: instanceId, startedAt }));
  if (config.mode === 'live' && config.bot.auth === 'off') {
    const { reason, advice } = catalogueEntry('herald.bot.auth_off');
    const warning = `${reason}. ${advice}`;
    log.warn({ code: 'herald.bot.auth_off' }, warning);
    health.register('bot', () => ({ inboundAuth: 'off', code: 'herald.bot.auth_off', warning }));
  } else {
    health.register('bot', () => ({ inboundAuth: config.bot.appId ? 'on' : 'off' }));
  }

  // Modules wire themselves here (HTTP in → verify → decode → route → handle → act).
  // One Graph access (one token cache per tenant) shared by every module that reads Graph.
  const subscriptionDeps = overrides.subscriptions ?? {};
  const graphAccess = createGraphAccess({ config, log: log.child({ module: 'graph' }), clock });
  const subscriptionGraph = subscriptionDeps.graph ?? graphAccess.api;
  // Graph's member lists for the tab and the settings gate, kept 30 s; a membership change Herald hears of makes a chat's stale.
  const chatMembers = new CachedChatMembers({ graph: subscriptionGraph });
  events.on('changes', (unit) => {
    if (unit.changes.some((event) => event.kind === 'memberAdded' || event.kind === 'memberRemoved')) unit.afterCommit(() => chatMembers.forget(unit.chatId));
  });
  events.on('uninstalled', (event) => chatMembers.forget(event.chatId));
  // One rule for who may change a chat's settings, for the chat commands and the tab API alike.
  const connectorMembers = new BotConnectorMembers({ adapter, botAppId: config.bot.appId });
  const settingsGate = new SettingsGate({ settings, store, connector: connectorMembers, graph: chatMembers, log: log.child({ module: 'settings' }) });
  const bot = new HeraldBot({ registry, settings, gate: settingsGate, statusLines, units, clock, log });
  registerMessagesRoute(server, adapter, bot);
  // One key ring: the certificate subscriptions send to Graph is the one notifications decrypt with.
  const certificateDeps = { config, log: log.child({ module: 'certificates' }), clock };
  const { keys, rotation } = await notificationKeys(host, store, certificateDeps);
  const subscriptions = await wireSubscriptions(host, context, {
    certificates: keys,
    rotation,
    ...subscriptionDeps,
    graph: subscriptionGraph,
  });
  const announcements = wireAnnouncements(host, context, { chatGraph: subscriptionGraph, connectorMembers });
  const notifications = await wireNotifications(host, { ...context, metricsRegistry }, {
    chatGraph: graphAccess.api,
    keys,
    ...(subscriptions ? { pendingCreations: subscriptions.pendingCreations } : {}),
  });
  const tab = wireTab(context, {
    chatGraph: chatMembers,
    settingsGate,
    subscriptionInsight: subscriptions ? (chatId) => subscriptions.describeChat(chatId) : null,
  });
  const modules: HeraldModules = { notifications, subscriptions, announcements, tab };

  return {
    context,
    modules,
    statusLines,
    async start() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.removeListener('error', reject);
          resolve();
        });
      });
      const address = server.address();
      const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${address.port}`;
      for (const hook of startHooks) await hook();
      return url;
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const hook of [...stopHooks].reverse()) {
        try {
          await hook();
        } catch (error) {
          log.error({ err: error }, 'shutdown step failed');
        }
      }
      await store.close();
    },
  };
}

/**
 * The store Herald keeps its state in: PostgreSQL with DATABASE_URL (connected and migrated here, so a
 * database that is down or a failing migration stops Herald with a plain message), else the embedded
 * SQLite store in DATA_DIR (refused when another process holds it, or when its file is not Herald's).
 */
async function openStore(config: HeraldConfig, log: Logger, given: Store | undefined): Promise<Store> {
  if (given) return given;
  const storeLog = log.child({ module: 'storage' });
  if (config.databaseUrl) {
    const database = await openPostgresStore({ url: config.databaseUrl, log: storeLog });
    log.info({ database: database.location, migrationVersion: database.migrationVersion }, 'keeping state in PostgreSQL');
    return database;
  }
  return openSqliteStore(config.dataDir, { log: storeLog });
}

/**
 * The certificates notifications are decrypted with: NOTIFICATION_CERT_FILE, or generated ones. On a
 * store several instances share, generated certificates live in the store and every instance looks for
 * new ones each minute; otherwise they live in DATA_DIR.
 */
async function notificationKeys(host: ModuleHost, store: Store, deps: LoadKeyRingDeps): Promise<{ keys: NotificationKeyRing; rotation: CertificateRotation }> {
  const { certificates } = store;
  if (!certificates || deps.config.notificationCert.certFile) {
    const keys = await loadNotificationKeyRing(deps);
    return { keys, rotation: keyRingRotation(keys, deps) };
  }
  const shared = { ...deps, certificates, locks: store.locks };
  const keys = await loadSharedKeyRing(shared);
  let poll: ReturnType<typeof setInterval> | null = null;
  host.onStart(() => {
    poll = setInterval(() => void syncSharedKeyRing(keys, shared).catch((error: unknown) => deps.log.warn({ err: error }, 'could not look for new shared notification certificates')), SHARED_CERTIFICATE_POLL_MS);
    poll.unref?.();
  });
  host.onStop(() => {
    if (poll) clearInterval(poll);
  });
  return { keys, rotation: sharedKeyRingRotation(keys, shared) };
}
