import type { HistoryEntry } from '../model/history.js';
import type { HistoryQuery } from './HeraldStore.js';

/** History kept per chat; older entries are dropped. */
export const HISTORY_LIMIT_PER_CHAT = 2000;

/** Appends to a chat's history in place, dropping the oldest entries beyond the limit. */
export function appendCapped(list: HistoryEntry[], entry: HistoryEntry): void {
  list.push(entry);
  if (list.length > HISTORY_LIMIT_PER_CHAT) list.splice(0, list.length - HISTORY_LIMIT_PER_CHAT);
}

/** One page of a chat's history, newest first (copies). */
export function queryHistory(entries: readonly HistoryEntry[], query: HistoryQuery = {}): HistoryEntry[] {
  const all = [...entries].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  let start = 0;
  if (query.before) {
    const idx = all.findIndex((e) => e.id === query.before);
    start = idx >= 0 ? idx + 1 : 0;
  }
  const kinds = query.kinds && query.kinds.length > 0 ? new Set(query.kinds) : null;
  const filtered = all.slice(start).filter((e) => !kinds || kinds.has(e.kind));
  return structuredClone(filtered.slice(0, query.limit ?? 50));
}
