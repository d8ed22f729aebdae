import type { HeraldContext } from '../app/createHerald.js';
import type { EncryptionCertificateSource } from '../certificates/EncryptionCertificate.js';
import { loadNotificationKeyRing } from '../certificates/loadNotificationKeyRing.js';
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
  /** Graph access shared with the other modules (default: a new one from the config). */
  graph?: SubscriptionGraph & { stats?: GraphCallStats };
  /** Renewal policy, concurrency, timer functions (tests and benchmarks use a fake clock's). */
  options?: Partial<SubscriptionManagerOptions>;
}

/**
 * Reads `subscriptions` from createHerald's overrides object, where tests and benchmarks put a fake
 * clock's timers or a counting Graph client (`createHerald(config, log, { store, clock, subscriptions })`).
 */
export function subscriptionDepsFrom(overrides: object): SubscriptionWiringDeps {
  const value = (overrides as { subscriptions?: unknown }).subscriptions;
  return typeof value === 'object' && value !== null ? (value as SubscriptionWiringDeps) : {};
}

const wired = new WeakMap<HeraldContext, SubscriptionManager | null>();

/** The manager wired into this Herald (the tab's `describeChat`, tests, benchmarks), if any. */
export function subscriptionManagerOf(context: HeraldContext): SubscriptionManager | null {
  return wired.get(context) ?? null;
}

/**
 * Wires the subscription manager into Herald: installation, removal and lifecycle events in; the
 * start-up reconcile on start (in the background: Herald's start does not wait for Graph); renewals stopped on shutdown; `status` lines and a /healthz section.
 * Returns null (and says why) when PUBLIC_URL is not set, since Graph could not reach Herald. Wiring the
 * same context twice returns the first manager.
 */
export async function wireSubscriptions(context: HeraldContext, deps: SubscriptionWiringDeps = {}): Promise<SubscriptionManager | null> {
  if (wired.has(context)) return wired.get(context) ?? null;
  const { config, log, clock, store, events, poster, health } = context;
  if (!config.publicUrl) {
    log.warn('PUBLIC_URL is not set: Herald creates no Graph subscriptions');
    wired.set(context, null);
    return null;
  }
  const moduleLog = log.child({ module: 'subscriptions' });
  const certificates = deps.certificates ?? (await loadNotificationKeyRing({ config, log: moduleLog, clock }));
  const graph = deps.graph ?? createGraphAccess({ config, log: moduleLog, clock }).api;
  const problems = new ChatProblemReporter({ store, poster, log: moduleLog, clock });
  const manager = new SubscriptionManager({
    graph,
    store,
    events,
    problems,
    certificates,
    log: moduleLog,
    clock,
    publicUrl: config.publicUrl,
    teamsAppId: config.teamsAppId,
    billingModel: config.graph.billingModel,
    ownIds: [config.bot.appId, config.aad.clientId],
    options: deps.options,
  });
  events.on('installed', (event) => manager.onInstalled(event));
  events.on('uninstalled', (event) => manager.onUninstalled(event));
  events.on('lifecycle', (event) => manager.onLifecycle(event));
  context.statusProviders.push((chatId) => manager.statusLines(chatId));
  health.register('subscriptions', () => ({ ...manager.health(), ...(graph.stats ? { graphCalls: graph.stats.snapshot() } : {}) }));
  context.onStart(() => manager.startInBackground());
  context.onStop(() => manager.stop());
  wired.set(context, manager);
  return manager;
}
