import type { HistoryEntry } from '../../model/history.js';
import { HISTORY_LIMIT_PER_CHAT, type History, type SeenKeys, type SharedCertificates } from '../Store.js';
import type { StoredCertificate } from '../records.js';
import { millis, run, type QueryContext } from './context.js';
import { chunks, docs } from './records.js';

export function history(ctx: QueryContext): History {
  const { text } = ctx.dialect;
  return {
    append: (entry) =>
      run(ctx, 'history.append', true, async () => {
        const chatId = text(entry.chatId);
        const inserted = await ctx.db
          .insertInto('history')
          .values({ chat_id: chatId, id: text(entry.id), at: millis(entry.at), kind: text(entry.kind), doc: ctx.dialect.encodeDoc(entry) })
          .onConflict((oc) => oc.columns(['chat_id', 'id']).doNothing())
          .executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return;
        // The chat keeps its newest entries: the oldest appended beyond the limit go.
        const oldestKept = ctx.db.selectFrom('history').select('seq').where('chat_id', '=', chatId).orderBy('seq', 'desc').offset(HISTORY_LIMIT_PER_CHAT - 1).limit(1);
        await ctx.db.deleteFrom('history').where('chat_id', '=', chatId).where('seq', '<', oldestKept).execute();
      }),
    appendMany: (entries) =>
      run(ctx, 'history.appendMany', true, async () => {
        const chats = new Set<string>();
        for (const part of chunks(entries)) {
          const rows = part.map((entry) => ({ chat_id: text(entry.chatId), id: text(entry.id), at: millis(entry.at), kind: text(entry.kind), doc: ctx.dialect.encodeDoc(entry) }));
          // Rows take their seq in the order given, so entries of one time keep the order of the list.
          const inserted = await ctx.db
            .insertInto('history')
            .values(rows)
            .onConflict((oc) => oc.columns(['chat_id', 'id']).doNothing())
            .returning('chat_id')
            .execute();
          for (const row of inserted) chats.add(row.chat_id);
        }
        // Each chat that grew keeps its newest entries (one statement for all of them).
        for (const part of chunks([...chats])) {
          await ctx.db
            .deleteFrom('history')
            .where('chat_id', 'in', part)
            .where('seq', '<', (eb) =>
              eb.selectFrom('history as newer').select('newer.seq').whereRef('newer.chat_id', '=', 'history.chat_id').orderBy('newer.seq', 'desc').offset(HISTORY_LIMIT_PER_CHAT - 1).limit(1),
            )
            .execute();
        }
      }),
    page: (chatId, query = {}) =>
      run(ctx, 'history.page', false, async () => {
        const chat = text(chatId);
        const kinds = (query.kinds ?? []).map(text);
        const rows = await ctx.db
          .selectFrom('history as h')
          .select('h.doc')
          .where('h.chat_id', '=', chat)
          .$if(query.before !== undefined, (qb) =>
            // After the `before` entry in newest-first order; an unknown id pages from the start.
            qb.where((outer) =>
              outer.not(
                outer.exists(
                  outer
                    .selectFrom('history as b')
                    .select('b.seq')
                    .where('b.chat_id', '=', chat)
                    .where('b.id', '=', text(query.before ?? ''))
                    .where((eb) => eb.not(eb.or([eb('h.at', '<', eb.ref('b.at')), eb.and([eb('h.at', '=', eb.ref('b.at')), eb('h.seq', '>', eb.ref('b.seq'))])]))),
                ),
              ),
            ),
          )
          .$if(kinds.length > 0, (qb) => qb.where('h.kind', 'in', kinds))
          .orderBy('h.at', 'desc')
          .orderBy('h.seq', 'asc')
          .limit(query.limit ?? 50)
          .execute();
        return docs<HistoryEntry>(ctx, rows);
      }),
  };
}

export function seenKeys(ctx: QueryContext): SeenKeys {
  const { text } = ctx.dialect;
  return {
    add: (key, at) =>
      run(ctx, 'seen.add', true, async () => {
        const result = await ctx.db
          .insertInto('seen_keys')
          .values({ key: text(key), at: at.getTime() })
          .onConflict((oc) => oc.column('key').doNothing())
          .executeTakeFirst();
        return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
      }),
    has: (key) => run(ctx, 'seen.has', false, async () => (await ctx.db.selectFrom('seen_keys').select('key').where('key', '=', text(key)).executeTakeFirst()) !== undefined),
    prune: (before) =>
      run(ctx, 'seen.prune', true, async () => Number((await ctx.db.deleteFrom('seen_keys').where('at', '<', before.getTime()).executeTakeFirst()).numDeletedRows)),
  };
}

export function sharedCertificates(ctx: QueryContext): SharedCertificates {
  return {
    list: () =>
      run(ctx, 'certificates.list', false, async () =>
        docs<StoredCertificate>(ctx, await ctx.db.selectFrom('notification_certificates').select('doc').orderBy('created_at').orderBy('thumbprint').execute()),
      ),
    add: (certificate) =>
      run(ctx, 'certificates.add', true, async () => {
        await ctx.db
          .insertInto('notification_certificates')
          .values({ thumbprint: certificate.thumbprint, created_at: millis(certificate.createdAt), doc: ctx.dialect.encodeDoc(certificate) })
          .onConflict((oc) => oc.column('thumbprint').doNothing())
          .execute();
      }),
  };
}
