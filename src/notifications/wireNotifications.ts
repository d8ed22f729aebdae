import type { ChatUnits } from '../events/ChatUnits.js';
import type { JWTVerifyGetKey } from 'jose';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Server } from 'restify';
import type { HeraldConfig } from '../config/HeraldConfig.js';
import type { HeraldEvents } from '../events/HeraldEvents.js';
import type { ModuleHost } from '../kernel/ModuleHost.js';
import type { Store } from '../storage/Store.js';
import { loadNotificationKeyRing, type CertificatePolicy } from '../certificates/loadNotificationKeyRing.js';
import type { NotificationKeyRing } from '../certificates/NotificationKeyRing.js';
import type { ChatGraph } from '../graph/ChatGraph.js';
import { KeyUnwrapPool } from './decode/KeyUnwrapPool.js';
import { lostTargets } from './inbox/lostTargets.js';
import { InboxProcessor, type InboxLeasePolicy, type InboxTimers, type RetryPolicy } from './inbox/InboxProcessor.js';
import { NotificationMetrics } from './inbox/NotificationMetrics.js';
import { registerNotificationRoutes } from './receive/registerNotificationRoutes.js';
import { DEDUPE_RETENTION_MS, pruneChangeLogs } from './route/ChangeDeduplicator.js';
import { NotificationPipeline, type PendingCreationLookup } from './route/NotificationPipeline.js';
import { ValidationTokenVerifier } from './verify/ValidationTokenVerifier.js';

export interface NotificationDeps {
  /** Reads resources for notifications without resource data (Graph client over the chat's tenant). */
  chatGraph?: Pick<ChatGraph, 'getResource'>;
  /** Use these certificates instead of loading/generating them from the configuration. */
  keys?: NotificationKeyRing;
  certificatePolicy?: Partial<CertificatePolicy>;
  /** Replaces the remote JWKS of `${AAD_AUTHORITY_HOST}/common/discovery/v2.0/keys` (tests). */
  signingKeys?: JWTVerifyGetKey;
  /** Minimum time between JWKS refetches for an unknown `kid` (default 30 s). */
  jwksCooldownMs?: number;
  concurrency?: number;
  /** Worker threads for the RSA unwrap of encrypted resource data (default one per core); 0 unwraps inline. */
  unwrapWorkers?: number;
  retry?: Partial<RetryPolicy>;
  /** How inbox batches are leased, heartbeaten and taken over between instances (tests shorten them). */
  lease?: Partial<InboxLeasePolicy>;
  /** Timers of the inbox heartbeat and takeover loop (fake ones in tests). */
  timers?: InboxTimers;
  /** The subscription module's creations in flight (items arriving before Graph's 201 are held, not dropped). */
  pendingCreations?: PendingCreationLookup;
}

export interface NotificationsModule {
  /** The certificates: `current()` is what the subscription manager sends to Graph. */
  keys: NotificationKeyRing;
  processor: InboxProcessor;
  metrics: NotificationMetrics;
  unwrapPool: KeyUnwrapPool;
}

const PRUNE_EVERY_MS = 10 * 60 * 1000;

/** What the notification module is built from. */
export interface NotificationModuleInput {
  config: HeraldConfig;
  log: Logger;
  clock: () => Date;
  /** This instance's id: the owner of the inbox batches it holds (HeraldContext's; random when absent). */
  instanceId?: string;
  store: Store;
  events: HeraldEvents;
  units: ChatUnits;
  server: Server;
  /** The app's Prometheus registry (`GET /metrics`). */
  metricsRegistry: Registry;
}

/**
 * The notification receive path: `POST /api/notifications` and `/api/notifications/lifecycle` in,
 * typed `change` and `lifecycle` events out on `events`. Knows nothing about announcements.
 */
export async function wireNotifications(host: ModuleHost, input: NotificationModuleInput, deps: NotificationDeps = {}): Promise<NotificationsModule> {
  const { config, log, clock, instanceId, store, events, units, server, metricsRegistry } = input;
  const moduleLog = log.child({ module: 'notifications' });
  const keys = deps.keys ?? (await loadNotificationKeyRing({ config, log: moduleLog, clock, policy: deps.certificatePolicy }));
  const verifier = new ValidationTokenVerifier({
    authorityHost: config.aad.authorityHost,
    clientId: config.aad.clientId,
    clock,
    keys: deps.signingKeys,
    cooldownMs: deps.jwksCooldownMs,
  });
  const metrics = new NotificationMetrics();
  const unwrapPool = new KeyUnwrapPool({ size: deps.unwrapWorkers, log: moduleLog });
  const unwrapper = unwrapPool.size > 0 ? unwrapPool : undefined;
  const pipeline = new NotificationPipeline({ store, keys, unwrapper, verifier, units, events, chatGraph: deps.chatGraph, pendingCreations: deps.pendingCreations, clock, log: moduleLog });
  const processor = new InboxProcessor({
    store, instanceId, pipeline, metrics, clock, log: moduleLog,
    concurrency: deps.concurrency, retry: deps.retry, lease: deps.lease, timers: deps.timers,
    // What a batch given up carried is learnt from Graph's current state instead (the subscription module reconciles).
    onGivenUp: async (batch, unfinished, reason) => {
      const targets = lostTargets(batch.body, unfinished);
      if (targets.length > 0) await events.emit('notificationsLost', { targets, reason });
    },
  });

  registerNotificationRoutes({ server, inbox: processor, log: moduleLog });
  metrics.expose(metricsRegistry);
  host.reportHealth('notifications', () => metrics.snapshot());

  let pruneTimer: ReturnType<typeof setInterval> | null = null;
  const prune = () =>
    pruneChangeLogs(store.changeLogs, new Date(clock().getTime() - DEDUPE_RETENTION_MS)).catch((error: unknown) => moduleLog.error({ err: error }, 'pruning dedupe logs failed'));
  host.onStart(async () => {
    await prune();
    pruneTimer = setInterval(() => void prune(), PRUNE_EVERY_MS);
    pruneTimer.unref?.();
    // The unwrap workers start with the first encrypted notification (a boot of some tens of ms, once),
    // not here: a Herald that never receives one (or whose start fails after this point) runs no threads.
    await processor.start();
  });
  host.onStop(async () => {
    if (pruneTimer) clearInterval(pruneTimer);
    await processor.stop();
    // After the processor: nothing is waiting for an unwrap any more.
    await unwrapPool.close();
  });

  return { keys, processor, metrics, unwrapPool };
}
