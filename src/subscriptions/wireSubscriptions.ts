import type { HeraldContext } from '../app/createHerald.js';
import type { EncryptionCertificateSource } from '../certificates/EncryptionCertificate.js';
import type { GraphCallStats } from '../graph/GraphCallStats.js';
import { createGraphAccess } from '../graph/createGraphAccess.js';
import { ChatProblemReporter } from './ChatProblemReporter.js';
import { SubscriptionManager, type SubscriptionGraph, type SubscriptionManagerOptions } from './SubscriptionManager.js';

export interface SubscriptionWiringDeps {
  /** The certificate Graph encrypts resource data with (the notifications module's key ring). */
  certificates: EncryptionCertificateSource;
  /** Graph access shared with the other modules (default: a new one from the config). */
  graph?: SubscriptionGraph & { stats?: GraphCallStats };
  options?: Partial<SubscriptionManagerOptions>;
}

const wired = new WeakMap<HeraldContext, SubscriptionManager | null>();

/** The manager wired into this Herald (for the tab's describeChat and for tests), if any. */
export function subscriptionManagerOf(context: HeraldContext): SubscriptionManager | null {
  return wired.get(context) ?? null;
}

/**
 * Wires the subscription manager into Herald: installation, removal and lifecycle events in; the
 * start-up reconcile on start; renewals stopped on shutdown; `status` lines and a /healthz section.
 * Returns null (and says why) when PUBLIC_URL is not set, since Graph could not reach Herald. Wiring the
 * same context twice returns the first manager.
 */
export function wireSubscriptions(context: HeraldContext, deps: SubscriptionWiringDeps): SubscriptionManager | null {
  if (wired.has(context)) return wired.get(context) ?? null;
  const { config, log, clock, store, events, poster, health } = context;
  if (!config.publicUrl) {
    log.warn('PUBLIC_URL is not set: Herald creates no Graph subscriptions');
    wired.set(context, null);
    return null;
  }
  const graph = deps.graph ?? createGraphAccess({ config, log, clock }).api;
  const problems = new ChatProblemReporter({ store, poster, log, clock });
  const manager = new SubscriptionManager({
    graph,
    store,
    events,
    problems,
    certificates: deps.certificates,
    log: log.child({ module: 'subscriptions' }),
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
  context.onStart(async () => {
    try {
      await manager.start();
    } catch (error) {
      // Never keep Herald from starting; renewals and per-chat work still run.
      log.error({ err: error }, 'start-up reconcile of subscriptions failed');
    }
  });
  context.onStop(() => manager.stop());
  wired.set(context, manager);
  return manager;
}
