import type { HistoryEntry } from '../model/history.js';
import type { QueryContext } from './queries/context.js';
import type { DocTable } from './queries/docTables.js';
import { history } from './queries/history.js';
import { loose, upsert } from './queries/records.js';

/** How many records of each kind were copied. */
export type CopyReport = Record<DocTable | 'history' | 'seen_keys', number>;

const DOC_TABLES: readonly DocTable[] = ['installations', 'subscriptions', 'chats', 'change_logs', 'pending_summaries', 'pending_creations', 'inbox', 'outbox'];
const PAGE = 500;

/**
 * Copies every record of one store into another (`npm run store:migrate`: the embedded SQLite file into
 * PostgreSQL, for a team moving from one instance to several). Herald must be stopped meanwhile.
 * Running it again is harmless: records are upserted (the copy wins), history entries and seen keys
 * already present are skipped. Work items arrive unleased. Read page by page, so a large store is
 * never in memory at once.
 */
export async function copyStore(from: QueryContext, to: QueryContext): Promise<CopyReport> {
  const report = { history: 0, seen_keys: 0 } as CopyReport;
  for (const table of DOC_TABLES) {
    report[table] = 0;
    let after: string | null = null;
    for (;;) {
      const rows = await loose(from)
        .selectFrom(table)
        .select(['key', 'doc'])
        .$if(after !== null, (qb) => qb.where('key', '>', after ?? ''))
        .orderBy('key')
        .limit(PAGE)
        .execute();
      for (const row of rows) await upsert(to, table, from.dialect.fromText(row.key), from.dialect.decodeDoc(row.doc));
      report[table] += rows.length;
      if (rows.length < PAGE) break;
      after = rows[rows.length - 1]!.key;
    }
  }
  // History in the order it was appended, so the target lists entries of one time in the same order.
  const target = history(to);
  for (let after = -1; ; ) {
    const rows = await from.db.selectFrom('history').select(['seq', 'doc']).where('seq', '>', after).orderBy('seq').limit(PAGE).execute();
    for (const row of rows) await target.append(from.dialect.decodeDoc<HistoryEntry>(row.doc));
    report.history += rows.length;
    if (rows.length < PAGE) break;
    after = Number(rows[rows.length - 1]!.seq);
  }
  for (let after: string | null = null; ; ) {
    const rows = await from.db
      .selectFrom('seen_keys')
      .select(['key', 'at'])
      .$if(after !== null, (qb) => qb.where('key', '>', after ?? ''))
      .orderBy('key')
      .limit(PAGE)
      .execute();
    if (rows.length > 0) {
      await to.db
        .insertInto('seen_keys')
        .values(rows.map((row) => ({ key: to.dialect.text(from.dialect.fromText(row.key)), at: Number(row.at) })))
        .onConflict((oc) => oc.column('key').doNothing())
        .execute();
    }
    report.seen_keys += rows.length;
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1]!.key;
  }
  return report;
}
