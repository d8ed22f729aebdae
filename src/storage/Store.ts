import type { ChatState } from '../model/chat.js';
import type { HistoryEntry } from '../model/history.js';
import type { InboxBatch, OutboxPost, PendingSummary } from '../model/inbox.js';
import type { Installation } from '../model/installation.js';
import type { PendingCreationRecord, SubscriptionKind, SubscriptionRecord } from '../model/subscription.js';
import type { ResourceChangeLog, StoredCertificate } from './records.js';

/**
 * Herald's state: the one interface, with two engines behind it (sqlite/: the embedded default, one file
 * in DATA_DIR; postgres/: shared by any number of instances). Both run the same schema (schema/) and
 * the same queries (queries/); one contract suite (test/support/storage/storeContractSuite.ts) runs
 * against both so they cannot drift.
 *
 * Reads are the questions Herald asks, answered by the engine (a tenant's installed chats, a chat's
 * subscriptions, counts for /healthz…), never a scan filtered in JavaScript. Records come back as
 * copies: mutate one and `put` it back. Every write is durable before its promise resolves.
 */
export interface Store extends StoreData {
  readonly kind: StoreKind;
  /** Work that must not run twice at once for one key (a chat, a tenant), on any instance. */
  readonly locks: KeyLocks;
  /**
   * Generated notification certificates, where every instance sharing the store finds them. Only stores
   * several instances share have it (PostgreSQL); the embedded store's certificates live in DATA_DIR.
   */
  readonly certificates?: SharedCertificates;
  /**
   * Runs `fn` as one transaction: every write it makes through `tx` is applied together or not at all.
   * Use `tx` only inside (the embedded engine has one connection: a read through the store itself would
   * wait for the transaction to end). Take key locks outside it, never inside.
   */
  transaction<T>(fn: (tx: StoreData) => Promise<T>): Promise<T>;
  /**
   * `transaction`, holding `key`'s lock (the one `locks.run` takes) for the whole of it: a chat's unit
   * of work. On PostgreSQL the lock is taken inside the transaction, on its connection, in the same round
   * trip as the transaction's first statement would have been, instead of on a connection of its own.
   */
  lockedTransaction<T>(key: string, fn: (tx: StoreData) => Promise<T>): Promise<T>;
  /** Reachability, writability and schema version, for `/healthz`. Never rejects. */
  health(): Promise<StoreHealth>;
  /** Resolves when everything written so far is durable. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** The records, as the store and as one transaction see them. */
export interface StoreData {
  readonly installations: Installations;
  readonly subscriptions: Subscriptions;
  readonly chats: Chats;
  readonly inbox: WorkQueue<InboxBatch>;
  readonly outbox: Outbox;
  readonly pendingSummaries: PendingSummaries;
  /** Subscriptions asked of Graph and not yet stored (keyed by `PendingCreationRecord.key`). */
  readonly pendingCreations: PendingCreations;
  /** Recent changes per Graph resource, for deduplicating notifications (keyed by `ResourceChangeLog.key`). */
  readonly changeLogs: ChangeLogs;
  readonly history: History;
  readonly seen: SeenKeys;
  /** Which instances are alive, so a dead one's work is taken over at once rather than when its leases run out. */
  readonly instances: Instances;
}

export type StoreKind = 'embedded' | 'postgres';

export interface StoreHealth {
  kind: StoreKind;
  /** False while the store cannot be reached or written (database down, disk full, read-only DATA_DIR). */
  reachable: boolean;
  /** Newest schema migration applied. */
  migrationVersion: number | null;
  /** Why it is not reachable (a stable error code), when it is not. */
  error?: string;
  /** What to do about it (the catalogue's advice), when it is not. */
  advice?: string;
}

/** Records kept under a key (a record's id; chatId for chats, installations and summaries). */
export interface Records<T> {
  get(key: string): Promise<T | undefined>;
  put(key: string, item: T): Promise<void>;
  /**
   * The records of several keys in one query (a chat's unit of work reads all it needs at once: on
   * PostgreSQL one round trip instead of one per key). Keys with no record are absent from the map.
   */
  getMany(keys: readonly string[]): Promise<Map<string, T>>;
  /** Inserts or replaces several records in one statement (of a repeated key, the last entry wins). */
  putMany(entries: ReadonlyArray<readonly [string, T]>): Promise<void>;
  /** Deleting what is not there is harmless. */
  delete(key: string): Promise<void>;
  /**
   * Atomically read-modify-write one record, also against other instances: concurrent updates of one
   * key run one after the other, each seeing the previous one's result. `undefined` from `fn` deletes it.
   */
  update(key: string, fn: (current: T | undefined) => T | undefined): Promise<T | undefined>;
}

/** Tenant ids are compared case-insensitively everywhere (they are GUIDs, spelt either way by Microsoft). */
export interface Installations extends Records<Installation> {
  /** Chats Herald is installed in: all, or those of one tenant. */
  installed(tenantId?: string): Promise<Installation[]>;
  countInstalled(): Promise<number>;
}

export interface Subscriptions extends Records<SubscriptionRecord> {
  /** Every subscription (start-up scheduling, /healthz details come from `counts`). */
  all(): Promise<SubscriptionRecord[]>;
  /** The per-chat subscriptions of a chat. */
  ofChat(chatId: string): Promise<SubscriptionRecord[]>;
  /** The tenant-wide subscriptions of a tenant (those of no chat). */
  tenantWide(tenantId: string): Promise<SubscriptionRecord[]>;
  /** Every subscription of a tenant, per-chat and tenant-wide. */
  ofTenant(tenantId: string): Promise<SubscriptionRecord[]>;
  /** Those of one kind for one chat (or, `chatId: null`, tenant-wide) of a tenant. */
  forSpec(spec: { tenantId: string; chatId: string | null; kind: SubscriptionKind }): Promise<SubscriptionRecord[]>;
  /** Tenants that have any subscription. */
  tenants(): Promise<string[]>;
  /** Subscriptions not recorded with this certificate thumbprint (older records name only a certificate id). */
  notOnCertificate(thumbprint: string): Promise<SubscriptionRecord[]>;
  /** Whether any subscription may still be encrypting for this certificate (by thumbprint, or by id where no thumbprint was kept). */
  anyOnCertificate(certificate: { thumbprint: string; id: string }): Promise<boolean>;
  /** How many there are, and how many of them expired by `now`. */
  counts(now: Date): Promise<{ total: number; expired: number }>;
}

export interface Chats extends Records<ChatState> {
  /** Installed chats with a problem of their own (`ChatState.problem`). */
  installedWithProblem(): Promise<ChatState[]>;
  /** Chats carrying a tenant-wide problem: all, or those of one tenant. */
  withTenantProblem(tenantId?: string): Promise<ChatState[]>;
}

export interface PendingSummaries extends Records<PendingSummary> {
  all(): Promise<PendingSummary[]>;
  count(): Promise<number>;
}

export interface PendingCreations extends Records<PendingCreationRecord> {
  ofTenant(tenantId: string): Promise<PendingCreationRecord[]>;
}

export interface ChangeLogs extends Records<ResourceChangeLog> {
  /** Keys of the logs holding a change handed on before `before` (what pruning must rewrite). */
  keysWithChangesBefore(before: Date): Promise<string[]>;
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
  /**
   * Also take items, whatever their lease says, whose owner's last beat (`Instances.beat`) is before
   * this time: a dead instance's work is taken over at once. Owners that never beat keep the lease rule.
   */
  staleOwnersBefore?: Date;
}

/**
 * Work (inbox batches, outbox posts) that several instances drain together. Claiming never hands one
 * item to two owners whose leases overlap; an item whose lease ran out (its owner died or stalled) is
 * claimable again. Items are handed out oldest first (inbox: `receivedAt`; outbox: `notBefore`, and
 * only once due). Stored work items are keyed by their `id`.
 */
export interface WorkQueue<T> extends Records<T> {
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
  count(): Promise<number>;
}

export interface Outbox extends WorkQueue<OutboxPost> {
  /** A chat's posts waiting to be delivered, oldest id first. */
  ofChat(chatId: string): Promise<OutboxPost[]>;
  /** Ids of the posts waiting, by chat (no post bodies). */
  idsByChat(): Promise<Map<string, string[]>>;
}

/** The default lease: a dead instance's work is taken over within this time. */
export const DEFAULT_LEASE_MS = 30_000;

/** History kept per chat; the oldest entries beyond it are dropped. */
export const HISTORY_LIMIT_PER_CHAT = 2000;

export interface HistoryQuery {
  limit?: number;
  /** Entries after this entry id in newest-first order (paging); an unknown id pages from the start. */
  before?: string;
  kinds?: readonly string[];
}

export interface History {
  /** Adds an entry (an id already in the chat's history is ignored). */
  append(entry: HistoryEntry): Promise<void>;
  /**
   * Adds several entries, of any chats, in one statement, as if appended one by one in this order (ids
   * already present, or repeated, are ignored; each chat keeps its newest HISTORY_LIMIT_PER_CHAT).
   */
  appendMany(entries: readonly HistoryEntry[]): Promise<void>;
  /** One page of a chat's history, newest first; entries with the same time in the order they were appended. */
  page(chatId: string, query?: HistoryQuery): Promise<HistoryEntry[]>;
}

/** Keys of changes already handed on (deduplication across deliveries, subscriptions, restarts and instances). */
export interface SeenKeys {
  /** Records the key if absent, atomically across instances; false if it was already present. */
  add(key: string, at: Date): Promise<boolean>;
  has(key: string): Promise<boolean>;
  /** Forgets keys recorded before `before`; resolves with how many. */
  prune(before: Date): Promise<number>;
}

/**
 * Instances sharing the store say they are alive by beating; work leased to one whose beats stopped is
 * taken over at once (`ClaimOptions.staleOwnersBefore`). Times come from each instance's clock, so
 * instances' clocks must agree well within the staleness limit claimants use.
 */
export interface Instances {
  /** Records that `id` is alive at `at`. */
  beat(id: string, at: Date): Promise<void>;
  /** Ids whose last beat is before `staleBefore` (dead, or stalled). */
  stale(staleBefore: Date): Promise<string[]>;
  /** `id` stopped cleanly: forgets it (its leases, if any are left, then run out as usual). */
  gone(id: string): Promise<void>;
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

export interface SharedCertificates {
  /** Oldest first. */
  list(): Promise<StoredCertificate[]>;
  /** Stores one (a second add of the same thumbprint changes nothing). */
  add(certificate: StoredCertificate): Promise<void>;
}
