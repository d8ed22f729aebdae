import type { ChatProblem } from '../model/chat.js';
import type { SubscriptionKind, SubscriptionRecord } from '../model/subscription.js';
import { formatRemaining } from '../kernel/duration.js';
import type { HeraldStore } from '../storage/HeraldStore.js';
import type { ChatSubscriptionsView } from '../subscriptions/SubscriptionManager.js';
import type { TabSubscriptionHealth, TabSubscriptionsResponse } from './tabApiTypes.js';

const LABEL: Record<SubscriptionKind, string> = {
  chatMembers: 'People joining and leaving this chat',
  chat: 'This chat (topic changes)',
  tenantMembers: 'Members of every chat Herald is in (tenant-wide)',
  tenantChats: 'Every chat Herald is in (tenant-wide)',
};

const ORDER: SubscriptionKind[] = ['chatMembers', 'chat', 'tenantMembers', 'tenantChats'];

/** Advice for people, matched on Graph's error text (codes and messages vary, so match loosely). */
const ADVICE: Array<{ match: RegExp; advice: string }> = [
  {
    match: /consent|forbidden|\b403\b|Authorization_RequestDenied|AccessDenied|insufficient privileges|permission/i,
    advice:
      'Herald lacks permission to read this chat. Someone who can add apps to this chat should remove Herald and add it again, accepting the permissions it asks for. If your organisation blocks chat-level (resource-specific) consent, a Teams admin must allow it.',
  },
  {
    match: /throttl|\b429\b|too many requests/i,
    advice: 'Microsoft Graph is throttling requests. Herald retries on its own; nothing to do unless this lasts for hours.',
  },
  {
    match: /notificationUrl|validation|unreachable|timed? ?out|\bECONN[A-Z]*\b|\bENOTFOUND\b|could not be reached/i,
    advice: 'Microsoft Graph could not reach Herald. Whoever runs Herald should check that its PUBLIC_URL answers over HTTPS from the internet.',
  },
  {
    match: /not ?found|\b404\b|ResourceNotFound|does not exist/i,
    advice: 'Graph no longer knows this subscription. Herald recreates it at its next renewal check; restarting Herald does it at once.',
  },
];

const GENERIC_ADVICE = 'Herald retries on its own. If this stays, whoever runs Herald should look at its logs.';
const EXPIRED_ADVICE =
  'Herald renews subscriptions before they expire, so this one was missed (Herald was stopped or could not renew). Herald recreates it when it next starts or checks its subscriptions.';

export function adviceFor(text: string): string {
  return ADVICE.find((a) => a.match.test(text))?.advice ?? GENERIC_ADVICE;
}

export function subscriptionHealth(record: SubscriptionRecord, now: Date, nextRenewalAt: string | null = null): TabSubscriptionHealth {
  const remainingMs = Date.parse(record.expirationDateTime) - now.getTime();
  const expired = !(remainingMs > 0);
  const state = record.lastError ? 'failing' : expired ? 'expired' : 'alive';
  return {
    id: record.id,
    kind: record.kind,
    label: LABEL[record.kind],
    scope: record.chatId === null ? 'tenant' : 'chat',
    state,
    expiresAt: record.expirationDateTime,
    expiresIn: formatRemaining(Number.isNaN(remainingMs) ? 0 : remainingMs),
    lastNotificationAt: record.lastNotificationAt,
    lastRenewedAt: record.lastRenewedAt,
    nextRenewalAt,
    lastError: record.lastError,
    advice: record.lastError ? adviceFor(record.lastError) : expired ? EXPIRED_ADVICE : null,
  };
}

/** What the subscription manager knows beyond the stored records (its schedule and tenant-wide trouble). */
export type SubscriptionInsight = Pick<ChatSubscriptionsView, 'subscriptions' | 'tenantSubscriptions' | 'tenantProblem' | 'evaluationMode' | 'pendingSyncAt'>;

/**
 * The tab's view of a chat's subscriptions: its own pair plus the tenant-wide ones that also serve it,
 * from the stored records, enriched with the subscription manager's schedule when it is running.
 */
export function chatSubscriptionsView(
  deps: { store: Pick<HeraldStore, 'subscriptions' | 'installations' | 'chats'>; insight?: ((chatId: string) => SubscriptionInsight | null) | null },
  chatId: string,
  chatTenantId: string,
  now: Date,
): TabSubscriptionsResponse {
  const { store } = deps;
  const records = store.subscriptions.list((s) => s.chatId === chatId || (s.chatId === null && s.tenantId.toLowerCase() === chatTenantId));
  records.sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind) || a.expirationDateTime.localeCompare(b.expirationDateTime));
  const insight = deps.insight?.(chatId) ?? null;
  const renewals = new Map([...(insight?.subscriptions ?? []), ...(insight?.tenantSubscriptions ?? [])].map((v) => [v.id, v.nextRenewalAt]));
  const problem: ChatProblem | null = store.chats.get(chatId)?.problem ?? null;
  const tenantWide = records.some((r) => r.chatId === null);
  return {
    chatId,
    checkedAt: now.toISOString(),
    installed: store.installations.get(chatId)?.status === 'installed',
    subscriptions: records.map((r) => subscriptionHealth(r, now, renewals.get(r.id) ?? null)),
    problem: problem && { code: problem.code, message: problem.message, at: problem.at, advice: adviceFor(`${problem.code} ${problem.message}`) },
    tenantProblem: insight?.tenantProblem ? { message: insight.tenantProblem, advice: adviceFor(insight.tenantProblem) } : null,
    evaluationMode: tenantWide && (insight?.evaluationMode ?? false),
    pendingSyncAt: insight?.pendingSyncAt ?? null,
  };
}
