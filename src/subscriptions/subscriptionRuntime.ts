import { GraphRequestError, type GraphFailure } from '../graph/GraphRequestError.js';
import type { Installation } from '../model/installation.js';
import type { PendingCreationRecord, SubscriptionRecord } from '../model/subscription.js';
import type { JobKey } from './jobKeys.js';
import type { KeyLocks } from '../storage/Store.js';
import { PendingCreations } from './PendingCreations.js';
import { RenewalPolicy } from './RenewalPolicy.js';
import { matchesSpec, tenantSubscriptionSpecs, type SubscriptionSpec } from './subscriptionSpecs.js';
import { DEFAULT_MANAGER_OPTIONS, type SubscriptionManagerDeps, type SubscriptionManagerOptions } from './subscriptionTypes.js';
import { TimerWheel } from './TimerWheel.js';

export interface ChatSyncFlags {
  /** Make sure the chat's subscriptions exist. */
  ensure: boolean;
  /** Take a fresh baseline (install): no announcements for what was already there. */
  baseline: boolean;
  /** Diff Graph against the stored state and emit the differences (missed notifications). */
  reconcile: boolean;
  /** Mark the diff as the new baseline (after subscriptionRemoved). */
  rebaseline: boolean;
}

export const NO_FLAGS: ChatSyncFlags = { ensure: false, baseline: false, reconcile: false, rebaseline: false };

export function mergeFlags(a: ChatSyncFlags | undefined, b: Partial<ChatSyncFlags>): ChatSyncFlags {
  const base = a ?? NO_FLAGS;
  return {
    ensure: base.ensure || Boolean(b.ensure),
    baseline: base.baseline || Boolean(b.baseline),
    reconcile: base.reconcile || Boolean(b.reconcile),
    rebaseline: base.rebaseline || Boolean(b.rebaseline),
  };
}

/** A subscription about to expire this soon is treated as gone (Graph may already have dropped it). */
export const EXPIRY_MARGIN_MS = 60_000;

/**
 * The manager's shared state, handed explicitly to every job module (they are functions over it, so
 * none of them needs the SubscriptionManager class).
 */
export interface SubscriptionRuntime {
  readonly deps: SubscriptionManagerDeps;
  readonly options: SubscriptionManagerOptions;
  readonly policy: RenewalPolicy;
  readonly wheel: TimerWheel;
  /** The store's key locks (lockKeys.chat/tenant): one holder per chat or tenant across every instance on the store. */
  readonly mutex: KeyLocks;
  readonly chatFlags: Map<string, ChatSyncFlags>;
  readonly attempts: Map<JobKey, number>;
  /** Creations in flight, for notifications that arrive before Graph's 201. */
  readonly pending: PendingCreations;
  readonly ownIds: Set<string>;
  readonly notificationUrl: string;
  /** This instance (HeraldContext.instanceId), recorded as `lastRenewedBy`; null when not given. */
  readonly instanceId: string | null;
  readonly lifecycleUrl: string;
  stopped: boolean;
  /**
   * The renewal job, bound by the facade: upkeep (which renews) needs the record helpers that schedule
   * renewals, so this one call is late-bound to keep the modules free of import cycles.
   */
  renewJob: (subscriptionId: string) => Promise<void>;
  /** Settles a creation a dead instance left behind (pendingAdoption), bound by the facade likewise. */
  resolveStaleCreation: (marker: PendingCreationRecord) => Promise<void>;
}

export function createRuntime(deps: SubscriptionManagerDeps): SubscriptionRuntime {
  const { timers, ...rest } = deps.options ?? {};
  const options: SubscriptionManagerOptions = { ...new RenewalPolicy().options, ...DEFAULT_MANAGER_OPTIONS, ...rest, timers };
  const base = deps.publicUrl.replace(/\/+$/, '');
  const rt: SubscriptionRuntime = {
    deps,
    options,
    policy: new RenewalPolicy(options),
    wheel: new TimerWheel({
      clock: deps.clock,
      timers,
      concurrency: options.concurrency,
      onError: (key, error) => deps.log.error({ err: error, job: key }, 'subscription job failed'),
    }),
    mutex: deps.store.locks,
    chatFlags: new Map(),
    attempts: new Map(),
    pending: new PendingCreations({
      store: deps.store,
      clock: deps.clock,
      log: deps.log,
      instanceId: deps.instanceId ?? null,
      resolveStale: (marker) => rt.resolveStaleCreation(marker),
    }),
    ownIds: new Set((deps.ownIds ?? []).filter(Boolean).flatMap((id) => [id.toLowerCase(), `28:${id.toLowerCase()}`])),
    notificationUrl: `${base}/api/notifications`,
    instanceId: deps.instanceId ?? null,
    lifecycleUrl: `${base}/api/notifications/lifecycle`,
    stopped: false,
    renewJob: () => Promise.reject(new Error('renewJob not bound')),
    resolveStaleCreation: () => Promise.reject(new Error('resolveStaleCreation not bound')),
  };
  return rt;
}

export interface RetryPlan {
  attempt: number;
  delayMs: number;
  at: Date;
}

/**
 * The one retry path for every job: counts the attempt (per job key in `attempts`, or the caller's own
 * count, as the DELETE chain keeps) and asks the policy for the delay, honouring Graph's Retry-After.
 */
export function planRetry(rt: SubscriptionRuntime, error: GraphFailure, counter: JobKey | { attempt: number }): RetryPlan {
  let attempt: number;
  if (typeof counter === 'string') {
    attempt = (rt.attempts.get(counter) ?? 0) + 1;
    rt.attempts.set(counter, attempt);
  } else {
    attempt = counter.attempt;
  }
  const delayMs = rt.policy.retryDelayMs(attempt, error instanceof GraphRequestError ? error.retryAfterMs : null);
  return { attempt, delayMs, at: new Date(rt.deps.clock().getTime() + delayMs) };
}

export function sameUrl(a: string | null | undefined, b: string): boolean {
  return typeof a === 'string' && a.replace(/\/+$/, '').toLowerCase() === b.replace(/\/+$/, '').toLowerCase();
}

export async function installed(rt: SubscriptionRuntime, chatId: string): Promise<Installation | null> {
  const installation = await rt.deps.store.installations.get(chatId);
  return installation?.status === 'installed' ? installation : null;
}

/** The chats Herald is installed in (of one tenant, when given: answered from the tenant index). */
export function installedChats(rt: SubscriptionRuntime, tenantId?: string): Promise<Installation[]> {
  return rt.deps.store.installations.installed(tenantId);
}

/** The tenant-wide pair, when TEAMS_APP_ID is set and Herald is in at least one chat of the tenant. */
export async function tenantSpecs(rt: SubscriptionRuntime, tenantId: string): Promise<SubscriptionSpec[]> {
  const { teamsAppId, billingModel } = rt.deps;
  if (!teamsAppId) return [];
  if ((await installedChats(rt, tenantId)).length === 0) return [];
  return tenantSubscriptionSpecs(tenantId, teamsAppId, billingModel);
}

export async function isWanted(rt: SubscriptionRuntime, record: SubscriptionRecord): Promise<boolean> {
  if (record.chatId) {
    const installation = await installed(rt, record.chatId);
    return !!installation && installation.tenantId === record.tenantId;
  }
  return (await tenantSpecs(rt, record.tenantId)).some((spec) => spec.kind === record.kind && matchesSpec(record, spec));
}
