import type { ChatProblem } from '../model/chat.js';
import type { SubscriptionKind, SubscriptionRecord } from '../model/subscription.js';
import { codeForFailureText } from '../graph/describeFailure.js';
import { ENGLISH, type Messages } from '../i18n/Messages.js';
import { adviceFor as catalogueAdvice } from '../kernel/errorCatalogue.js';
import type { Store } from '../storage/Store.js';
import { chatProblemCode } from '../subscriptions/accessProblem.js';
import type { ChatSubscriptionsView } from '../subscriptions/SubscriptionManager.js';
import type { TabSubscriptionHealth, TabSubscriptionsResponse } from './tabApiTypes.js';

const ORDER: SubscriptionKind[] = ['chatMembers', 'chat', 'tenantMembers', 'tenantChats'];

/** Advice for a stored failure text (a subscription's `lastError`, a tenant-wide problem), from the catalogue. */
export function adviceFor(text: string): string {
  return catalogueAdvice(codeForFailureText(text));
}

/** One subscription for the tab; its label and time left in the chat's language (`m`). */
export function subscriptionHealth(record: SubscriptionRecord, now: Date, nextRenewalAt: string | null = null, m: Messages = ENGLISH): TabSubscriptionHealth {
  const remainingMs = Date.parse(record.expirationDateTime) - now.getTime();
  const expired = !(remainingMs > 0);
  const state = record.lastError ? 'failing' : expired ? 'expired' : 'alive';
  return {
    id: record.id,
    kind: record.kind,
    label: m.text('tab.subLabel', { kind: record.kind }),
    scope: record.chatId === null ? 'tenant' : 'chat',
    state,
    expiresAt: record.expirationDateTime,
    expiresIn: m.remaining(Number.isNaN(remainingMs) ? 0 : remainingMs, m.text('status.expired')),
    lastNotificationAt: record.lastNotificationAt,
    lastRenewedAt: record.lastRenewedAt,
    lastRenewedBy: record.lastRenewedBy ?? null,
    nextRenewalAt,
    lastError: record.lastError,
    advice: record.lastError ? adviceFor(record.lastError) : expired ? catalogueAdvice('herald.subscription.expired') : null,
  };
}

/** What the subscription manager knows beyond the stored records (its schedule and tenant-wide trouble). */
export type SubscriptionInsight = Pick<ChatSubscriptionsView, 'subscriptions' | 'tenantSubscriptions' | 'tenantProblem' | 'evaluationMode' | 'pendingSyncAt'> &
  Partial<Pick<ChatSubscriptionsView, 'tenantProblemCode'>>;

/**
 * The tab's view of a chat's subscriptions: its own pair plus the tenant-wide ones that also serve it,
 * from the stored records, enriched with the subscription manager's schedule when it is running.
 */
export async function chatSubscriptionsView(
  deps: { store: Pick<Store, 'subscriptions' | 'installations' | 'chats'>; insight?: ((chatId: string) => Promise<SubscriptionInsight | null>) | null },
  chatId: string,
  chatTenantId: string,
  now: Date,
  m: Messages = ENGLISH,
): Promise<TabSubscriptionsResponse> {
  const { store } = deps;
  const [own, tenantWideRecords, chat, installation, insight] = await Promise.all([
    store.subscriptions.ofChat(chatId),
    store.subscriptions.tenantWide(chatTenantId),
    store.chats.get(chatId),
    store.installations.get(chatId),
    deps.insight?.(chatId) ?? null,
  ]);
  const records = [...own, ...tenantWideRecords];
  records.sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind) || a.expirationDateTime.localeCompare(b.expirationDateTime));
  const renewals = new Map([...(insight?.subscriptions ?? []), ...(insight?.tenantSubscriptions ?? [])].map((v) => [v.id, v.nextRenewalAt]));
  const problem: ChatProblem | null = chat?.problem ?? null;
  const tenantWide = records.some((r) => r.chatId === null);
  return {
    chatId,
    checkedAt: now.toISOString(),
    installed: installation?.status === 'installed',
    subscriptions: records.map((r) => subscriptionHealth(r, now, renewals.get(r.id) ?? null, m)),
    problem: problem && { code: problem.code, message: problem.message, at: problem.at, advice: catalogueAdvice(chatProblemCode(problem)) },
    tenantProblem: insight?.tenantProblem
      ? { message: insight.tenantProblem, advice: insight.tenantProblemCode ? catalogueAdvice(insight.tenantProblemCode) : adviceFor(insight.tenantProblem) }
      : null,
    evaluationMode: tenantWide && (insight?.evaluationMode ?? false),
    pendingSyncAt: insight?.pendingSyncAt ?? null,
  };
}
