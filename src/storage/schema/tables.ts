import type { Generated } from 'kysely';

/**
 * Herald's tables as the queries see them (Kysely's types). Each record is a JSON document (`doc`:
 * jsonb on PostgreSQL, text on SQLite) beside the columns Herald's questions filter and order on.
 * Times are milliseconds since the epoch (bigint), compared the same way by both engines. Tenant ids
 * are kept lower-cased, so every tenant question is case-insensitive.
 */
export interface Tables {
  installations: { key: string; tenant_id: string; chat_id: string; installed: number; doc: unknown };
  subscriptions: {
    key: string;
    tenant_id: string;
    chat_id: string | null;
    kind: string;
    expires_at: number;
    cert_thumbprint: string | null;
    cert_id: string | null;
    doc: unknown;
  };
  chats: { key: string; tenant_id: string; has_problem: number; has_tenant_problem: number; doc: unknown };
  change_logs: { key: string; tenant_id: string; oldest_at: number | null; doc: unknown };
  pending_summaries: { key: string; chat_id: string; doc: unknown };
  pending_creations: { key: string; tenant_id: string; chat_id: string | null; doc: unknown };
  inbox: WorkRow;
  outbox: WorkRow & { chat_id: string };
  history: { seq: Generated<number>; chat_id: string; id: string; at: number; kind: string; doc: unknown };
  seen_keys: { key: string; at: number };
  notification_certificates: { thumbprint: string; created_at: number; doc: unknown };
  /** Instances sharing the store and when each last said it was alive. */
  instances: { id: string; beat_at: number };
  herald_migrations: { version: number; name: string; applied_at: number };
}

/** Work that instances claim: ordered by `order_at`, claimable once `due_at` is past, leased to one owner. */
export interface WorkRow {
  key: string;
  order_at: number;
  due_at: number | null;
  leased_by: string | null;
  leased_until: number | null;
  doc: unknown;
}

export type WorkTable = 'inbox' | 'outbox';
