import type { ChatState } from '../../model/chat.js';
import type { InboxBatch, OutboxPost, PendingSummary } from '../../model/inbox.js';
import type { Installation } from '../../model/installation.js';
import type { PendingCreationRecord, SubscriptionRecord } from '../../model/subscription.js';
import type { ResourceChangeLog } from '../records.js';
import type { Tables } from '../schema/tables.js';
import { millis } from './context.js';

/** The tables that keep a record per key as a JSON document. */
export type DocTable = 'installations' | 'subscriptions' | 'chats' | 'change_logs' | 'pending_summaries' | 'pending_creations' | 'inbox' | 'outbox';

/** A record's columns besides `key` and `doc`: what Herald's questions filter and order on. */
export type Columns<Table extends DocTable> = Omit<Tables[Table], 'key' | 'doc' | 'leased_by' | 'leased_until'>;

/**
 * How each record fills its table's columns: one definition, so the engines and the queries cannot
 * disagree about it. Strings here are raw (the queries make them the engine's).
 */
export const COLUMNS = {
  installations: (i: Installation): Columns<'installations'> => ({ tenant_id: i.tenantId.toLowerCase(), chat_id: i.chatId, installed: i.status === 'installed' ? 1 : 0 }),
  subscriptions: (s: SubscriptionRecord): Columns<'subscriptions'> => ({
    tenant_id: s.tenantId.toLowerCase(),
    chat_id: s.chatId,
    kind: s.kind,
    expires_at: millis(s.expirationDateTime),
    cert_thumbprint: s.encryptionCertificateThumbprint ?? null,
    cert_id: s.encryptionCertificateId,
  }),
  chats: (c: ChatState): Columns<'chats'> => ({ tenant_id: c.tenantId.toLowerCase(), has_problem: c.problem ? 1 : 0, has_tenant_problem: c.tenantProblem ? 1 : 0 }),
  change_logs: (l: ResourceChangeLog): Columns<'change_logs'> => {
    const times = Object.values(l.changes).map((change) => millis(change.at));
    // The key starts with the tenant (lower-cased by the deduplicator).
    return { tenant_id: l.key.slice(0, Math.max(0, l.key.indexOf('|'))).toLowerCase(), oldest_at: times.length > 0 ? Math.min(...times) : null };
  },
  pending_summaries: (s: PendingSummary): Columns<'pending_summaries'> => ({ chat_id: s.chatId }),
  pending_creations: (p: PendingCreationRecord): Columns<'pending_creations'> => ({ tenant_id: p.tenantId.toLowerCase(), chat_id: p.chatId }),
  // One Graph POST may carry items of several tenants, so a batch has no tenant of its own.
  inbox: (b: InboxBatch): Columns<'inbox'> => ({ order_at: millis(b.receivedAt), due_at: null }),
  // A post waits for `notBefore`.
  outbox: (p: OutboxPost): Columns<'outbox'> => ({ chat_id: p.chatId, order_at: millis(p.notBefore), due_at: millis(p.notBefore) }),
} satisfies { [Table in DocTable]: (item: never) => Columns<Table> };
