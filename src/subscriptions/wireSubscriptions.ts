import type { Logger } from 'pino';
import type { ChatPoster } from '../bot/ChatPoster.js';
import type { HeraldConfig } from '../config/HeraldConfig.js';
import type { ChatUnits } from '../events/ChatUnits.js';
import type { HeraldEvents } from '../events/HeraldEvents.js';
import type { ModuleHost } from '../kernel/ModuleHost.js';
import type { Store } from '../storage/Store.js';
import type { CertificateRotation, EncryptionCertificateSource } from '../certificates/EncryptionCertificate.js';
import { keyRingRotation, loadNotificationKeyRing } from '../certificates/loadNotificationKeyRing.js';
import type { GraphCallStats } from '../graph/GraphCallStats.js';
import { createGraphAccess } from '../graph/createGraphAccess.js';
import { ChatProblemReporter } from './ChatProblemReporter.js';
import { SubscriptionManager, type SubscriptionGraph, type SubscriptionManagerOptions } from './SubscriptionManager.js';

export interface SubscriptionWiringDeps {
  /**
   * The certificate Graph encrypts resource data with: the notifications module's key ring. Default:
   * the key ring in DATA_DIR (loaded after the notifications module created it).
   */
  certificates?: EncryptionCertificateSource;
  /** The certificates' rotation at runtime (checked daily); default: none when `certificates` is given, else the loaded ring's. */
  rotation?: CertificateRotation;
  /** Graph access shared with the other modules (default: a new one from the config). */
  graph?: SubscriptionGraph & { stats?: GraphCallStats };
  /** Renewal policy, concurrency, timer functions (tests and benchmarks use a fake clock's). */
  options?: Partial<SubscriptionManagerOptions>;
}

/** What the subscription module is built from. */
export interface SubscriptionModuleInput {
  config: HeraldConfig;
  log: Logger;
  clock: () => Date;
  store: Store;
  events: HeraldEvents;
  units: ChatUnits;
  poster: ChatPoster;
  /** This instance (HeraldContext.instanceId): who renewed a subscription, in its record. */
  instanceId?: string;
}

/**
 * Wires the subscription manager into Herald: installation, removal and lifecycle events in; the
 * start-up reconcile on start (in the background: Herald's start does not wait for Graph); renewals stopped on shutdown; `status` lines and a /healthz section.
 * Returns null (and says why) when PUBLIC_URL is not set, since Graph could not reach Herald.
 */
export async function wireSubscriptions(host: ModuleHost, input: SubscriptionModuleInput, deps: SubscriptionWiringDeps = {}): Promise<SubscriptionManager | null> {
  const { config, log, clock, store, events, units, poster, instanceId } = input;
  if (!config.publicUrl) {
    log.warn('PUBLIC_URL is not set: Herald creates no Graph subscriptions');
    return null;
  }
  const moduleLog = log.child({ module: 'subscriptions' });
  let certificates = deps.certificates;
  let rotation = deps.rotation;
  if (!certificates) {
    const ring = await loadNotificationKeyRing({ config, log: moduleLog, clock });
    certificates = ring;
    rotation ??= keyRingRotation(ring, { config, log: moduleLog, clock });
  }
  const graph = deps.graph ?? createGraphAccess({ config, log: moduleLog, clock }).api;
  const problems = new ChatProblemReporter({ store, poster, log: moduleLog, clock });
  const manager = new SubscriptionManager({
    graph,
    store,
    events,
    units,
    problems,
    certificates,
    rotation,
    log: moduleLog,
    clock,
    publicUrl: config.publicUrl,
    teamsAppId: config.teamsAppId,
    billingModel: config.graph.billingModel,
    ownIds: [config.bot.appId, config.aad.clientId],
    instanceId,
    options: deps.options,
  });
  events.on('installed', (event) => manager.onInstalled(event));
  events.on('uninstalled', (event) => manager.onUninstalled(event));
  events.on('lifecycle', (event) => manager.onLifecycle(event));
  events.on('notificationsLost', (event) => manager.onNotificationsLost(event));
  host.addStatusLines((chatId, messages) => manager.statusLines(chatId, messages));
  host.reportHealth('subscriptions', async () => ({ ...(await manager.health()), ...(graph.stats ? { graphCalls: graph.stats.snapshot() } : {}) }));
  host.onStart(() => manager.startInBackground());
  host.onStop(() => manager.stop());
  return manager;
}
