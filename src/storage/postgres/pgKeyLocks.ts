import { sql, type Kysely } from 'kysely';
import type pg from 'pg';
import type { Tables } from '../schema/tables.js';
import type { Logger } from 'pino';
import { KeyedQueue } from '../../kernel/KeyedQueue.js';
import type { KeyLocks } from '../Store.js';
import type { PgConnection } from './PgConnection.js';

export interface PgKeyLocksOptions {
  /** Longest wait for a key another instance holds before the task fails (and is retried by its caller). */
  waitMs?: number;
  log?: Logger;
}

/**
 * Key locks shared by every instance on one database: a transaction-scoped advisory lock
 * (`pg_advisory_xact_lock`), held on a connection of its own while the task runs, so it is released
 * when the task ends, and by the server when the holder's connection or process dies. The task's own
 * queries use the store's pool, not this connection: a pool of holders can never starve them.
 * Callers in one instance queue in memory first, so each key costs at most one connection here.
 * https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS
 */
export interface PgKeyLocks extends KeyLocks {
  /**
   * Runs `fn` in a transaction of `queries` that first takes the key's lock (the same lock `run` takes),
   * so the lock costs no connection of its own and no round trips of its own.
   */
  inTransaction<T>(queries: Kysely<Tables>, key: string, fn: (trx: Kysely<Tables>) => Promise<T>): Promise<T>;
}

export function pgKeyLocks(db: PgConnection, options: PgKeyLocksOptions = {}): PgKeyLocks {
  // Callers of one instance queue here first, whichever way they lock: one waiter per key holds a connection.
  const local = new KeyedQueue();
  const waitMs = Math.max(1, Math.round(options.waitMs ?? 60_000));
  return {
    run: (key, task) => local.run(key, () => holding(db, key, waitMs, task, options.log)),
    inTransaction: (queries, key, fn) =>
      local.run(key, () =>
        queries.transaction().execute(async (trx) => {
          // is_local: the timeout ends with the transaction, as the lock does.
          await sql`SELECT set_config('lock_timeout', ${String(waitMs)}, true), pg_advisory_xact_lock(hashtextextended(${key}, 2))`.execute(trx);
          return fn(trx);
        }),
      ),
  };
}

async function holding<T>(db: PgConnection, key: string, waitMs: number, task: () => Promise<T>, log: Logger | undefined): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await db.pool.connect();
  } catch (error) {
    throw db.translate('lock', error);
  }
  let broken: Error | undefined;
  // The connection sits idle in its transaction while the task runs: a server that drops it then emits
  // here (without a listener the process would crash). The lock went with it; the task carries on.
  const onError = (error: Error) => {
    broken = error;
    log?.warn({ key, err: error.message }, 'key lock connection lost while its task ran');
  };
  client.on('error', onError);
  try {
    try {
      await client.query('BEGIN');
      await client.query(`SET LOCAL lock_timeout = ${waitMs}`);
      // Seed 2: a key space apart from the per-record update locks (seed 0).
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 2))', [key]);
    } catch (error) {
      broken = error as Error;
      throw db.translate('lock', error);
    }
    const result = await task();
    // The task is done: a failed COMMIT only means the lock went with its connection already.
    if (!broken) await client.query('COMMIT').catch((error: unknown) => void (broken = error as Error));
    return result;
  } catch (error) {
    if (!broken) await client.query('ROLLBACK').catch((rollbackError: unknown) => void (broken = rollbackError as Error));
    throw error;
  } finally {
    client.removeListener('error', onError);
    client.release(broken);
  }
}
