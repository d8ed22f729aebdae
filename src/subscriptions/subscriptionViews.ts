import type { HeraldErrorCode } from '../kernel/errors.js';
import { ENGLISH, type Messages } from '../i18n/Messages.js';
import { catalogueEntry } from '../kernel/errorCatalogue.js';
import type { ChatProblem } from '../model/chat.js';
import type { SubscriptionKind, SubscriptionRecord } from '../model/subscription.js';
import { jobKeys } from './jobKeys.js';
import { chatProblemCode } from './accessProblem.js';
import { type SubscriptionRuntime } from './subscriptionRuntime.js';
import { storedTenantProblems, tenantProblemOf } from './tenantProblems.js';

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
  /** The instance that created, last renewed or reauthorized it (several instances may share the store). */
  lastRenewedBy?: string | null;
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
  /** The catalogue code of `tenantProblem` (its advice is the catalogue's). */
  tenantProblemCode: HeraldErrorCode | null;
  /** The tenant-wide pair runs without `model=B` (Graph's evaluation quota applies). */
  evaluationMode: boolean;
  /** When set-up or a retry for this chat is scheduled (null when nothing is pending). */
  pendingSyncAt: string | null;
}

export interface SubscriptionHealth {
  subscriptions: number;
  expired: number;
  scheduledJobs: number;
  runningJobs: number;
  tenantProblems: number;
  /** What an admin must fix, one entry per catalogue code, with the tenants and chats it affects. */
  problems: ProblemHealth[];
}

export interface ProblemHealth {
  code: HeraldErrorCode;
  reason: string;
  advice: string;
  tenantIds: string[];
  chats: number;
}

export async function describeChat(rt: SubscriptionRuntime, chatId: string): Promise<ChatSubscriptionsView> {
  const { store, clock } = rt.deps;
  const now = clock().getTime();
  const [installation, state, own] = await Promise.all([store.installations.get(chatId), store.chats.get(chatId), store.subscriptions.ofChat(chatId)]);
  const tenantId = installation?.tenantId ?? state?.tenantId ?? null;
  const tenantWide = tenantId ? await store.subscriptions.tenantWide(tenantId) : [];
  const tenantProblem = tenantId ? await tenantProblemOf(rt, tenantId) : null;
  const view = (r: SubscriptionRecord): SubscriptionView => ({
    id: r.id,
    kind: r.kind,
    resource: r.resource,
    changeType: r.changeType,
    expirationDateTime: r.expirationDateTime,
    expiresInMs: Date.parse(r.expirationDateTime) - now,
    nextRenewalAt: rt.wheel.dueAt(jobKeys.renew(r.id))?.toISOString() ?? null,
    lastRenewedAt: r.lastRenewedAt,
    lastRenewedBy: r.lastRenewedBy ?? null,
    lastError: r.lastError,
  });
  const byKind = (a: SubscriptionRecord, b: SubscriptionRecord) => a.kind.localeCompare(b.kind);
  return {
    chatId,
    tenantId,
    installed: installation?.status === 'installed',
    subscriptions: own.sort(byKind).map(view),
    tenantSubscriptions: tenantWide.sort(byKind).map(view),
    problem: state?.problem ?? null,
    tenantProblem: tenantProblem?.message ?? null,
    tenantProblemCode: tenantProblem?.code ?? null,
    evaluationMode: Boolean(rt.deps.teamsAppId) && rt.deps.billingModel !== 'B',
    pendingSyncAt: rt.wheel.dueAt(jobKeys.chatSync(chatId))?.toISOString() ?? null,
  };
}

/** Lines `@Herald status` adds to chatStatusLines (which already lists subscriptions and their expiry). */
export async function statusLines(rt: SubscriptionRuntime, chatId: string, m: Messages = ENGLISH): Promise<string[]> {
  const view = await describeChat(rt, chatId);
  const lines: string[] = [];
  const now = rt.deps.clock().getTime();
  const renewals = [...view.subscriptions, ...view.tenantSubscriptions]
    .map((s) => (s.nextRenewalAt ? Date.parse(s.nextRenewalAt) : null))
    .filter((t): t is number => t !== null)
    .sort((a, b) => a - b);
  const remaining = (ms: number) => m.remaining(ms, m.text('status.now'));
  if (renewals[0] !== undefined) lines.push(m.text('status.nextRenewal', { remaining: remaining(renewals[0] - now) }));
  // "Renewed by" only once something was renewed: until then the instance named is the one that set them up.
  const all = [...view.subscriptions, ...view.tenantSubscriptions];
  const keepers = (renewed: boolean) => [...new Set(all.filter((s) => (s.lastRenewedAt !== null) === renewed).map((s) => s.lastRenewedBy).filter((by): by is string => !!by))];
  const renewers = keepers(true);
  const setUpBy = keepers(false);
  if (renewers.length > 0) lines.push(m.text('status.renewedBy', { instances: m.list(renewers) }));
  else if (setUpBy.length > 0) lines.push(m.text('status.setUpBy', { instances: m.list(setUpBy) }));
  if (view.pendingSyncAt) {
    const at = Date.parse(view.pendingSyncAt);
    lines.push(at > now ? m.text('status.setupRetrying', { remaining: remaining(at - now) }) : m.text('status.setupInProgress'));
  }
  if (view.tenantProblem) lines.push(m.text('status.tenantProblem', { problem: view.tenantProblem }));
  return lines;
}

/** Totals for /healthz. */
export async function health(rt: SubscriptionRuntime): Promise<SubscriptionHealth> {
  const now = rt.deps.clock().getTime();
  const counts = await rt.deps.store.subscriptions.counts(new Date(now));
  const tenantProblems = await storedTenantProblems(rt);
  return {
    subscriptions: counts.total,
    expired: counts.expired,
    scheduledJobs: rt.wheel.size,
    runningJobs: rt.wheel.runningCount,
    tenantProblems: tenantProblems.size,
    problems: await problemHealth(rt, tenantProblems),
  };
}

/** Tenant-wide and per-chat problems grouped by code; the reason and advice are the catalogue's. */
async function problemHealth(rt: SubscriptionRuntime, tenantProblems: ReadonlyMap<string, { code: HeraldErrorCode }>): Promise<ProblemHealth[]> {
  const byCode = new Map<HeraldErrorCode, { tenantIds: Set<string>; chats: number }>();
  const entry = (code: HeraldErrorCode) => {
    const found = byCode.get(code) ?? { tenantIds: new Set<string>(), chats: 0 };
    byCode.set(code, found);
    return found;
  };
  for (const [tenantId, problem] of tenantProblems) entry(problem.code).tenantIds.add(tenantId);
  for (const chat of await rt.deps.store.chats.installedWithProblem()) {
    if (!chat.problem) continue;
    const found = entry(chatProblemCode(chat.problem));
    found.tenantIds.add(chat.tenantId);
    found.chats++;
  }
  return [...byCode].map(([code, found]) => {
    // Context-free wording: one entry stands for every tenant listed.
    const { reason, advice } = catalogueEntry(code, found.tenantIds.size === 1 ? { tenantId: [...found.tenantIds][0] } : {});
    return { code, reason, advice, tenantIds: [...found.tenantIds].sort(), chats: found.chats };
  });
}
