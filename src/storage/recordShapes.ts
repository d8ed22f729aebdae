import type { ChatState } from '../model/chat.js';
import type { InboxBatch, OutboxPost, PendingSummary } from '../model/inbox.js';
import type { Installation } from '../model/installation.js';
import type { PendingCreationRecord, SubscriptionRecord } from '../model/subscription.js';
import type { ResourceChangeLog } from './HeraldStore.js';
import type { ListScope } from './StoreContract.js';

/**
 * What every backend needs to know about a collection's records besides their JSON: the tenant and chat
 * they belong to (PostgreSQL keeps these as indexed columns; `ListScope` filters on them), and for work
 * collections, the order items are claimed in and when they are due. One definition, so the backends
 * cannot disagree about it.
 */
export interface RecordShape<T> {
  tenantOf?: (item: T) => string;
  chatOf?: (item: T) => string | null;
  /** Work collections: claimed in ascending order of this ISO time... */
  orderOf?: (item: T) => string;
  /** ...and only once it is past (outbox posts wait for `notBefore`). */
  dueAt?: (item: T) => string;
}

export const RECORD_SHAPES = {
  installations: { tenantOf: (i: Installation) => i.tenantId, chatOf: (i: Installation) => i.chatId },
  subscriptions: { tenantOf: (s: SubscriptionRecord) => s.tenantId, chatOf: (s: SubscriptionRecord) => s.chatId },
  chats: { tenantOf: (c: ChatState) => c.tenantId, chatOf: (c: ChatState) => c.chatId },
  // One Graph POST may carry items of several tenants, so a batch has no tenant of its own.
  inbox: { orderOf: (b: InboxBatch) => b.receivedAt },
  outbox: { chatOf: (p: OutboxPost) => p.chatId, orderOf: (p: OutboxPost) => p.notBefore, dueAt: (p: OutboxPost) => p.notBefore },
  pendingSummaries: { chatOf: (s: PendingSummary) => s.chatId },
  pendingCreations: { tenantOf: (p: PendingCreationRecord) => p.tenantId, chatOf: (p: PendingCreationRecord) => p.chatId },
  changeLogs: { tenantOf: (l: ResourceChangeLog) => l.key.slice(0, Math.max(0, l.key.indexOf('|'))) },
} satisfies Record<string, RecordShape<never>>;

export type CollectionName = keyof typeof RECORD_SHAPES;

/** Whether `item` lies in `scope` (no scope: everything). A record without a tenant or chat is outside any scope naming one. */
export function inScope<T>(shape: RecordShape<T>, item: T, scope: ListScope | undefined): boolean {
  if (!scope) return true;
  if (scope.tenantId !== undefined && shape.tenantOf?.(item) !== scope.tenantId) return false;
  if (scope.chatId !== undefined && (shape.chatOf ? shape.chatOf(item) : undefined) !== scope.chatId) return false;
  return true;
}
