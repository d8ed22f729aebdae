import type pg from 'pg';
import type { RecordShape } from '../recordShapes.js';
import type { AsyncCollection, Claimed, ClaimableCollection, ListScope } from '../StoreContract.js';
import type { PgConnection } from './PgConnection.js';
import { fromPg, fromPgText, toPg, toPgText } from './pgText.js';

/** One collection's table: `key`, `doc` (JSONB) and the indexed columns its shape names. */
interface Table<T> {
  name: string;
  shape: RecordShape<T>;
}

interface Row {
  key: string;
  doc: unknown;
}

/** Column names and values derived from a record, in one order (tenant, chat, work columns). */
function derivedColumns<T>(shape: RecordShape<T>, item: T): Array<[string, unknown]> {
  const columns: Array<[string, unknown]> = [];
  if (shape.tenantOf) columns.push(['tenant_id', shape.tenantOf(item)]);
  if (shape.chatOf) columns.push(['chat_id', shape.chatOf(item)]);
  if (shape.orderOf) columns.push(['order_at', shape.orderOf(item)]);
  if (shape.orderOf) columns.push(['due_at', shape.dueAt?.(item) ?? null]);
  return columns;
}

/**
 * INSERT … ON CONFLICT DO UPDATE of one record; leases (work tables) are left as they are unless
 * `lease` names the owner to hold it.
 */
function upsert<T>(table: Table<T>, key: string, item: T, lease?: { owner: string; until: Date }): { sql: string; params: unknown[] } {
  const columns = derivedColumns(table.shape, item);
  if (lease) columns.push(['leased_by', lease.owner], ['leased_until', lease.until]);
  const names = ['key', ...columns.map(([name]) => name), 'doc'];
  const params = [toPgText(key), ...columns.map(([, value]) => toPg(value)), JSON.stringify(toPg(item))];
  const placeholders = names.map((name, i) => (name === 'doc' ? `$${i + 1}::jsonb` : `$${i + 1}`));
  const updates = names.slice(1).map((name) => `${name} = EXCLUDED.${name}`);
  return {
    sql: `INSERT INTO ${table.name} (${names.join(', ')}) VALUES (${placeholders.join(', ')}) ON CONFLICT (key) DO UPDATE SET ${updates.join(', ')}`,
    params,
  };
}

function scopeClause<T>(shape: RecordShape<T>, scope: ListScope | undefined, params: unknown[]): string {
  const clauses: string[] = [];
  if (scope?.tenantId !== undefined) {
    if (!shape.tenantOf) return 'false';
    params.push(toPgText(scope.tenantId));
    clauses.push(`tenant_id = $${params.length}`);
  }
  if (scope?.chatId !== undefined) {
    if (!shape.chatOf) return 'false';
    if (scope.chatId === null) clauses.push('chat_id IS NULL');
    else {
      params.push(toPgText(scope.chatId));
      clauses.push(`chat_id = $${params.length}`);
    }
  }
  return clauses.length > 0 ? clauses.join(' AND ') : 'true';
}

export function pgCollection<T>(db: PgConnection, table: Table<T>): AsyncCollection<T> {
  const op = (name: string) => `${table.name}.${name}`;
  return {
    get: async (key) => {
      const { rows } = await db.query<Row>(op('get'), `SELECT doc FROM ${table.name} WHERE key = $1`, [toPgText(key)]);
      return fromPg(rows[0]?.doc) as T | undefined;
    },
    list: async (filter, scope) => {
      const params: unknown[] = [];
      const where = scopeClause(table.shape, scope, params);
      const { rows } = await db.query<Row>(op('list'), `SELECT doc FROM ${table.name} WHERE ${where} ORDER BY key`, params);
      const items = rows.map((row) => fromPg(row.doc) as T);
      return filter ? items.filter(filter) : items;
    },
    put: async (key, item) => {
      const { sql, params } = upsert(table, key, item);
      await db.query(op('put'), sql, params);
    },
    delete: async (key) => {
      await db.query(op('delete'), `DELETE FROM ${table.name} WHERE key = $1`, [toPgText(key)]);
    },
    update: (key, fn) =>
      db.transaction(op('update'), async (client) => {
        const pgKey = toPgText(key);
        // The advisory lock serialises updates of a key that has no row yet (FOR UPDATE locks only rows).
        await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`${table.name}:${pgKey}`]);
        const { rows } = await client.query<Row>(`SELECT doc FROM ${table.name} WHERE key = $1 FOR UPDATE`, [pgKey]);
        const current = fromPg(rows[0]?.doc) as T | undefined;
        const next = fn(current === undefined ? undefined : structuredClone(current));
        if (next === undefined) {
          if (current !== undefined) await client.query(`DELETE FROM ${table.name} WHERE key = $1`, [pgKey]);
          return undefined;
        }
        const { sql, params } = upsert(table, key, next);
        await client.query(sql, params);
        return structuredClone(next);
      }),
  };
}

interface LeasedRow extends Row {
  leased_until: Date;
  order_at: Date;
}

/**
 * A work table: claims take unleased (or lease-expired) due rows oldest first, skipping rows another
 * instance is claiming at that very moment (FOR UPDATE SKIP LOCKED), so concurrent claimants never
 * wait for each other nor get the same row.
 */
export function pgClaimableCollection<T>(db: PgConnection, table: Table<T>): ClaimableCollection<T> {
  const op = (name: string) => `${table.name}.${name}`;
  const owned = async (name: string, sql: string, params: unknown[]): Promise<boolean> => {
    const result: pg.QueryResult = await db.query(op(name), sql, params);
    return (result.rowCount ?? 0) > 0;
  };
  return {
    ...pgCollection(db, table),
    claim: async ({ owner, at, leaseMs, limit }) => {
      const until = new Date(at.getTime() + leaseMs);
      const { rows } = await db.query<LeasedRow>(
        op('claim'),
        `WITH picked AS (
           SELECT key FROM ${table.name}
           WHERE (leased_until IS NULL OR leased_until <= $1) AND (due_at IS NULL OR due_at <= $1)
           ORDER BY order_at, key LIMIT $2 FOR UPDATE SKIP LOCKED
         )
         UPDATE ${table.name} t SET leased_by = $3, leased_until = $4 FROM picked WHERE t.key = picked.key
         RETURNING t.key, t.doc, t.leased_until, t.order_at`,
        [at, limit, toPgText(owner), until],
      );
      rows.sort((a, b) => a.order_at.getTime() - b.order_at.getTime() || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      return rows.map((row): Claimed<T> => ({ key: fromPgText(row.key), item: fromPg(row.doc) as T, leasedUntil: row.leased_until }));
    },
    putClaimed: async (key, item, { owner, at, leaseMs }) => {
      const until = new Date(at.getTime() + leaseMs);
      const { sql, params } = upsert(table, key, item, { owner, until });
      await db.query(op('putClaimed'), sql, params);
      return { key, item, leasedUntil: until };
    },
    extend: (key, { owner, at, leaseMs }) =>
      owned('extend', `UPDATE ${table.name} SET leased_until = $3 WHERE key = $1 AND leased_by = $2`, [toPgText(key), toPgText(owner), new Date(at.getTime() + leaseMs)]),
    release: (key, owner) => owned('release', `UPDATE ${table.name} SET leased_by = NULL, leased_until = NULL WHERE key = $1 AND leased_by = $2`, [toPgText(key), toPgText(owner)]),
    complete: (key, owner) => owned('complete', `DELETE FROM ${table.name} WHERE key = $1 AND leased_by = $2`, [toPgText(key), toPgText(owner)]),
  };
}
