import { mkdir, open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Collection } from './HeraldStore.js';

/** One line of a journal: the record's new value, or its deletion. */
type JournalLine<T> = { k: string; v: T } | { k: string; d: 1 };

// Captured at load so sinon fake timers installed by tests do not freeze storage writes.
const defer: (fn: () => void) => void = globalThis.setImmediate.bind(globalThis);

export interface JournalOptions {
  /**
   * Deletions resolve at once and are written with the next flush instead of forcing one. For records
   * whose deletion only saves work (a processed inbox batch): after a crash the record comes back and is
   * handled again, idempotently.
   */
  lazyDeletes?: boolean;
}

/** Rewrite the journal once it has grown this much beyond its live records. */
const COMPACT_AFTER_BYTES = 8 * 1024 * 1024;

/**
 * A collection kept as an append-only journal of JSON lines (`{k, v}` to set, `{k, d: 1}` to delete),
 * for records that change often and would otherwise cost a rewrite of the whole lowdb document on
 * every change (the notification inbox holds whole request bodies; change logs grow with traffic).
 *
 * Every mutation resolves once its line is fsynced; lines written in the same tick or while a flush is
 * running share one write and one fsync (group commit). On open the journal is replayed; a torn last
 * line from a crash is ignored (its mutation had not resolved). When the journal has grown well beyond
 * its live records it is rewritten (temp file, fsync, rename).
 */
export class JournalCollection<T> implements Collection<T> {
  /** Live records as JSON text: serialised once for the journal line, parsed again only when read (rare). */
  private readonly records = new Map<string, string>();
  /** Bytes of each live record's line, to know when the journal is mostly dead lines. */
  private readonly sizes = new Map<string, number>();
  private liveBytes = 0;
  private handle: FileHandle | null = null;
  private pending: string[] = [];
  private scheduled: Promise<void> | null = null;
  private writing: Promise<void> = Promise.resolve();
  private bytesSinceCompaction = 0;
  private closed = false;
  /** Appends performed (observability and tests of group commit). */
  flushes = 0;

  private constructor(
    private readonly path: string,
    private readonly options: JournalOptions,
  ) {}

  static async open<T>(path: string, options: JournalOptions = {}): Promise<JournalCollection<T>> {
    const journal = new JournalCollection<T>(path, options);
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const lines = text.split('\n').filter((line) => line.length > 0);
    lines.forEach((line, index) => {
      let entry: JournalLine<T>;
      try {
        entry = JSON.parse(line) as JournalLine<T>;
      } catch (error) {
        if (index === lines.length - 1) return; // torn by a crash mid-append: that mutation never resolved
        throw new Error(`journal ${path} is corrupt at line ${index + 1}`, { cause: error });
      }
      if ('v' in entry) journal.records.set(entry.k, JSON.stringify(entry.v));
      else journal.records.delete(entry.k);
      journal.track(entry.k, 'v' in entry ? line.length + 1 : null);
    });
    journal.bytesSinceCompaction = text.length;
    if (lines.length > journal.records.size) await journal.compact();
    return journal;
  }

  get(key: string): T | undefined {
    const text = this.records.get(key);
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }

  list(filter?: (item: T) => boolean): T[] {
    const all = [...this.records.values()].map((text) => JSON.parse(text) as T);
    return filter ? all.filter(filter) : all;
  }

  /** Records must be plain JSON data (as everything in Herald's store is). */
  put(key: string, item: T): Promise<void> {
    const text = JSON.stringify(item);
    this.records.set(key, text);
    return this.append(key, `{"k":${JSON.stringify(key)},"v":${text}}\n`, true);
  }

  delete(key: string): Promise<void> {
    if (!this.records.has(key)) return Promise.resolve();
    this.records.delete(key);
    const line = `${JSON.stringify({ k: key, d: 1 })}\n`;
    if (this.options.lazyDeletes && !this.closed) {
      // Rides along with the next flush; lost only in a crash, which brings the record back.
      this.track(key, null);
      this.pending.push(line);
      return Promise.resolve();
    }
    return this.append(key, line, false);
  }

  async update(key: string, fn: (current: T | undefined) => T | undefined): Promise<T | undefined> {
    const next = fn(this.get(key));
    if (next === undefined) await this.delete(key);
    else await this.put(key, next);
    return next === undefined ? undefined : structuredClone(next);
  }

  /** Resolves when every mutation so far is on disk. */
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

  private track(key: string, bytes: number | null): void {
    this.liveBytes -= this.sizes.get(key) ?? 0;
    if (bytes === null) this.sizes.delete(key);
    else {
      this.sizes.set(key, bytes);
      this.liveBytes += bytes;
    }
  }

  private append(key: string, text: string, live: boolean): Promise<void> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    this.track(key, live ? text.length : null);
    this.pending.push(text);
    return this.schedule();
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
            await this.write(chunk);
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
    this.bytesSinceCompaction += chunk.length;
    if (this.bytesSinceCompaction > Math.max(COMPACT_AFTER_BYTES, 2 * this.liveBytes)) await this.compact();
  }

  /** Rewrites the journal with one line per live record (atomically: temp file, fsync, rename). */
  private async compact(): Promise<void> {
    const text = [...this.records].map(([k, v]) => `{"k":${JSON.stringify(k)},"v":${v}}\n`).join('');
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
    this.bytesSinceCompaction = text.length;
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
