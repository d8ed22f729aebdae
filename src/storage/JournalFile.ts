import { mkdir, open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Collection } from './HeraldStore.js';

/** One line of a journal: a record's new value in a collection, or its deletion. */
type JournalLine = { c: string; k: string; v: unknown } | { c: string; k: string; d: 1 };

// Captured at load so sinon fake timers installed by tests do not freeze storage writes.
const defer: (fn: () => void) => void = globalThis.setImmediate.bind(globalThis);
const later: (fn: () => void, ms: number) => { unref?(): void } = globalThis.setTimeout.bind(globalThis);

/** Rewrite the journal once it has grown this much beyond its live records. */
const COMPACT_AFTER_CHARS = 8 * 1024 * 1024;
/** Lazy mutations reach the disk at the latest this long after they were made. */
const LAZY_FLUSH_MS = 1000;

/** Which mutations of a collection wait for their own fsync; the others ride along with the next one. */
export interface JournalDurability {
  /** Default true. */
  puts?: boolean;
  /** Default true. */
  deletes?: boolean;
}

/**
 * An append-only journal of JSON lines shared by a few collections (`{c, k, v}` sets a record,
 * `{c, k, d: 1}` deletes it), for records that change with every notification and would otherwise cost a
 * rewrite of the whole lowdb document each time.
 *
 * Durable mutations resolve once their line is fsynced; lines written in the same tick or while a flush
 * runs share one write and one fsync (group commit). Lazy mutations resolve at once and are written,
 * in order, with the next flush (at most LAZY_FLUSH_MS later): since all collections share one file,
 * a lazy line can never reach the disk before the lines written ahead of it. On open the journal is
 * replayed; a torn last line from a crash is ignored (its mutation had not resolved). When the journal
 * has grown well beyond its live records it is rewritten (temp file, fsync, rename).
 */
export class JournalFile {
  private readonly collections = new Map<string, Map<string, string>>();
  /** Characters of each live record's line, to know when the journal is mostly dead lines. */
  private readonly sizes = new Map<string, number>();
  private liveChars = 0;
  private handle: FileHandle | null = null;
  private pending: string[] = [];
  private scheduled: Promise<void> | null = null;
  private writing: Promise<void> = Promise.resolve();
  private lazyTimer: { unref?(): void } | null = null;
  private charsSinceCompaction = 0;
  private closed = false;
  /** fsynced appends performed (observability and tests of group commit). */
  flushes = 0;

  private constructor(private readonly path: string) {}

  static async open(path: string): Promise<JournalFile> {
    const journal = new JournalFile(path);
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const lines = text.split('\n').filter((line) => line.length > 0);
    let live = 0;
    lines.forEach((line, index) => {
      let entry: JournalLine;
      try {
        entry = JSON.parse(line) as JournalLine;
      } catch (error) {
        if (index === lines.length - 1) return; // torn by a crash mid-append: that mutation never resolved
        throw new Error(`journal ${path} is corrupt at line ${index + 1}`, { cause: error });
      }
      const records = journal.records(entry.c);
      if ('v' in entry) records.set(entry.k, JSON.stringify(entry.v));
      else records.delete(entry.k);
      journal.track(entry.c, entry.k, 'v' in entry ? line.length + 1 : null);
    });
    for (const records of journal.collections.values()) live += records.size;
    journal.charsSinceCompaction = text.length;
    if (lines.length > live) await journal.compact();
    return journal;
  }

  collection<T>(name: string, durability: JournalDurability = {}): Collection<T> {
    const records = this.records(name);
    const durablePuts = durability.puts ?? true;
    const durableDeletes = durability.deletes ?? true;
    const get = (key: string): T | undefined => {
      const text = records.get(key);
      return text === undefined ? undefined : (JSON.parse(text) as T);
    };
    // Records are plain JSON data (as everything in Herald's store is): serialised once for the line,
    // parsed again only when read, which is rare (start-up, replay).
    const put = (key: string, item: T): Promise<void> => {
      const text = JSON.stringify(item);
      records.set(key, text);
      const line = `{"c":${JSON.stringify(name)},"k":${JSON.stringify(key)},"v":${text}}\n`;
      this.track(name, key, line.length);
      return this.append(line, durablePuts);
    };
    const remove = (key: string): Promise<void> => {
      if (!records.has(key)) return Promise.resolve();
      records.delete(key);
      this.track(name, key, null);
      return this.append(`${JSON.stringify({ c: name, k: key, d: 1 })}\n`, durableDeletes);
    };
    return {
      get,
      list: (filter) => {
        const all = [...records.values()].map((text) => JSON.parse(text) as T);
        return filter ? all.filter(filter) : all;
      },
      put,
      delete: remove,
      update: async (key, fn) => {
        const next = fn(get(key));
        if (next === undefined) await remove(key);
        else await put(key, next);
        return next === undefined ? undefined : (JSON.parse(JSON.stringify(next)) as T);
      },
    };
  }

  /** Resolves when every mutation so far, lazy ones included, is on disk. */
  flush(): Promise<void> {
    if (this.pending.length > 0 && !this.scheduled && !this.closed) return this.schedule();
    return this.scheduled ?? this.writing;
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    await this.handle?.close();
    this.handle = null;
  }

  private records(name: string): Map<string, string> {
    let records = this.collections.get(name);
    if (!records) {
      records = new Map();
      this.collections.set(name, records);
    }
    return records;
  }

  private track(name: string, key: string, chars: number | null): void {
    const id = `${name}\u0000${key}`;
    this.liveChars -= this.sizes.get(id) ?? 0;
    if (chars === null) this.sizes.delete(id);
    else {
      this.sizes.set(id, chars);
      this.liveChars += chars;
    }
  }

  private append(line: string, durable: boolean): Promise<void> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    this.pending.push(line);
    if (durable) return this.schedule();
    this.lazyTimer ??= later(() => {
      this.lazyTimer = null;
      void this.flush().catch(() => undefined);
    }, LAZY_FLUSH_MS);
    this.lazyTimer.unref?.();
    return Promise.resolve();
  }

  private schedule(): Promise<void> {
    if (!this.scheduled) {
      this.scheduled = new Promise<void>((resolve, reject) => {
        defer(() => {
          const run = this.writing.catch(() => undefined).then(async () => {
            // Lines added while the previous flush was running join this one.
            this.scheduled = null;
            const chunk = this.pending.join('');
            this.pending = [];
            if (chunk.length > 0) await this.write(chunk);
          });
          this.writing = run;
          run.then(resolve, reject);
        });
      });
    }
    return this.scheduled;
  }

  private async write(chunk: string): Promise<void> {
    if (!this.handle) {
      await mkdir(dirname(this.path), { recursive: true });
      this.handle = await open(this.path, 'a', 0o600);
      await syncDirectory(dirname(this.path)); // the file's own entry must be durable too
    }
    this.flushes++;
    await this.handle.write(chunk);
    await this.handle.sync();
    this.charsSinceCompaction += chunk.length;
    if (this.charsSinceCompaction > Math.max(COMPACT_AFTER_CHARS, 2 * this.liveChars)) await this.compact();
  }

  /** Rewrites the journal with one line per live record (atomically: temp file, fsync, rename). */
  private async compact(): Promise<void> {
    const parts: string[] = [];
    for (const [name, records] of this.collections) {
      for (const [k, v] of records) parts.push(`{"c":${JSON.stringify(name)},"k":${JSON.stringify(k)},"v":${v}}\n`);
    }
    const text = parts.join('');
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    const handle = await open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await this.handle?.close();
    this.handle = null;
    await rename(tmp, this.path);
    await syncDirectory(dirname(this.path));
    this.charsSinceCompaction = text.length;
  }
}

async function syncDirectory(path: string): Promise<void> {
  try {
    const dir = await open(path, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    /* not supported on this platform */
  }
}
