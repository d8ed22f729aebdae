import type { Instances } from '../Store.js';
import { run, type QueryContext } from './context.js';

/** The instances table: one row per live instance, its last beat (milliseconds, the instance's clock). */
export function instances(ctx: QueryContext): Instances {
  const { text } = ctx.dialect;
  return {
    beat: (id, at) =>
      run(ctx, 'instances.beat', true, async () => {
        await ctx.db
          .insertInto('instances')
          .values({ id: text(id), beat_at: at.getTime() })
          .onConflict((oc) => oc.column('id').doUpdateSet({ beat_at: at.getTime() }))
          .execute();
      }),
    stale: (staleBefore) =>
      run(ctx, 'instances.stale', false, async () =>
        (await ctx.db.selectFrom('instances').select('id').where('beat_at', '<', staleBefore.getTime()).orderBy('id').execute()).map((row) => ctx.dialect.fromText(row.id)),
      ),
    gone: (id) =>
      run(ctx, 'instances.gone', true, async () => {
        await ctx.db.deleteFrom('instances').where('id', '=', text(id)).execute();
      }),
  };
}
