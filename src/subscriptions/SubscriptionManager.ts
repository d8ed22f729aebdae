import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { EncryptionCertificateSource } from '../certificates/EncryptionCertificate.js';
import type { HeraldEvents, InstalledEvent, UninstalledEvent } from '../events/HeraldEvents.js';
import type { ChatGraph } from '../graph/ChatGraph.js';
import type { GraphSubscription, NewSubscription } from '../graph/GraphApi.js';
import { GraphRequestError, isGraphFailure, type GraphFailure } from '../graph/GraphRequestError.js';
import type { LifecycleEvent } from '../model/changeEvents.js';
import type { ChatProblem } from '../model/chat.js';
import type { Installation } from '../model/installation.js';
import type { SubscriptionKind, SubscriptionRecord } from '../model/subscription.js';
import { emptyChatState } from '../model/chat.js';
import type { HeraldStore } from '../storage/HeraldStore.js';
import { isPermanentAccessFailure } from './accessProblem.js';
import { applyBaseline, diffSnapshot, readChatSnapshot } from './chatSnapshot.js';
import type { ChatProblemReporter } from './ChatProblemReporter.js';
import { KeyedMutex } from './KeyedMutex.js';
import { RenewalPolicy, type RenewalPolicyOptions } from './RenewalPolicy.js';
import {
  chatSubscriptionSpecs,
  isTenantKind,
  matchesSpec,
  ownerKey,
  tenantSubscriptionSpecs,
  type SubscriptionSpec,
} from './subscriptionSpecs.js';
import { TimerWheel, type TimerFunctions } from './TimerWheel.js';
import { formatRemaining } from '../kernel/duration.js';

/** The Graph calls the manager makes (GraphApi implements them). */
export interface SubscriptionGraph extends Pick<ChatGraph, 'getChat' | 'listChatMembers'> {
  createSubscription(tenantId: string, body: NewSubscription): Promise<GraphSubscription>;
  renewSubscription(tenantId: string, id: string, expirationDateTime: string): Promise<GraphSubscription>;
  deleteSubscription(tenantId: string, id: string): Promise<void>;
  reauthorizeSubscription(tenantId: string, id: string): Promise<void>;
  listSubscriptions(tenantId: string): Promise<GraphSubscription[]>;
}

export interface SubscriptionManagerOptions extends RenewalPolicyOptions {
  /** Subscription jobs running at once. */
  concurrency: number;
  /** Graph: no reauthorize and PATCH of one subscription within 10 minutes of each other. */
  reauthorizeSpacingMs: number;
  /** Transient failures of a DELETE are retried this many times, then left to the start-up reconcile. */
  deleteAttempts: number;
  /** Timer functions for the wheel (default: the globals at call time, so sinon fake timers apply). */
  timers?: TimerFunctions;
}

export interface SubscriptionManagerDeps {
  graph: SubscriptionGraph;
  store: HeraldStore;
  events: HeraldEvents;
  problems: ChatProblemReporter;
  certificates: EncryptionCertificateSource;
  log: Logger;
  clock: () => Date;
  /** `PUBLIC_URL`, no trailing slash. */
  publicUrl: string;
  teamsAppId: string | null;
  billingModel: 'B' | null;
  /** Herald's own ids (bot app id, Entra client id): never part of a roster. */
  ownIds?: readonly string[];
  options?: Partial<SubscriptionManagerOptions>;
}

/** One subscription as `status` and the tab show it. */
export interface SubscriptionView {
  id: string;
  kind: SubscriptionKind;
  resource: string;
  changeType: string;
  expirationDateTime: string;
  /** Milliseconds left (negative once expired). */
  expiresInMs: number;
  nextRenewalAt: string | null;
  lastRenewedAt: string | null;
  lastError: string | null;
}

/** What `describeChat` returns: the chat's subscriptions, its tenant's pair, and anything the admin must fix. */
export interface ChatSubscriptionsView {
  chatId: string;
  tenantId: string | null;
  installed: boolean;
  subscriptions: SubscriptionView[];
  tenantSubscriptions: SubscriptionView[];
  problem: ChatProblem | null;
  /** A tenant-wide failure (e.g. WhereInstalled permissions not consented, billing missing). */
  tenantProblem: string | null;
  /** The tenant-wide pair runs without `model=B` (Graph's evaluation quota applies). */
  evaluationMode: boolean;
  /** When set-up or a retry for this chat is scheduled (null when nothing is pending). */
  pendingSyncAt: string | null;
}

interface ChatSyncFlags {
  /** Make sure the chat's subscriptions exist. */
  ensure: boolean;
  /** Take a fresh baseline (install): no announcements for what was already there. */
  baseline: boolean;
  /** Diff Graph against the stored state and emit the differences (missed notifications). */
  reconcile: boolean;
  /** Mark the diff as the new baseline (after subscriptionRemoved). */
  rebaseline: boolean;
}

const NO_FLAGS: ChatSyncFlags = { ensure: false, baseline: false, reconcile: false, rebaseline: false };

function mergeFlags(a: ChatSyncFlags | undefined, b: Partial<ChatSyncFlags>): ChatSyncFlags {
  const base = a ?? NO_FLAGS;
  return {
    ensure: base.ensure || Boolean(b.ensure),
    baseline: base.baseline || Boolean(b.baseline),
    reconcile: base.reconcile || Boolean(b.reconcile),
    rebaseline: base.rebaseline || Boolean(b.rebaseline),
  };
}

export const DEFAULT_MANAGER_OPTIONS: Omit<SubscriptionManagerOptions, keyof RenewalPolicyOptions | 'timers'> = {
  concurrency: 4,
  reauthorizeSpacingMs: 10 * 60_000,
  deleteAttempts: 5,
};

/** A subscription about to expire this soon is treated as gone (Graph may already have dropped it). */
const EXPIRY_MARGIN_MS = 60_000;

function describeFailure(error: GraphFailure): string {
  if (error instanceof GraphRequestError) return `${error.status ?? 'no answer'}${error.code ? ` ${error.code}` : ''}: ${error.message}`.slice(0, 300);
  return `login failed: ${error.errorCode}${error.aadCodes.length ? ` AADSTS${error.aadCodes.join(',')}` : ''}`;
}

function sameUrl(a: string | null | undefined, b: string): boolean {
  return typeof a === 'string' && a.replace(/\/+$/, '').toLowerCase() === b.replace(/\/+$/, '').toLowerCase();
}

/**
 * Keeps Herald's Graph subscriptions alive: the per-chat pair from installation to removal, the optional
 * tenant-wide pair, renewals before expiry on one timer wheel, lifecycle events, and the start-up
 * reconcile against what Graph actually has. Also takes the baseline snapshot of each chat and, after
 * notifications were lost, emits what changed (`source: 'reconcile'`) for the announcer.
 *
 * All work runs as keyed jobs on the wheel (one per chat, subscription or tenant; rescheduling replaces),
 * serialised per chat and per tenant, so duplicate events never create duplicate subscriptions.
 */
export class SubscriptionManager {
  readonly policy: RenewalPolicy;
  private readonly options: SubscriptionManagerOptions;
  private readonly wheel: TimerWheel;
  private readonly mutex = new KeyedMutex();
  private readonly chatFlags = new Map<string, ChatSyncFlags>();
  private readonly attempts = new Map<string, number>();
  /** Last PATCH or reauthorize per subscription (ms), for Graph's 10-minute spacing rule. */
  private readonly lastTouched = new Map<string, number>();
  private readonly tenantProblems = new Map<string, string>();
  private readonly ownIds: Set<string>;
  private readonly notificationUrl: string;
  private readonly lifecycleUrl: string;
  private stopped = false;
  /** The start-up reconcile, while it runs in the background. */
  private starting: Promise<void> | null = null;

  constructor(private readonly deps: SubscriptionManagerDeps) {
    const { timers, ...rest } = deps.options ?? {};
    this.options = { ...new RenewalPolicy().options, ...DEFAULT_MANAGER_OPTIONS, ...rest, timers };
    this.policy = new RenewalPolicy(this.options);
    this.wheel = new TimerWheel({
      clock: deps.clock,
      timers,
      concurrency: this.options.concurrency,
      onError: (key, error) => deps.log.error({ err: error, job: key }, 'subscription job failed'),
    });
    const base = deps.publicUrl.replace(/\/+$/, '');
    this.notificationUrl = `${base}/api/notifications`;
    this.lifecycleUrl = `${base}/api/notifications/lifecycle`;
    this.ownIds = new Set((deps.ownIds ?? []).filter(Boolean).flatMap((id) => [id.toLowerCase(), `28:${id.toLowerCase()}`]));
  }

  // ---- events in ---------------------------------------------------------------------------

  /** Herald was added to a chat (or came back): subscriptions, then a fresh baseline. Returns at once. */
  onInstalled(event: InstalledEvent): void {
    this.requestChatSync(event.installation.chatId, { ensure: true, baseline: true });
  }

  /** Herald left a chat: its pending work is dropped and its subscriptions deleted. Returns at once. */
  onUninstalled(event: UninstalledEvent): void {
    const { chatId, tenantId } = event;
    this.chatFlags.delete(chatId);
    this.wheel.cancelPrefix(`chat:${chatId}:`);
    this.wheel.schedule(`chat:${chatId}:remove`, this.deps.clock(), () => this.removeChat(chatId, tenantId));
  }

  /** A lifecycle notification for one of Herald's subscriptions. Returns at once. */
  onLifecycle(event: LifecycleEvent): void {
    const record = this.deps.store.subscriptions.get(event.subscriptionId);
    if (!record) {
      this.deps.log.debug({ subscriptionId: event.subscriptionId, lifecycleEvent: event.kind }, 'lifecycle event for an unknown subscription');
      return;
    }
    if (event.tenantId && event.tenantId.toLowerCase() !== record.tenantId.toLowerCase()) {
      this.deps.log.warn({ subscriptionId: record.id, lifecycleEvent: event.kind }, 'lifecycle event names another tenant; ignored');
      return;
    }
    this.deps.log.info({ subscriptionId: record.id, kind: record.kind, chatId: record.chatId, lifecycleEvent: event.kind }, 'lifecycle event');
    this.wheel.schedule(`sub:${record.id}:lifecycle:${event.kind}`, this.deps.clock(), () => this.handleLifecycle(record.id, event.kind));
  }

  // ---- start and stop ----------------------------------------------------------------------

  /** Start-up reconcile: per known tenant, compare Graph's list with the store; then schedule renewals. */
  async start(): Promise<void> {
    if (this.deps.teamsAppId && this.deps.billingModel !== 'B') {
      this.deps.log.warn(
        { teamsAppId: this.deps.teamsAppId },
        'TEAMS_APP_ID is set without GRAPH_BILLING_MODEL=B: the tenant-wide installedToChats subscriptions run in Graph evaluation mode (about 500 notifications a month, then Graph silently stops sending). Per-chat subscriptions are not affected.',
      );
    }
    const tenants = new Set<string>();
    for (const installation of this.installedChats()) tenants.add(installation.tenantId);
    for (const record of this.deps.store.subscriptions.list()) tenants.add(record.tenantId);
    for (const tenantId of tenants) {
      if (this.stopped) return;
      await this.reconcileTenantAtStart(tenantId);
    }
    // Anything not touched above (e.g. a tenant whose list failed) still gets its renewal.
    for (const record of this.deps.store.subscriptions.list()) {
      if (!this.wheel.dueAt(renewKey(record.id))) this.scheduleRenewal(record);
    }
  }

  /**
   * Runs the start-up reconcile without holding up Herald's start: inbox replay and the bot must not wait
   * for a slow or unreachable Graph. Failures are logged; renewals and per-chat work still run.
   */
  startInBackground(): void {
    this.starting ??= this.start().catch((error: unknown) => this.deps.log.error({ err: error }, 'start-up reconcile of subscriptions failed'));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // The reconcile checks `stopped` between tenants; an in-flight Graph call is bounded by its timeouts.
    if (this.starting) await this.starting;
    await this.wheel.stop();
  }

  /** Resolves when the start-up reconcile is done and no subscription job is running or due now. */
  async whenIdle(): Promise<void> {
    if (this.starting) await this.starting;
    await this.wheel.whenIdle();
  }

  // ---- views -------------------------------------------------------------------------------

  describeChat(chatId: string): ChatSubscriptionsView {
    const { store, clock } = this.deps;
    const now = clock().getTime();
    const installation = store.installations.get(chatId);
    const state = store.chats.get(chatId);
    const tenantId = installation?.tenantId ?? state?.tenantId ?? null;
    const view = (r: SubscriptionRecord): SubscriptionView => ({
      id: r.id,
      kind: r.kind,
      resource: r.resource,
      changeType: r.changeType,
      expirationDateTime: r.expirationDateTime,
      expiresInMs: Date.parse(r.expirationDateTime) - now,
      nextRenewalAt: this.wheel.dueAt(renewKey(r.id))?.toISOString() ?? null,
      lastRenewedAt: r.lastRenewedAt,
      lastError: r.lastError,
    });
    const byKind = (a: SubscriptionRecord, b: SubscriptionRecord) => a.kind.localeCompare(b.kind);
    return {
      chatId,
      tenantId,
      installed: installation?.status === 'installed',
      subscriptions: store.subscriptions.list((r) => r.chatId === chatId).sort(byKind).map(view),
      tenantSubscriptions: tenantId ? store.subscriptions.list((r) => r.chatId === null && r.tenantId === tenantId).sort(byKind).map(view) : [],
      problem: state?.problem ?? null,
      tenantProblem: tenantId ? (this.tenantProblems.get(tenantId) ?? null) : null,
      evaluationMode: Boolean(this.deps.teamsAppId) && this.deps.billingModel !== 'B',
      pendingSyncAt: this.wheel.dueAt(`chat:${chatId}:sync`)?.toISOString() ?? null,
    };
  }

  /** Lines `@Herald status` adds to chatStatusLines (which already lists subscriptions and their expiry). */
  statusLines(chatId: string): string[] {
    const view = this.describeChat(chatId);
    const lines: string[] = [];
    const now = this.deps.clock().getTime();
    const renewals = [...view.subscriptions, ...view.tenantSubscriptions]
      .map((s) => (s.nextRenewalAt ? Date.parse(s.nextRenewalAt) : null))
      .filter((t): t is number => t !== null)
      .sort((a, b) => a - b);
    if (renewals[0] !== undefined) lines.push(`Next subscription renewal: in ${formatRemaining(renewals[0] - now, 'now')}.`);
    if (view.pendingSyncAt) {
      const at = Date.parse(view.pendingSyncAt);
      lines.push(at > now ? `Subscription set-up: retrying in ${formatRemaining(at - now, 'now')}.` : 'Subscription set-up: in progress.');
    }
    if (view.tenantProblem) lines.push(`Tenant-wide subscriptions: ${view.tenantProblem}`);
    return lines;
  }

  /** Totals for /healthz. */
  health(): { subscriptions: number; expired: number; scheduledJobs: number; runningJobs: number; tenantProblems: number } {
    const now = this.deps.clock().getTime();
    const all = this.deps.store.subscriptions.list();
    return {
      subscriptions: all.length,
      expired: all.filter((r) => Date.parse(r.expirationDateTime) <= now).length,
      scheduledJobs: this.wheel.size,
      runningJobs: this.wheel.runningCount,
      tenantProblems: this.tenantProblems.size,
    };
  }

  // ---- chat jobs ---------------------------------------------------------------------------

  private requestChatSync(chatId: string, flags: Partial<ChatSyncFlags>, at: Date = this.deps.clock()): void {
    if (this.stopped) return;
    this.chatFlags.set(chatId, mergeFlags(this.chatFlags.get(chatId), flags));
    const key = `chat:${chatId}:sync`;
    const due = this.wheel.dueAt(key);
    const when = due && due.getTime() < at.getTime() ? due : at;
    this.wheel.schedule(key, when, () => this.syncChat(chatId));
  }

  private async syncChat(chatId: string): Promise<void> {
    const flags = this.chatFlags.get(chatId) ?? NO_FLAGS;
    this.chatFlags.delete(chatId);
    const installation = this.installed(chatId);
    if (!installation) return;
    const key = `chat:${chatId}:sync`;
    let ok = false;
    try {
      await this.mutex.run(`chat:${chatId}`, () => this.syncChatLocked(chatId, flags));
      ok = true;
      this.attempts.delete(key);
    } catch (error) {
      if (!isGraphFailure(error)) throw error;
      await this.onChatFailure(installation, error, key, flags);
    }
    if (ok && flags.ensure) this.requestTenantSync(installation.tenantId);
  }

  private async syncChatLocked(chatId: string, flags: ChatSyncFlags): Promise<void> {
    // Checked under the lock: a removal queued before this job has already run.
    const installation = this.installed(chatId);
    if (!installation) return;
    const { tenantId } = installation;
    let created = false;
    if (flags.ensure) {
      for (const spec of chatSubscriptionSpecs(tenantId, chatId)) {
        if ((await this.ensureSpec(spec)) === 'created') created = true;
      }
      await this.deps.problems.clear(chatId);
    }
    const state = this.deps.store.chats.get(chatId);
    if (flags.baseline || !state?.baselineAt) {
      await this.takeBaseline(tenantId, chatId);
    } else if (flags.reconcile || flags.rebaseline || created) {
      await this.reconcileChat(tenantId, chatId, flags.rebaseline || created);
    }
  }

  private async onChatFailure(installation: Installation, error: GraphFailure, key: string, flags: ChatSyncFlags): Promise<void> {
    const { chatId, tenantId } = installation;
    if (isPermanentAccessFailure(error)) {
      this.attempts.delete(key);
      await this.deps.problems.report(chatId, tenantId, error);
      return;
    }
    const attempt = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, attempt);
    const retryAfterMs = error instanceof GraphRequestError ? error.retryAfterMs : null;
    const delay = this.policy.retryDelayMs(attempt, retryAfterMs);
    this.deps.log.warn({ chatId, err: error, attempt, retryInMs: delay }, 'chat subscription work failed; will retry');
    this.requestChatSync(chatId, flags, new Date(this.deps.clock().getTime() + delay));
  }

  private async removeChat(chatId: string, tenantId: string): Promise<void> {
    await this.mutex.run(`chat:${chatId}`, async () => {
      // Re-installed meanwhile: the newer install wins.
      if (this.installed(chatId)) return;
      for (const record of this.deps.store.subscriptions.list((r) => r.chatId === chatId)) {
        await this.dropRecord(record, { deleteAtGraph: true });
      }
      this.deps.log.info({ chatId }, 'removed the chat\'s subscriptions');
    });
    this.requestTenantSync(tenantId);
  }

  /** Reads the chat and its members and stores them as the truth to diff against (no announcements). */
  private async takeBaseline(tenantId: string, chatId: string): Promise<void> {
    const snapshot = await readChatSnapshot(this.deps.graph, tenantId, chatId, this.deps.clock());
    await this.deps.store.chats.update(chatId, (current) => applyBaseline(current ?? emptyChatState(chatId, tenantId), snapshot, this.ownIds));
    this.deps.log.info({ chatId, members: snapshot.members.length }, 'baseline taken');
  }

  /** Re-reads the chat and emits what differs from the stored state as reconcile change events. */
  private async reconcileChat(tenantId: string, chatId: string, rebaseline: boolean): Promise<void> {
    const now = this.deps.clock();
    const snapshot = await readChatSnapshot(this.deps.graph, tenantId, chatId, now);
    const state = this.deps.store.chats.get(chatId);
    if (!state) {
      await this.takeBaseline(tenantId, chatId);
      return;
    }
    const changes = diffSnapshot(state, snapshot, now.toISOString(), this.ownIds);
    this.deps.log.info({ chatId, changes: changes.length }, 'reconciled chat with Graph');
    for (const change of changes) await this.deps.events.emit('change', change);
    if (rebaseline) {
      await this.deps.store.chats.update(chatId, (current) => (current ? { ...current, baselineAt: snapshot.takenAt } : current));
    }
  }

  // ---- tenant jobs -------------------------------------------------------------------------

  private requestTenantSync(tenantId: string, at: Date = this.deps.clock()): void {
    if (this.stopped) return;
    const key = `tenant:${tenantId}:sync`;
    const due = this.wheel.dueAt(key);
    this.wheel.schedule(key, due && due < at ? due : at, () => this.syncTenant(tenantId));
  }

  private async syncTenant(tenantId: string): Promise<void> {
    const key = `tenant:${tenantId}:sync`;
    try {
      await this.mutex.run(`tenant:${tenantId}`, () => this.syncTenantLocked(tenantId));
      this.attempts.delete(key);
      this.tenantProblems.delete(tenantId);
    } catch (error) {
      if (!isGraphFailure(error)) throw error;
      this.onTenantFailure(tenantId, error, key);
    }
  }

  private async syncTenantLocked(tenantId: string): Promise<void> {
    const wanted = this.tenantSpecs(tenantId);
    for (const record of this.deps.store.subscriptions.list((r) => r.tenantId === tenantId && isTenantKind(r.kind))) {
      if (!wanted.some((spec) => spec.kind === record.kind && matchesSpec(record, spec))) await this.dropRecord(record, { deleteAtGraph: true });
    }
    for (const spec of wanted) await this.ensureSpec(spec);
  }

  private onTenantFailure(tenantId: string, error: GraphFailure, key: string): void {
    if (isPermanentAccessFailure(error) || (error instanceof GraphRequestError && (error.paymentRequired || error.status === 400))) {
      // Not retried: WhereInstalled permissions, billing (model=B) or the resource itself need an admin.
      const message =
        error instanceof GraphRequestError && error.paymentRequired
          ? `Graph refused the metered installedToChats subscriptions (402): link the app registration to an Azure subscription for model=B billing. (${describeFailure(error)})`
          : `Graph refused the installedToChats subscriptions (${describeFailure(error)}); an admin must grant Herald's WhereInstalled permissions. Per-chat subscriptions keep working.`;
      this.tenantProblems.set(tenantId, message);
      this.deps.log.error({ tenantId, err: error }, 'tenant-wide subscriptions refused; not retrying until the next install or restart');
      return;
    }
    const attempt = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, attempt);
    const delay = this.policy.retryDelayMs(attempt, error instanceof GraphRequestError ? error.retryAfterMs : null);
    this.deps.log.warn({ tenantId, err: error, attempt, retryInMs: delay }, 'tenant-wide subscription work failed; will retry');
    this.requestTenantSync(tenantId, new Date(this.deps.clock().getTime() + delay));
  }

  /** The tenant-wide pair, when TEAMS_APP_ID is set and Herald is in at least one chat of the tenant. */
  private tenantSpecs(tenantId: string): SubscriptionSpec[] {
    if (!this.deps.teamsAppId) return [];
    if (!this.installedChats().some((i) => i.tenantId === tenantId)) return [];
    return tenantSubscriptionSpecs(tenantId, this.deps.teamsAppId, this.deps.billingModel);
  }

  // ---- one subscription --------------------------------------------------------------------

  /** Makes sure exactly one live subscription for `spec` is stored; creates it when missing. */
  private async ensureSpec(spec: SubscriptionSpec): Promise<'kept' | 'created'> {
    const now = this.deps.clock().getTime();
    const records = this.deps.store.subscriptions
      .list((r) => r.tenantId === spec.tenantId && r.chatId === spec.chatId && r.kind === spec.kind)
      .sort((a, b) => Date.parse(b.expirationDateTime) - Date.parse(a.expirationDateTime));
    const keep = records.find((r) => matchesSpec(r, spec) && Date.parse(r.expirationDateTime) > now + EXPIRY_MARGIN_MS);
    for (const record of records) {
      if (record !== keep) await this.dropRecord(record, { deleteAtGraph: Date.parse(record.expirationDateTime) > now });
    }
    if (keep) {
      if (!this.wheel.dueAt(renewKey(keep.id))) this.scheduleRenewal(keep);
      return 'kept';
    }
    await this.create(spec);
    return 'created';
  }

  private async create(spec: SubscriptionSpec): Promise<SubscriptionRecord> {
    const { graph, clock, certificates, store, log } = this.deps;
    const certificate = certificates.current();
    const body: NewSubscription = {
      changeType: spec.changeType,
      notificationUrl: this.notificationUrl,
      lifecycleNotificationUrl: this.lifecycleUrl,
      resource: spec.resource,
      expirationDateTime: this.policy.expiryFrom(clock()).toISOString(),
      // Per subscription, 64 url-safe characters (≤128 as Graph requires); compared in constant time on receipt.
      clientState: randomBytes(48).toString('base64url'),
      includeResourceData: true,
      encryptionCertificate: certificate.certificateBase64,
      encryptionCertificateId: certificate.id,
      latestSupportedTlsVersion: 'v1_2',
    };
    let created: GraphSubscription;
    try {
      created = await graph.createSubscription(spec.tenantId, body);
    } catch (error) {
      if (!(error instanceof GraphRequestError && error.conflict)) throw error;
      // Graph already has one for this resource that Herald does not know (lost store): its clientState is
      // unknown, so it cannot be adopted. Delete it and create ours.
      log.warn({ resource: spec.resource, tenantId: spec.tenantId }, 'Graph says a subscription for this resource exists; replacing it');
      for (const existing of await graph.listSubscriptions(spec.tenantId)) {
        if (matchesSpec(existing, spec) && !store.subscriptions.get(existing.id)) await this.deleteAtGraph(spec.tenantId, existing.id);
      }
      created = await graph.createSubscription(spec.tenantId, { ...body, expirationDateTime: this.policy.expiryFrom(clock()).toISOString() });
    }
    const now = clock().toISOString();
    const record: SubscriptionRecord = {
      id: created.id,
      kind: spec.kind,
      tenantId: spec.tenantId,
      chatId: spec.chatId,
      resource: spec.resource,
      changeType: spec.changeType,
      clientState: body.clientState,
      expirationDateTime: created.expirationDateTime,
      encryptionCertificateId: certificate.id,
      createdAt: now,
      lastRenewedAt: null,
      lastNotificationAt: null,
      lastError: null,
    };
    await store.subscriptions.put(record.id, record);
    this.lastTouched.set(record.id, clock().getTime());
    this.scheduleRenewal(record);
    log.info({ subscriptionId: record.id, kind: record.kind, chatId: record.chatId, tenantId: record.tenantId, expires: record.expirationDateTime }, 'subscription created');
    return record;
  }

  private scheduleRenewal(record: SubscriptionRecord, at?: Date): void {
    if (this.stopped) return;
    const when = at ?? this.policy.renewAt(record, this.deps.clock());
    this.wheel.schedule(renewKey(record.id), when, () => this.renew(record.id));
  }

  private async renew(id: string): Promise<void> {
    const record = this.deps.store.subscriptions.get(id);
    if (!record) return;
    await this.mutex.run(ownerKey(record), () => this.renewLocked(id));
  }

  private async renewLocked(id: string): Promise<void> {
    const { store, graph, clock, certificates } = this.deps;
    const record = store.subscriptions.get(id);
    if (!record) return;
    if (!this.isWanted(record)) {
      await this.dropRecord(record, { deleteAtGraph: true });
      return;
    }
    const now = clock().getTime();
    if (Date.parse(record.expirationDateTime) <= now + EXPIRY_MARGIN_MS) {
      await this.replaceReporting(record, 'expired before it could be renewed');
      return;
    }
    if (record.encryptionCertificateId && record.encryptionCertificateId !== certificates.current().id) {
      // Graph documents no certificate PATCH: move the subscription to the new certificate by recreating it.
      await this.replaceReporting(record, 'encryption certificate rotated', { deleteFirst: true });
      return;
    }
    const last = this.lastTouched.get(id);
    if (last !== undefined && now - last < this.options.reauthorizeSpacingMs) {
      this.scheduleRenewal(record, new Date(last + this.options.reauthorizeSpacingMs));
      return;
    }
    const key = renewKey(id);
    try {
      const renewed = await graph.renewSubscription(record.tenantId, id, this.policy.expiryFrom(clock()).toISOString());
      this.lastTouched.set(id, clock().getTime());
      this.attempts.delete(key);
      const updated = await store.subscriptions.update(id, (current) =>
        current ? { ...current, expirationDateTime: renewed.expirationDateTime, lastRenewedAt: clock().toISOString(), lastError: null } : current,
      );
      if (updated) this.scheduleRenewal(updated);
      this.deps.log.debug({ subscriptionId: id, expires: renewed.expirationDateTime }, 'subscription renewed');
    } catch (error) {
      if (!isGraphFailure(error)) throw error;
      await this.onSubscriptionFailure(record, error, key, () => this.scheduleRenewal(record, this.retryAt(key, error)));
    }
  }

  /** The subscription is gone or unusable: forget it, create a new one, and catch up on what was missed. */
  private async replace(record: SubscriptionRecord, reason: string, options: { deleteFirst: boolean }): Promise<void> {
    this.deps.log.info({ subscriptionId: record.id, kind: record.kind, chatId: record.chatId, reason }, 'replacing subscription');
    await this.dropRecord(record, { deleteAtGraph: options.deleteFirst });
    if (record.chatId) {
      const installation = this.installed(record.chatId);
      if (!installation) return;
      const spec = chatSubscriptionSpecs(installation.tenantId, installation.chatId).find((s) => s.kind === record.kind);
      if (spec) await this.ensureSpec(spec);
      // Notifications may have been lost while it was missing: compare with Graph and announce the difference.
      await this.reconcileChat(installation.tenantId, installation.chatId, true);
    } else {
      const spec = this.tenantSpecs(record.tenantId).find((s) => s.kind === record.kind);
      if (spec) await this.ensureSpec(spec);
    }
  }

  /**
   * Shared handling of a failed renew/reauthorize: 404 recreates; access refused is recorded (chat) or
   * reported (tenant) and not retried; anything else is retried later via `retry`.
   */
  private async onSubscriptionFailure(record: SubscriptionRecord, error: GraphFailure, key: string, retry: () => void): Promise<void> {
    await this.deps.store.subscriptions.update(record.id, (current) => (current ? { ...current, lastError: describeFailure(error) } : current));
    if (error instanceof GraphRequestError && error.notFound) {
      this.attempts.delete(key);
      await this.replaceReporting(record, 'Graph no longer has it (404)');
      return;
    }
    if (isPermanentAccessFailure(error)) {
      this.attempts.delete(key);
      if (record.chatId) await this.deps.problems.report(record.chatId, record.tenantId, error);
      else this.onTenantFailure(record.tenantId, error, key);
      return;
    }
    this.deps.log.warn({ subscriptionId: record.id, err: error }, 'subscription call failed; will retry');
    retry();
  }

  /** `replace`, with a failure to recreate handed to the chat/tenant retry logic instead of thrown. */
  private async replaceReporting(record: SubscriptionRecord, reason: string, options = { deleteFirst: false }): Promise<void> {
    try {
      await this.replace(record, reason, options);
    } catch (error) {
      if (!isGraphFailure(error)) throw error;
      if (record.chatId) {
        const installation = this.installed(record.chatId);
        if (installation) await this.onChatFailure(installation, error, `chat:${record.chatId}:sync`, { ...NO_FLAGS, ensure: true, reconcile: true, rebaseline: true });
      } else {
        this.onTenantFailure(record.tenantId, error, `tenant:${record.tenantId}:sync`);
      }
    }
  }

  private retryAt(key: string, error: GraphFailure): Date {
    const attempt = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, attempt);
    const delay = this.policy.retryDelayMs(attempt, error instanceof GraphRequestError ? error.retryAfterMs : null);
    return new Date(this.deps.clock().getTime() + delay);
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  private async handleLifecycle(id: string, kind: LifecycleEvent['kind']): Promise<void> {
    const record = this.deps.store.subscriptions.get(id);
    if (!record) return;
    await this.mutex.run(ownerKey(record), async () => {
      const current = this.deps.store.subscriptions.get(id);
      if (!current) return;
      if (kind === 'reauthorizationRequired') await this.reauthorize(current);
      else if (kind === 'subscriptionRemoved') await this.replaceReporting(current, 'Graph removed it (subscriptionRemoved)');
      else if (kind === 'missed') await this.catchUp(current);
    });
  }

  private async reauthorize(record: SubscriptionRecord): Promise<void> {
    const now = this.deps.clock().getTime();
    const last = this.lastTouched.get(record.id);
    if (last !== undefined && now - last < this.options.reauthorizeSpacingMs) return; // just renewed or reauthorized
    const renewAt = this.wheel.dueAt(renewKey(record.id));
    if (renewAt && renewAt.getTime() - now < this.options.reauthorizeSpacingMs * 6) {
      // A renewal is close anyway: PATCH now (it also reauthorizes) rather than both within minutes.
      await this.renewLocked(record.id);
      return;
    }
    const key = `sub:${record.id}:reauthorize`;
    try {
      await this.deps.graph.reauthorizeSubscription(record.tenantId, record.id);
      this.lastTouched.set(record.id, this.deps.clock().getTime());
      this.attempts.delete(key);
      await this.deps.store.subscriptions.update(record.id, (current) => (current ? { ...current, lastError: null } : current));
      if (record.chatId) await this.deps.problems.clear(record.chatId);
      this.deps.log.info({ subscriptionId: record.id }, 'subscription reauthorized');
    } catch (error) {
      if (!isGraphFailure(error)) throw error;
      await this.onSubscriptionFailure(record, error, key, () =>
        this.wheel.schedule(`sub:${record.id}:lifecycle:reauthorizationRequired`, this.retryAt(key, error), () => this.handleLifecycle(record.id, 'reauthorizationRequired')),
      );
    }
  }

  /** `missed`: notifications were lost; compare the chat (or every chat of the tenant) with Graph. */
  private async catchUp(record: SubscriptionRecord): Promise<void> {
    if (record.chatId) {
      try {
        await this.reconcileChat(record.tenantId, record.chatId, false);
      } catch (error) {
        if (!isGraphFailure(error)) throw error;
        const installation = this.installed(record.chatId);
        if (installation) await this.onChatFailure(installation, error, `chat:${record.chatId}:sync`, { ...NO_FLAGS, reconcile: true });
      }
      return;
    }
    for (const installation of this.installedChats().filter((i) => i.tenantId === record.tenantId)) {
      this.requestChatSync(installation.chatId, { reconcile: true });
    }
  }

  // ---- start-up reconcile ------------------------------------------------------------------

  private async reconcileTenantAtStart(tenantId: string): Promise<void> {
    const { graph, store, log } = this.deps;
    const chats = this.installedChats().filter((i) => i.tenantId === tenantId);
    // Only records that existed before the list are judged by it (a chat installed meanwhile is not).
    const storedBefore = new Set(store.subscriptions.list((r) => r.tenantId === tenantId).map((r) => r.id));
    let live: GraphSubscription[];
    try {
      live = await graph.listSubscriptions(tenantId);
    } catch (error) {
      if (!isGraphFailure(error)) throw error;
      // Without Graph's view, fall back to the store: ensure each chat (failures are handled per chat).
      log.warn({ tenantId, err: error }, 'could not list subscriptions at start; working from storage');
      for (const installation of chats) this.requestChatSync(installation.chatId, { ensure: true });
      this.requestTenantSync(tenantId);
      return;
    }
    // Herald's own: pointing at this PUBLIC_URL, or known to the store (e.g. created under an older URL).
    const mine = live.filter((s) => sameUrl(s.notificationUrl, this.notificationUrl) || store.subscriptions.get(s.id));
    const handled = new Set<string>();
    for (const installation of chats) {
      const missing = await this.mutex.run(`chat:${installation.chatId}`, () =>
        this.adopt(chatSubscriptionSpecs(tenantId, installation.chatId), mine, handled),
      );
      if (missing) this.requestChatSync(installation.chatId, { ensure: true, reconcile: true, rebaseline: true });
    }
    const tenantSpecs = this.tenantSpecs(tenantId);
    if (tenantSpecs.length > 0) {
      const missing = await this.mutex.run(`tenant:${tenantId}`, () => this.adopt(tenantSpecs, mine, handled));
      if (missing) this.requestTenantSync(tenantId);
    }
    let orphans = 0;
    for (const sub of mine) {
      if (handled.has(sub.id)) continue;
      orphans++;
      await this.deleteAtGraph(tenantId, sub.id);
      await store.subscriptions.delete(sub.id);
    }
    // Stored records Graph no longer has, for chats Herald left or resources it no longer wants.
    for (const record of store.subscriptions.list((r) => r.tenantId === tenantId && storedBefore.has(r.id) && !handled.has(r.id))) {
      await this.dropRecord(record, { deleteAtGraph: false });
    }
    log.info({ tenantId, chats: chats.length, live: mine.length, adopted: handled.size, orphansDeleted: orphans }, 'subscriptions reconciled at start');
  }

  /**
   * Matches Graph's live subscriptions with the stored records for each spec. A live one Herald has a
   * record for (hence its clientState) is adopted; other live ones for the same resource are deleted
   * (duplicates, or unknown clientState); stored records without a live subscription are forgotten.
   * Returns whether any spec is left without a subscription.
   */
  private async adopt(specs: SubscriptionSpec[], mine: GraphSubscription[], handled: Set<string>): Promise<boolean> {
    const { store } = this.deps;
    let missing = false;
    for (const spec of specs) {
      const stored = store.subscriptions.list((r) => r.tenantId === spec.tenantId && r.chatId === spec.chatId && r.kind === spec.kind);
      const candidates = mine.filter((s) => !handled.has(s.id) && matchesSpec(s, spec));
      const usable = candidates
        .filter((s) => stored.some((r) => r.id === s.id && matchesSpec(r, spec)))
        .filter((s) => sameUrl(s.notificationUrl, this.notificationUrl) && sameUrl(s.lifecycleNotificationUrl, this.lifecycleUrl))
        .filter((s) => Date.parse(s.expirationDateTime) > this.deps.clock().getTime() + EXPIRY_MARGIN_MS)
        .sort((a, b) => Date.parse(b.expirationDateTime) - Date.parse(a.expirationDateTime));
      const keep = usable[0];
      for (const sub of candidates) {
        handled.add(sub.id);
        if (sub !== keep) {
          await this.deleteAtGraph(spec.tenantId, sub.id);
          await store.subscriptions.delete(sub.id);
          this.wheel.cancel(renewKey(sub.id));
        }
      }
      for (const record of stored) {
        if (record.id !== keep?.id) await this.dropRecord(record, { deleteAtGraph: false });
      }
      if (keep) {
        const updated = await store.subscriptions.update(keep.id, (current) => (current ? { ...current, expirationDateTime: keep.expirationDateTime } : current));
        if (updated) this.scheduleRenewal(updated);
      } else {
        missing = true;
      }
    }
    return missing;
  }

  // ---- helpers -----------------------------------------------------------------------------

  private async dropRecord(record: SubscriptionRecord, options: { deleteAtGraph: boolean }): Promise<void> {
    this.wheel.cancelPrefix(`sub:${record.id}:`);
    this.lastTouched.delete(record.id);
    this.attempts.delete(renewKey(record.id));
    await this.deps.store.subscriptions.delete(record.id);
    if (options.deleteAtGraph) await this.deleteAtGraph(record.tenantId, record.id);
  }

  /** DELETE at Graph; "already gone" and "no access any more" count as done; brief outages are retried. */
  private async deleteAtGraph(tenantId: string, id: string, attempt = 1): Promise<void> {
    try {
      await this.deps.graph.deleteSubscription(tenantId, id);
      this.deps.log.info({ subscriptionId: id, tenantId }, 'subscription deleted');
    } catch (error) {
      if (!isGraphFailure(error)) throw error;
      if ((error instanceof GraphRequestError && error.notFound) || isPermanentAccessFailure(error)) return;
      if (attempt >= this.options.deleteAttempts || this.stopped) {
        this.deps.log.warn({ subscriptionId: id, tenantId, err: error }, 'could not delete subscription; the next start-up reconcile will');
        return;
      }
      const delay = this.policy.retryDelayMs(attempt, error instanceof GraphRequestError ? error.retryAfterMs : null);
      this.wheel.schedule(`delete:${id}`, new Date(this.deps.clock().getTime() + delay), () => this.deleteAtGraph(tenantId, id, attempt + 1));
    }
  }

  private isWanted(record: SubscriptionRecord): boolean {
    if (record.chatId) {
      const installation = this.installed(record.chatId);
      return !!installation && installation.tenantId === record.tenantId;
    }
    return this.tenantSpecs(record.tenantId).some((spec) => spec.kind === record.kind && matchesSpec(record, spec));
  }

  private installed(chatId: string): Installation | null {
    const installation = this.deps.store.installations.get(chatId);
    return installation?.status === 'installed' ? installation : null;
  }

  private installedChats(): Installation[] {
    return this.deps.store.installations.list((i) => i.status === 'installed');
  }
}

function renewKey(id: string): string {
  return `sub:${id}:renew`;
}
