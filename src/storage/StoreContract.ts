import type { ChatState } from '../model/chat.js';
import type { HistoryEntry } from '../model/history.js';
import type { InboxBatch, OutboxPost, PendingSummary } from '../model/inbox.js';
import type { Installation } from '../model/installation.js';
import type { PendingCreationRecord, SubscriptionRecord } from '../model/subscription.js';
import type { HistoryQuery, ResourceChangeLog } from './HeraldStore.js';

/**
 * Herald's storage for more than one instance: the collections of `HeraldStore`, but every read is a
 * promise (a shared database is not in memory), plus what several instances sharing one store need:
 * leases on work items (so each is handled by one instance, and a dead instance's work is taken over
 * once its lease runs out) and an atomic "add if absent" for dedupe keys.
 *
 * Both backends implement it: PostgreSQL (`postgres/PostgresStore`) and the embedded lowdb store
 * (through `asyncStoreFrom`). One test suite (test/support/storage/storeContractSuite.ts) runs against
 * both so they cannot drift.
 */
export interface StoreContract {
  readonly kind: StoreKind;
  readonly installations: AsyncCollection<Installation>;
  readonly subscriptions: AsyncCollection<SubscriptionRecord>;
  readonly chats: AsyncCollection<ChatState>;
  readonly inbox: ClaimableCollection<InboxBatch>;
  readonly outbox: ClaimableCollection<OutboxPost>;
  readonly pendingSummaries: AsyncCollection<PendingSummary>;
  /** Subscriptions asked of Graph and not yet stored (keyed by `PendingCreationRecord.key`). */
  readonly pendingCreations: AsyncCollection<PendingCreationRecord>;
  readonly history: AsyncHistoryLog;
  readonly seen: AsyncSeenKeys;
  readonly changeLogs: AsyncCollection<ResourceChangeLog>;
  /** Work that must not run twice at once for one key (a chat, a tenant), on any instance. */
  readonly locks: KeyLocks;
  /**
   * Generated notification certificates, where every instance sharing the store finds them. Only stores
   * several instances share have it (PostgreSQL); the embedded store's certificates live in DATA_DIR.
   */
  readonly certificates?: SharedCertificates;
  /** Reachability and schema version, for `/healthz`. Never rejects. */
  health(): Promise<StoreHealth>;
  /** Resolves when everything written so far is durable. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export type StoreKind = 'embedded' | 'postgres';

export interface StoreHealth {
  kind: StoreKind;
  reachable: boolean;
  /** Newest schema migration applied; null for the embedded store, which has none. */
  migrationVersion: number | null;
  /** Why the store is unreachable (a stable error code), when it is. */
  error?: string;
}

/**
 * Narrows `list` to records of one tenant and/or chat. Backends answer it from indexed columns;
 * `chatId: null` means records that belong to no chat (tenant-wide subscriptions).
 */
export interface ListScope {
  tenantId?: string;
  chatId?: string | null;
}

/** A keyed collection; the key is the record's id (chatId for chats, installations and summaries). */
export interface AsyncCollection<T> {
  /** A copy: mutate it and `put` it back. */
  get(key: string): Promise<T | undefined>;
  /** In no particular order. */
  list(filter?: (item: T) => boolean, scope?: ListScope): Promise<T[]>;
  put(key: string, item: T): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * Atomically read-modify-write one record, also against other instances: concurrent updates of one
   * key run one after the other, each seeing the previous one's result. `undefined` from `fn` deletes it.
   */
  update(key: string, fn: (current: T | undefined) => T | undefined): Promise<T | undefined>;
}

/** A work item handed to one instance until `leasedUntil`. */
export interface Claimed<T> {
  key: string;
  item: T;
  leasedUntil: Date;
}

export interface ClaimOptions {
  /** Who claims (this instance's id). */
  owner: string;
  /** The claimant's clock now: leases are compared with it, so instances' clocks must agree well within a lease. */
  at: Date;
  /** How long the work is this instance's; after that any instance may take it over. */
  leaseMs: number;
  limit: number;
}

/**
 * A collection of work (inbox batches, outbox posts) that several instances drain together. Claiming
 * never hands one item to two owners whose leases overlap; an item whose lease ran out (its owner died
 * or stalled) is claimable again. Items are handed out oldest first (inbox: `receivedAt`; outbox:
 * `notBefore`, and only once due).
 */
export interface ClaimableCollection<T> extends AsyncCollection<T> {
  claim(options: ClaimOptions): Promise<Array<Claimed<T>>>;
  /**
   * Stores a new item already leased to `owner` (the instance that accepted it keeps it from the first
   * moment, so no other instance's claim can take it before its lease runs out). Meant for fresh keys:
   * an existing item is overwritten and its lease taken.
   */
  putClaimed(key: string, item: T, lease: Pick<ClaimOptions, 'owner' | 'at' | 'leaseMs'>): Promise<Claimed<T>>;
  /** Lengthens a lease still held by `owner`; false if it was lost (expired and taken, or the item is gone). */
  extend(key: string, options: Pick<ClaimOptions, 'owner' | 'at' | 'leaseMs'>): Promise<boolean>;
  /** Gives the item back unfinished, claimable at once; false if `owner` no longer held it. */
  release(key: string, owner: string): Promise<boolean>;
  /** Removes a finished item; false if `owner` no longer held it (then someone else may be handling it). */
  complete(key: string, owner: string): Promise<boolean>;
}

/** The default lease: a dead instance's work is taken over within this time. */
export const DEFAULT_LEASE_MS = 30_000;

export interface AsyncHistoryLog {
  append(entry: HistoryEntry): Promise<void>;
  /** Newest first; entries with the same time in the order they were appended. */
  list(chatId: string, query?: HistoryQuery): Promise<HistoryEntry[]>;
}

/** Keys of changes already handed on (deduplication across deliveries, subscriptions, restarts and instances). */
export interface AsyncSeenKeys {
  /** Records the key if absent, atomically across instances; false if it was already present. */
  add(key: string, at: Date): Promise<boolean>;
  has(key: string): Promise<boolean>;
  /** Forgets keys recorded before `before`; resolves with how many. */
  prune(before: Date): Promise<number>;
}

/**
 * Mutual exclusion per key across every instance sharing the store (and every caller in one instance):
 * one holder at a time, callers of one instance in call order. A holder that dies (its process or its
 * database connection) releases the key. Callers must not nest keys (never hold one while taking
 * another): that rule is what keeps it deadlock-free across instances too.
 */
export interface KeyLocks {
  run<T>(key: string, task: () => Promise<T>): Promise<T>;
}

/** A certificate Herald generated, with its private key (PEM). */
export interface StoredCertificate {
  /** SHA-1, uppercase hex. */
  thumbprint: string;
  certPem: string;
  keyPem: string;
  /** When it was generated (ISO): instances switch to a new one only once all of them can have seen it. */
  createdAt: string;
}

export interface SharedCertificates {
  list(): Promise<StoredCertificate[]>;
  /** Stores one (a second add of the same thumbprint changes nothing). */
  add(certificate: StoredCertificate): Promise<void>;
}
