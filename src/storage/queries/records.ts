import type { Kysely } from 'kysely';
import type { Records } from '../Store.js';
import { inTransaction, run, type QueryContext } from './context.js';
import { COLUMNS, type DocTable } from './docTables.js';

type Value = string | number | null;
interface LooseRow {
  key: string;
  doc: unknown;
  [column: string]: unknown;
}
/** The doc tables seen alike, for the queries every one of them shares (their columns come from COLUMNS). */
type LooseDb = Kysely<Record<DocTable, LooseRow>>;

export function loose(ctx: QueryContext): LooseDb {
  return ctx.db as unknown as LooseDb;
}

/** A record's row: key, columns and document, in the engine's form. */
export function rowOf<T>(ctx: QueryContext, table: DocTable, key: string, item: T): Record<string, Value> {
  const columns = (COLUMNS[table] as (item: T) => Record<string, Value>)(item);
  const row: Record<string, Value> = { key: ctx.dialect.text(key) };
  for (const [name, value] of Object.entries(columns)) row[name] = typeof value === 'string' ? ctx.dialect.text(value) : value;
  row.doc = ctx.dialect.encodeDoc(item);
  return row;
}

/** Inserts or replaces a record (a work item's lease is left as it is unless `extra` sets it). */
export async function upsert<T>(ctx: QueryContext, table: DocTable, key: string, item: T, extra: Record<string, Value> = {}): Promise<void> {
  const row = { ...rowOf(ctx, table, key, item), ...extra };
  const { key: _key, ...changes } = row;
  await loose(ctx).insertInto(table).values(row).onConflict((oc) => oc.column('key').doUpdateSet(changes)).execute();
}

/** Rows (or keys) per statement of the multi-row queries: far below both engines' bound parameters. */
export const ROWS_PER_STATEMENT = 500;

export function chunks<T>(items: readonly T[], size = ROWS_PER_STATEMENT): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

/** Inserts or replaces several records, one multi-row INSERT … ON CONFLICT DO UPDATE per chunk (leases left as they are). */
export async function upsertMany<T>(ctx: QueryContext, table: DocTable, entries: ReadonlyArray<readonly [string, T]>): Promise<void> {
  // One statement cannot update a row twice (PostgreSQL refuses): of a repeated key, the last entry wins.
  const latest = new Map<string, T>();
  for (const [key, item] of entries) {
    latest.delete(key);
    latest.set(key, item);
  }
  for (const part of chunks([...latest])) {
    const rows = part.map(([key, item]) => rowOf(ctx, table, key, item));
    const columns = Object.keys(rows[0]!).filter((column) => column !== 'key');
    await loose(ctx)
      .insertInto(table)
      .values(rows)
      .onConflict((oc) => oc.column('key').doUpdateSet((eb) => Object.fromEntries(columns.map((column) => [column, eb.ref(`excluded.${column}`)]))))
      .execute();
  }
}

/** Documents of the rows a query found, as records. */
export function docs<T>(ctx: QueryContext, rows: ReadonlyArray<{ doc: unknown }>): T[] {
  return rows.map((row) => ctx.dialect.decodeDoc<T>(row.doc));
}

/** get/put/delete/update of one doc table. */
export function records<T>(ctx: QueryContext, table: DocTable, name: string): Records<T> {
  const op = (what: string) => `${name}.${what}`;
  return {
    get: (key) =>
      run(ctx, op('get'), false, async () => {
        const row = await loose(ctx).selectFrom(table).select('doc').where('key', '=', ctx.dialect.text(key)).executeTakeFirst();
        return row ? ctx.dialect.decodeDoc<T>(row.doc) : undefined;
      }),
    put: (key, item) => run(ctx, op('put'), true, () => upsert(ctx, table, key, item)),
    getMany: (keys) =>
      run(ctx, op('getMany'), false, async () => {
        const found = new Map<string, T>();
        for (const part of chunks([...new Set(keys)])) {
          const rows = await loose(ctx).selectFrom(table).select(['key', 'doc']).where('key', 'in', part.map(ctx.dialect.text)).execute();
          for (const row of rows) found.set(ctx.dialect.fromText(row.key), ctx.dialect.decodeDoc<T>(row.doc));
        }
        return found;
      }),
    putMany: (entries) => run(ctx, op('putMany'), true, () => upsertMany(ctx, table, entries)),
    delete: (key) =>
      run(ctx, op('delete'), true, async () => {
        await loose(ctx).deleteFrom(table).where('key', '=', ctx.dialect.text(key)).execute();
      }),
    update: (key, fn) =>
      run(ctx, op('update'), true, () =>
        inTransaction(ctx, async (trx) => {
          await trx.dialect.lockKey(trx.db, table, key);
          const row = await loose(trx).selectFrom(table).select('doc').where('key', '=', trx.dialect.text(key)).executeTakeFirst();
          const current = row ? trx.dialect.decodeDoc<T>(row.doc) : undefined;
          const next = fn(current);
          if (next === undefined) {
            if (current !== undefined) await loose(trx).deleteFrom(table).where('key', '=', trx.dialect.text(key)).execute();
            return undefined;
          }
          await upsert(trx, table, key, next);
          return structuredClone(next);
        }),
      ),
  };
}
