import type { HistoryEntry } from '../../model/history.js';
import { appendCapped } from '../historyQuery.js';

/**
 * One line of the log: a record's new value in a collection (`v`), its deletion (`d`), or an entry
 * appended to a chat's history (`h`). Seen keys are the collection `seen` (value: when, ISO). The
 * collection lines are those of the notifications journal of earlier versions.
 */
export type LogLine = { c: string; k: string; v: unknown } | { c: string; k: string; d: 1 } | { h: HistoryEntry };

export const putLine = (collection: string, key: string, json: string) => `{"c":${JSON.stringify(collection)},"k":${JSON.stringify(key)},"v":${json}}\n`;
export const deleteLine = (collection: string, key: string) => `{"c":${JSON.stringify(collection)},"k":${JSON.stringify(key)},"d":1}\n`;
export const historyLine = (json: string) => `{"h":${json}}\n`;

/**
 * The log store's state in memory: plain JSON records per collection and each chat's history. Stored
 * objects are never changed in place (a put replaces the record), so a shallow copy is a consistent
 * point-in-time view for a snapshot.
 */
export class LogTables {
  readonly collections = new Map<string, Map<string, unknown>>();
  readonly history = new Map<string, HistoryEntry[]>();

  table(name: string): Map<string, unknown> {
    let table = this.collections.get(name);
    if (!table) {
      table = new Map();
      this.collections.set(name, table);
    }
    return table;
  }

  appendHistory(entry: HistoryEntry): void {
    let list = this.history.get(entry.chatId);
    if (!list) {
      list = [];
      this.history.set(entry.chatId, list);
    }
    appendCapped(list, entry);
  }

  apply(line: LogLine): void {
    if ('h' in line) this.appendHistory(line.h);
    else if ('v' in line) this.table(line.c).set(line.k, line.v);
    else this.table(line.c).delete(line.k);
  }

  /** Records in the store (what "live size" means for compaction). */
  get size(): number {
    let n = 0;
    for (const table of this.collections.values()) n += table.size;
    for (const list of this.history.values()) n += list.length;
    return n;
  }

  /**
   * The state as it is now, as snapshot lines produced lazily (serialised a record at a time while the
   * snapshot is written, so taking it costs only copies of the maps and history arrays).
   */
  snapshot(): Iterable<string> {
    const collections = [...this.collections].map(([name, table]) => [name, new Map(table)] as const);
    const history = [...this.history.values()].map((list) => list.slice());
    return (function* lines() {
      for (const [name, table] of collections) for (const [key, value] of table) yield putLine(name, key, JSON.stringify(value));
      for (const list of history) for (const entry of list) yield historyLine(JSON.stringify(entry));
    })();
  }
}
