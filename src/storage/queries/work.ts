import type { Claimed, WorkQueue } from '../Store.js';
import type { WorkTable } from '../schema/tables.js';
import { count, run, type QueryContext } from './context.js';
import { records, upsert } from './records.js';

/**
 * A work table: claims take unleased (or lease-expired, or held by a stale instance) due rows oldest
 * first and lease them in one statement; on PostgreSQL the rows are picked FOR UPDATE SKIP LOCKED, so concurrent claimants never
 * wait for each other nor get the same row.
 */
export function workQueue<T>(ctx: QueryContext, table: WorkTable, name: string): WorkQueue<T> {
  const op = (what: string) => `${name}.${what}`;
  const { text } = ctx.dialect;
  const owned = (what: string, query: () => Promise<{ numUpdatedRows?: bigint; numDeletedRows?: bigint }>) =>
    run(ctx, op(what), true, async () => {
      const result = await query();
      return Number(result.numUpdatedRows ?? result.numDeletedRows ?? 0) > 0;
    });
  return {
    ...records<T>(ctx, table, name),
    claim: ({ owner, at, leaseMs, limit, staleOwnersBefore }) =>
      run(ctx, op('claim'), true, async () => {
        const now = at.getTime();
        const until = now + leaseMs;
        const picked = ctx.db
          .selectFrom(table)
          .select('key')
          .where((eb) =>
            eb.or([
              eb('leased_until', 'is', null),
              eb('leased_until', '<=', now),
              // Or held by an instance whose beats stopped: taken over in this same statement.
              ...(staleOwnersBefore
                ? [eb('leased_by', 'in', eb.selectFrom('instances').select('instances.id').where('instances.beat_at', '<', staleOwnersBefore.getTime()))]
                : []),
            ]),
          )
          .where((eb) => eb.or([eb('due_at', 'is', null), eb('due_at', '<=', now)]))
          .orderBy('order_at')
          .orderBy('key')
          .limit(limit)
          .$if(ctx.dialect.skipLockedClaims, (qb) => qb.forUpdate().skipLocked());
        const rows = await ctx.db
          .updateTable(table)
          .set({ leased_by: text(owner), leased_until: until })
          .where('key', 'in', picked)
          .returning(['key', 'doc', 'order_at'])
          .execute();
        // RETURNING keeps no order.
        rows.sort((a, b) => Number(a.order_at) - Number(b.order_at) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
        return rows.map((row): Claimed<T> => ({ key: ctx.dialect.fromText(row.key), item: ctx.dialect.decodeDoc<T>(row.doc), leasedUntil: new Date(until) }));
      }),
    putClaimed: (key, item, { owner, at, leaseMs }) =>
      run(ctx, op('putClaimed'), true, async () => {
        const until = at.getTime() + leaseMs;
        await upsert(ctx, table, key, item, { leased_by: text(owner), leased_until: until });
        return { key, item, leasedUntil: new Date(until) };
      }),
    extend: (key, { owner, at, leaseMs }) =>
      owned('extend', () =>
        ctx.db
          .updateTable(table)
          .set({ leased_until: at.getTime() + leaseMs })
          .where('key', '=', text(key))
          .where('leased_by', '=', text(owner))
          .executeTakeFirst(),
      ),
    release: (key, owner) =>
      owned('release', () => ctx.db.updateTable(table).set({ leased_by: null, leased_until: null }).where('key', '=', text(key)).where('leased_by', '=', text(owner)).executeTakeFirst()),
    complete: (key, owner) => owned('complete', () => ctx.db.deleteFrom(table).where('key', '=', text(key)).where('leased_by', '=', text(owner)).executeTakeFirst()),
    count: () =>
      run(ctx, op('count'), false, async () => count((await ctx.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirst())?.n)),
  };
}
