import type { CloudAdapter } from 'botbuilder';
import { wireAnnouncements } from '../announcements/wireAnnouncements.js';
import type { Logger } from 'pino';
import type { Server } from 'restify';
import type { HeraldConfig } from '../config/HeraldConfig.js';
import { HeraldEvents } from '../events/HeraldEvents.js';
import { ChatPoster } from '../bot/ChatPoster.js';
import { createBotAdapter } from '../bot/createBotAdapter.js';
import { HeraldBot } from '../bot/HeraldBot.js';
import { registerMessagesRoute } from '../bot/messagesRoute.js';
import { createHttpServer } from '../http/createHttpServer.js';
import { HealthRegistry } from '../http/HealthRegistry.js';
import { InstallationRegistry } from '../installations/InstallationRegistry.js';
import { ChatSettingsService } from '../settings/ChatSettingsService.js';
import { chatStatusLines } from '../status/chatStatusLines.js';
import type { HeraldStore } from '../storage/HeraldStore.js';
import { LowdbStore } from '../storage/LowdbStore.js';
import { wireNotifications } from '../notifications/wireNotifications.js';
import { subscriptionDepsFrom, wireSubscriptions } from '../subscriptions/wireSubscriptions.js';
import { wireTab } from '../tab/wireTab.js';
import { createGraphAccess } from '../graph/createGraphAccess.js';
import { loadNotificationKeyRing } from '../certificates/loadNotificationKeyRing.js';

/** Everything a Herald module may be wired with. Modules receive what they need from here. */
export interface HeraldContext {
  config: HeraldConfig;
  log: Logger;
  clock: () => Date;
  store: HeraldStore;
  events: HeraldEvents;
  health: HealthRegistry;
  server: Server;
  registry: InstallationRegistry;
  settings: ChatSettingsService;
  adapter: CloudAdapter;
  poster: ChatPoster;
  /** Lines for `@Herald status`; modules may append their own providers. */
  statusProviders: Array<(chatId: string) => string[]>;
  /** Runs after the server listens (e.g. start-up reconcile, inbox replay). */
  onStart(hook: () => Promise<void> | void): void;
  /** Runs on shutdown, in reverse order of registration, before storage is flushed. */
  onStop(hook: () => Promise<void> | void): void;
}

export interface HeraldOverrides {
  clock?: () => Date;
  store?: HeraldStore;
}

export interface HeraldApp {
  context: HeraldContext;
  /** Listens on config.port/host; resolves with the base URL. */
  start(): Promise<string>;
  stop(): Promise<void>;
}

/** Herald's composition root: builds the pipeline from a validated config. */
export async function createHerald(config: HeraldConfig, log: Logger, overrides: HeraldOverrides = {}): Promise<HeraldApp> {
  const clock = overrides.clock ?? (() => new Date());
  const store = overrides.store ?? (await LowdbStore.openFile(config.dataDir));
  const events = new HeraldEvents((name, error) => log.error({ err: error, event: name }, 'event handler failed'));
  const health = new HealthRegistry();
  let stopping = false;
  const server = createHttpServer({ log, health, isStopping: () => stopping });
  const startHooks: Array<() => Promise<void> | void> = [];
  const stopHooks: Array<() => Promise<void> | void> = [];

  const registry = new InstallationRegistry({ store, events, clock, log });
  const settings = new ChatSettingsService({ store, events, clock });
  const adapter = createBotAdapter(config, log);
  const poster = new ChatPoster({ adapter, botAppId: config.bot.appId, clock });
  const statusProviders: Array<(chatId: string) => string[]> = [(chatId) => chatStatusLines({ store, config, clock }, chatId)];

  const context: HeraldContext = {
    config, log, clock, store, events, health, server, registry, settings, adapter, poster, statusProviders,
    onStart: (hook) => void startHooks.push(hook),
    onStop: (hook) => void stopHooks.push(hook),
  };

  const bot = new HeraldBot({ registry, settings, statusLines: (chatId) => statusProviders.flatMap((p) => p(chatId)), log });
  registerMessagesRoute(server, adapter, bot);
  health.register('installations', () => ({ installed: registry.listInstalled().length }));

  // Modules wire themselves here (HTTP in → verify → decode → route → handle → act).
  // One Graph access (one token cache per tenant) shared by every module that reads Graph.
  const subscriptionDeps = subscriptionDepsFrom(overrides);
  const graphAccess = createGraphAccess({ config, log: log.child({ module: 'graph' }), clock });
  const subscriptionGraph = subscriptionDeps.graph ?? graphAccess.api;
  // One key ring: the certificate subscriptions send to Graph is the one notifications decrypt with.
  const keys = await loadNotificationKeyRing({ config, log: log.child({ module: 'certificates' }), clock });
  await wireSubscriptions(context, { certificates: keys, ...subscriptionDeps, graph: subscriptionGraph });
  wireAnnouncements(context, { chatGraph: subscriptionGraph });
  await wireNotifications(context, { chatGraph: graphAccess.api, keys });
  wireTab(context, { chatGraph: subscriptionGraph });

  return {
    context,
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
