import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';
import type { Tables } from '../schema/tables.js';
import type { KeyLocks, Store, StoreData, StoreHealth } from '../Store.js';
import { run, type QueryContext } from './context.js';
import { sharedCertificates } from './history.js';
import { storeData } from './storeData.js';
import { writesAsUnits, type UnitsOfWork } from './unitsOfWork.js';

/** What an engine binding supplies; the queries make the Store of it. */
export interface EngineBinding {
  db: Kysely<Tables>;
  dialect: Dialect;
  locks: KeyLocks;
  /** Whether generated certificates are kept in the store (stores several instances share). */
  sharesCertificates: boolean;
  /**
   * How transactions and writes outside any are applied, when not each in its own transaction (the
   * embedded engine commits concurrent ones together: sqlite/GroupCommit).
   */
  units?: UnitsOfWork;
  /** A transaction holding a key lock, taken inside it; without it, the lock is taken around the transaction. */
  lockedTransaction?<T>(key: string, fn: (tx: QueryContext) => Promise<T>): Promise<T>;
  health(): Promise<StoreHealth>;
  close(): Promise<void>;
}

/** A store with the engine it runs on (tools that work at the table level, such as copyStore). */
export type EngineStore = Store & { readonly engine: QueryContext };

export function sqlStore(binding: EngineBinding): EngineStore {
  const { db, dialect } = binding;
  const ctx = { db, dialect };
  const { units } = binding;
  const transaction = <T>(fn: (tx: StoreData) => Promise<T>): Promise<T> =>
    units ? units.run('transaction', fn) : run(ctx, 'transaction', true, () => db.transaction().execute((trx) => fn(storeData({ db: trx, dialect }))));
  const locked = binding.lockedTransaction?.bind(binding);
  return {
    kind: dialect.kind,
    engine: ctx,
    ...(units ? writesAsUnits(storeData(ctx), units) : storeData(ctx)),
    locks: binding.locks,
    ...(binding.sharesCertificates ? { certificates: sharedCertificates(ctx) } : {}),
    transaction,
    lockedTransaction: (key, fn) =>
      locked ? run(ctx, 'transaction', true, () => locked(key, (trx) => fn(storeData(trx)))) : binding.locks.run(key, () => transaction(fn)),
    health: () => binding.health(),
    // Every write is committed (and, on SQLite, synced) before it resolves: at most units still queued to wait for.
    flush: async () => units?.idle(),
    close: () => binding.close(),
  };
}
