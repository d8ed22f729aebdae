import type { Collection } from './HeraldStore.js';

/** Where a collection's records live: `read` and `all` give the stored objects themselves (never handed out). */
export interface RecordTable<T> {
  read(key: string): T | undefined;
  all(): Iterable<T>;
  /** Stores a copy of `item` and resolves once it is durable. */
  write(key: string, item: T): Promise<void>;
  /** Forgets the record (nothing to do when absent) and resolves once that is durable. */
  remove(key: string): Promise<void>;
}

/**
 * The `Collection` contract over a table of stored records: callers only ever see copies, so they
 * cannot change stored records by accident. `list` filters the stored records before copying, so a
 * filtered list costs a copy of the matches only (filters are predicates and must not change items).
 */
export function recordCollection<T>(table: RecordTable<T>): Collection<T> {
  const copy = (item: T | undefined) => (item === undefined ? undefined : structuredClone(item));
  return {
    get: (key) => copy(table.read(key)),
    list: (filter) => {
      const out: T[] = [];
      for (const item of table.all()) if (!filter || filter(item)) out.push(structuredClone(item));
      return out;
    },
    put: (key, item) => table.write(key, item),
    delete: (key) => table.remove(key),
    update: async (key, fn) => {
      const current = table.read(key);
      const next = fn(copy(current));
      if (next === undefined) {
        if (current === undefined) return undefined;
        await table.remove(key);
        return undefined;
      }
      await table.write(key, next);
      return structuredClone(next);
    },
  };
}
