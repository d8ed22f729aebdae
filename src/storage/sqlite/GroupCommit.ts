import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';
import { storeData } from '../queries/storeData.js';
import type { UnitsOfWork } from '../queries/unitsOfWork.js';
import type { Tables } from '../schema/tables.js';
import type { StoreData } from '../Store.js';

interface Unit {
  operation: string;
  work: (tx: StoreData) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** What the group commit needs of the connection besides Kysely: whether SQLite still has the transaction open. */
export interface TransactionState {
  readonly inTransaction: boolean;
}

/**
 * Group commit for the embedded store. With `synchronous=FULL` every COMMIT is an fsync, and one
 * connection runs one transaction at a time, so units of work committed one by one are bounded by the
 * disk's fsyncs per second. Here they are queued instead, and a flusher runs everything queued in one
 * BEGIN…COMMIT: one fsync for the whole group. Each unit runs inside its own SAVEPOINT, so a unit that
 * throws is rolled back alone and only its caller gets the error. Every caller's promise settles only
 * after the shared COMMIT (durability as before: nothing resolves before it is on disk). Units that
 * arrive while a group runs form the next group; reads outside units run between groups.
 *
 * A failed COMMIT (full disk, I/O error) fails every unit of its group. SQLite may also roll the whole
 * transaction back by itself when a statement fails so (SQLITE_FULL, SQLITE_IOERR): then the units that
 * ran before in that group fail with that error too, and those not yet run wait for the next group.
 */
export class GroupCommit implements UnitsOfWork {
  private queue: Unit[] = [];
  private draining: Promise<void> | null = null;

  constructor(
    private readonly db: Kysely<Tables>,
    private readonly dialect: Dialect,
    private readonly connection: TransactionState,
  ) {}

  run<T>(operation: string, work: (tx: StoreData) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ operation, work, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.draining) return;
    // A microtask, not a timer: units handed in during the same turn join the first group, and the
    // store never depends on timers (tests install fake ones).
    this.draining = Promise.resolve()
      .then(() => this.drain())
      .finally(() => {
        this.draining = null;
        // Units handed in after the drain's last look at the queue.
        if (this.queue.length > 0) this.schedule();
      });
  }

  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) await this.commit(this.queue.splice(0));
  }

  private async commit(group: Unit[]): Promise<void> {
    const outcomes: Outcome[] = [];
    /** Set when the transaction as a whole is lost before COMMIT (SQLite rolled it back, or a savepoint failed). */
    let broken: { error: unknown } | null = null;
    let failure: unknown = null;
    try {
      await this.db.transaction().execute(async (trx) => {
        const tx = storeData({ db: trx, dialect: this.dialect });
        for (const unit of group) {
          const outcome = await this.apply(trx, tx, unit);
          outcomes.push(outcome.result);
          if (outcome.lost !== undefined) {
            broken = { error: outcome.lost };
            throw outcome.lost;
          }
        }
      });
    } catch (error) {
      failure = broken ? (broken as { error: unknown }).error : error;
    }
    // The disk took writes again only if some unit's did commit (a group of refused units commits nothing).
    if (failure === null && outcomes.some((outcome) => outcome.ok)) this.dialect.wrote?.();
    const notRun: Unit[] = [];
    group.forEach((unit, index) => {
      const outcome = outcomes[index];
      if (outcome === undefined) {
        // Never started: its group was lost before its turn (it waits for the next), or BEGIN failed.
        if (broken) notRun.push(unit);
        else unit.reject(this.dialect.translate(unit.operation, failure, true));
      } else if (!outcome.ok) unit.reject(this.dialect.translate(unit.operation, outcome.error, true));
      else if (failure !== null) unit.reject(this.dialect.translate(unit.operation, failure, true));
      else unit.resolve(outcome.value);
    });
    // In front of what arrived meanwhile, so each caller's units keep their order.
    this.queue.unshift(...notRun);
  }

  /**
   * Runs one unit in its savepoint. `lost` is set when the group's transaction cannot go on (then this
   * unit has its outcome and the caller ends the group).
   */
  private async apply(trx: Kysely<Tables>, tx: StoreData, unit: Unit): Promise<{ result: Outcome; lost?: unknown }> {
    try {
      await sql`SAVEPOINT herald_unit`.execute(trx);
    } catch (error) {
      return { result: { ok: false, error }, lost: error };
    }
    let result: Outcome;
    try {
      result = { ok: true, value: await unit.work(tx) };
    } catch (error) {
      result = { ok: false, error };
    }
    // SQLite rolled the whole transaction back by itself (full disk, I/O error): the group is lost. A
    // SAVEPOINT now would silently begin a new transaction, and its RELEASE commit it.
    if (!this.connection.inTransaction) {
      const lost = result.ok ? new Error('the embedded store rolled the transaction back') : result.error;
      return { result: result.ok ? { ok: false, error: lost } : result, lost };
    }
    try {
      if (!result.ok) await sql`ROLLBACK TO herald_unit`.execute(trx);
      await sql`RELEASE herald_unit`.execute(trx);
    } catch (error) {
      return { result: { ok: false, error }, lost: error };
    }
    return { result };
  }
}
