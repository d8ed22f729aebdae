import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';
import type { Tables } from '../schema/tables.js';

/**
 * What every query runs with: the database (or the transaction it is part of) and the dialect. Every
 * query goes through `run`, so a driver error leaves the store as Herald's error (one place).
 */
export interface QueryContext {
  db: Kysely<Tables>;
  dialect: Dialect;
}

export async function run<T>(ctx: QueryContext, operation: string, write: boolean, query: () => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await query().catch((error: unknown) => (ctx.dialect.retryable?.(error) && !ctx.db.isTransaction ? query() : Promise.reject(error)));
  } catch (error) {
    throw ctx.dialect.translate(operation, error, write);
  }
  if (write) ctx.dialect.wrote?.();
  return result;
}

/** Runs `fn` in a transaction: the one the context is part of, or a new one. */
export function inTransaction<T>(ctx: QueryContext, fn: (trx: QueryContext) => Promise<T>): Promise<T> {
  if (ctx.db.isTransaction) return fn(ctx);
  return ctx.db.transaction().execute((trx) => fn({ db: trx, dialect: ctx.dialect }));
}

/** A count as a number (PostgreSQL returns bigint counts as strings). */
export function count(value: string | number | bigint | null | undefined): number {
  return Number(value ?? 0);
}

/** An ISO time as the milliseconds the schema keeps (0 for a missing or unreadable one). */
export function millis(iso: string | null | undefined): number {
  const ms = iso ? Date.parse(iso) : NaN;
  return Number.isFinite(ms) ? ms : 0;
}
