import type { CreateTableBuilder, Kysely } from 'kysely';
import type { Tables } from './schema/tables.js';
import type { StoreKind } from './Store.js';

/**
 * Everything in which the two engines differ, in one place; the schema (schema/) and every query
 * (queries/) are written once against it. Each binding (sqlite/, postgres/) implements it.
 */
export interface Dialect {
  readonly kind: StoreKind;
  /** Where the store is, for messages: the SQLite file, or DATABASE_URL without its password. */
  readonly location: string;
  /** Column type of JSON documents: `jsonb` (PostgreSQL), `text` (SQLite). */
  readonly jsonType: 'jsonb' | 'text';
  /** The history table's insertion counter: `bigserial` (PostgreSQL) or SQLite's integer row id. */
  sequenceColumn<T extends string>(table: CreateTableBuilder<T, never>, column: string): CreateTableBuilder<T, never>;
  /**
   * Whether claims pick their rows `FOR UPDATE SKIP LOCKED` (PostgreSQL: claimants on several
   * connections never wait for each other nor take the same row). SQLite has one writer at a time.
   */
  readonly skipLockedClaims: boolean;
  /** A string as the engine can keep it (PostgreSQL's text cannot hold U+0000: see postgres/pgText). */
  text(value: string): string;
  fromText(value: string): string;
  /** A record as its `doc` column takes it, and back. */
  encodeDoc(item: unknown): string;
  decodeDoc<T>(value: unknown): T;
  /**
   * Makes concurrent read-modify-writes of one key wait for each other inside their transactions,
   * also for a key with no row yet (PostgreSQL: a transaction-scoped advisory lock; SQLite: nothing,
   * one connection runs one transaction at a time).
   */
  lockKey(trx: Kysely<Tables>, space: string, key: string): Promise<void>;
  /** Serialises the migrations of instances starting at once (inside the migration transaction). */
  lockMigrations(trx: Kysely<Tables>): Promise<void>;
  /** A driver error as Herald's (StoreUnavailableError when the store cannot be reached or written); others as they are. */
  translate(operation: string, error: unknown, write: boolean): unknown;
  /** Whether an operation that failed so may simply run again (nothing of it reached the store). */
  retryable?(error: unknown): boolean;
  /** A write succeeded (the embedded store then knows its disk takes writes again). */
  wrote?(): void;
}
