import type { ChatState } from '../model/chat.js';
import type { HistoryEntry } from '../model/history.js';
import type { InboxBatch, OutboxPost, PendingSummary } from '../model/inbox.js';
import type { Installation } from '../model/installation.js';
import type { PendingCreationRecord, SubscriptionRecord } from '../model/subscription.js';

/**
 * The embedded store's own interface (LogStore, DocumentStore). The rest of Herald sees it through
 * `asyncStoreFrom` as a StoreContract, the interface PostgreSQL implements too.
 *
 * Reads are synchronous snapshots (copies: mutate and `put` them back). Every mutation resolves only
 * once it is durable; mutations made in the same tick share one write. Two exceptions, whose loss in a
 * crash only means repeated work: removing an inbox batch, and change logs. A backend may write those
 * later (the file store: within a second), but never after mutations made after them.
 */
export interface HeraldStore {
  readonly installations: Collection<Installation>;
  readonly subscriptions: Collection<SubscriptionRecord>;
  readonly chats: Collection<ChatState>;
  readonly inbox: Collection<InboxBatch>;
  readonly outbox: Collection<OutboxPost>;
  readonly pendingSummaries: Collection<PendingSummary>;
  /** Subscriptions asked of Graph and not yet stored (keyed by `PendingCreationRecord.key`). */
  readonly pendingCreations: Collection<PendingCreationRecord>;
  readonly history: HistoryLog;
  readonly seen: SeenKeys;
  /** Recent changes per Graph resource, for deduplicating notifications (keyed by `ResourceChangeLog.key`). */
  readonly changeLogs: Collection<ResourceChangeLog>;
  /** Resolves when everything written so far is on disk. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** A keyed collection; the key is the record's id (chatId for chats, installations and summaries). */
export interface Collection<T> {
  get(key: string): T | undefined;
  list(filter?: (item: T) => boolean): T[];
  put(key: string, item: T): Promise<void>;
  delete(key: string): Promise<void>;
  /** Atomically read-modify-write one record; `undefined` from `fn` deletes it. */
  update(key: string, fn: (current: T | undefined) => T | undefined): Promise<T | undefined>;
}

export interface HistoryQuery {
  limit?: number;
  /** Entries strictly older than this entry id's time (paging). */
  before?: string;
  kinds?: readonly string[];
}

export interface HistoryLog {
  append(entry: HistoryEntry): Promise<void>;
  /** Newest first. */
  list(chatId: string, query?: HistoryQuery): HistoryEntry[];
}

/** Keys of changes already handed on (deduplication across deliveries, subscriptions and restarts). */
export interface SeenKeys {
  /** Records the key; returns false if it was already present. */
  add(key: string, at: Date): Promise<boolean>;
  has(key: string): boolean;
  /** Forgets keys recorded before `before`. */
  prune(before: Date): Promise<number>;
}

/**
 * What the notification pipeline remembers about one Graph resource's recent changes: which change
 * identities it handed on, and which subscriptions reported each (see notifications/route/ChangeDeduplicator).
 */
export interface ResourceChangeLog {
  /** `{tenantId}|{resource}` */
  key: string;
  /** Newest `lastUpdatedDateTime` handed on (chats); older payloads are stale. */
  latestStamp: string | null;
  /** Keyed by change identity (`{changeType}|{content hash}`). */
  changes: Record<string, SeenChange>;
}

export interface SeenChange {
  /** The `changeKey` the change was handed on with. */
  changeKey: string;
  /** When it was handed on (ISO). */
  at: string;
  /** Subscriptions that reported this change since it was handed on. */
  reporters: string[];
  /** A later change of the same resource was handed on after this one. */
  superseded: boolean;
}
