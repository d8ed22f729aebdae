import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { journalPath, syncDirectory } from './LogFiles.js';

// Captured at load so sinon fake timers installed by tests do not freeze storage writes.
const defer: (fn: () => void) => void = globalThis.setImmediate.bind(globalThis);
const later: (fn: () => void, ms: number) => { unref?(): void } = globalThis.setTimeout.bind(globalThis);

/** Lazy lines reach the disk at the latest this long after they were appended. */
const LAZY_FLUSH_MS = 1000;

/** Ends the current segment: lines queued before it stay in it, lines after go to the next one. */
interface Seal {
  sealed: (segment: number) => void;
  failed: (error: unknown) => void;
}

/**
 * The journal's writing end: lines are appended to the current segment file. Durable lines resolve
 * once fsynced; lines appended in the same tick or while a write runs share one write and one fsync
 * (group commit). Lazy lines resolve at once and go, in order, with the next write (within
 * LAZY_FLUSH_MS): all lines share one queue, so a lazy line never reaches the disk before the lines
 * appended ahead of it, nor after those appended behind it.
 */
export class AppendLog {
  private handle: FileHandle | null = null;
  private queue: Array<string | Seal> = [];
  private scheduled: Promise<void> | null = null;
  private writing: Promise<void> = Promise.resolve();
  private lazyTimer: { unref?(): void } | null = null;
  private closed = false;
  /** fsynced writes performed (observability and tests of group commit). */
  commits = 0;
  /** Bytes handed to the journal files (observability, benchmarks). */
  bytesWritten = 0;
  /** Characters appended since the last snapshot (compaction decides on it). */
  charsSinceSnapshot = 0;

  constructor(
    private readonly dir: string,
    private segment: number,
  ) {}

  append(line: string, durable: boolean): Promise<void> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    this.queue.push(line);
    this.charsSinceSnapshot += line.length;
    if (durable) return this.schedule();
    this.lazyTimer ??= later(() => {
      this.lazyTimer = null;
      void this.flush().catch(() => undefined);
    }, LAZY_FLUSH_MS);
    this.lazyTimer.unref?.();
    return Promise.resolve();
  }

  /**
   * Starts a new segment for every line appended from now on; resolves with the number of the last
   * segment holding the lines appended before, once those are on disk.
   */
  seal(): Promise<number> {
    return new Promise<number>((sealed, failed) => {
      this.queue.push({ sealed, failed });
      this.schedule().catch(failed);
    });
  }

  /** Resolves when every line so far, lazy ones included, is on disk. */
  flush(): Promise<void> {
    if (this.queue.length > 0 && !this.scheduled && !this.closed) return this.schedule();
    return this.scheduled ?? this.writing;
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    await this.handle?.close();
    this.handle = null;
  }

  private schedule(): Promise<void> {
    if (!this.scheduled) {
      this.scheduled = new Promise<void>((resolve, reject) => {
        defer(() => {
          const run = this.writing.catch(() => undefined).then(async () => {
            // Lines added while the previous write was running join this one.
            this.scheduled = null;
            const queue = this.queue;
            this.queue = [];
            await this.commit(queue);
          });
          this.writing = run;
          run.then(resolve, reject);
        });
      });
    }
    return this.scheduled;
  }

  private async commit(queue: Array<string | Seal>): Promise<void> {
    try {
      let lines: string[] = [];
      for (const item of queue) {
        if (typeof item === 'string') {
          lines.push(item);
          continue;
        }
        await this.write(lines.join(''));
        lines = [];
        await this.handle?.close();
        this.handle = null;
        item.sealed(this.segment);
        this.segment++;
      }
      await this.write(lines.join(''));
    } catch (error) {
      for (const item of queue) if (typeof item !== 'string') item.failed(error);
      throw error;
    }
  }

  private async write(chunk: string): Promise<void> {
    if (chunk.length === 0) return;
    try {
      if (!this.handle) {
        await mkdir(this.dir, { recursive: true });
        this.handle = await open(journalPath(this.dir, this.segment), 'a', 0o600);
        await syncDirectory(this.dir); // the file's own entry must be durable too
      }
      this.commits++;
      this.bytesWritten += Buffer.byteLength(chunk);
      await this.handle.write(chunk);
      await this.handle.sync();
    } catch (error) {
      // A failed write may have left part of a line: later lines go to a new segment, so that part stays
      // a torn last line (ignored on open) instead of damaging the middle of a file.
      await this.handle?.close().catch(() => undefined);
      this.handle = null;
      this.segment++;
      throw error;
    }
  }
}
