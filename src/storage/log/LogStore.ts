import { join } from 'node:path';
import type { ChatState } from '../../model/chat.js';
import type { InboxBatch, OutboxPost, PendingSummary } from '../../model/inbox.js';
import type { Installation } from '../../model/installation.js';
import type { PendingCreationRecord, SubscriptionRecord } from '../../model/subscription.js';
import type { Collection, HeraldStore, HistoryLog, ResourceChangeLog, SeenKeys } from '../HeraldStore.js';
import { queryHistory } from '../historyQuery.js';
import { recordCollection } from '../recordCollection.js';
import { AppendLog } from './AppendLog.js';
import { readLegacyDataDir, retireLegacyFiles } from './legacyDataDir.js';
import { journalPath, listGenerations, readLines, removeFiles, snapshotPath, STORE_DIR, writeSnapshot } from './LogFiles.js';
import { deleteLine, historyLine, LogTables, putLine, type LogLine } from './LogTables.js';

export interface LogStoreOptions {
  /** Fold the journal into a new snapshot once it is this many times the last snapshot's size (default 2)... */
  compactRatio?: number;
  /** ...and at least this many characters (default 8 MiB: small stores are not rewritten every few events). */
  compactMinChars?: number;
}

/**
 * Which mutations wait for their own fsync; the others ride along with the next write (within a
 * second). A processed batch whose removal is lost in a crash is replayed and deduplicated, and a lost
 * change log only lets a change of the last moments be handed on again. Accepting a batch is durable
 * (it is answered 202 only once stored).
 */
const LAZY: Record<string, { puts: boolean; deletes: boolean }> = {
  inbox: { puts: false, deletes: true },
  changeLogs: { puts: true, deletes: true },
};

/**
 * The embedded file store: the state lives in memory and every mutation appends one line to a journal
 * (group commit: one write and one fsync per tick), so an event costs the size of what it changed,
 * whatever the size of the store or of a chat's history. When the journal has grown to `compactRatio`
 * times the last snapshot, a new snapshot is written in the background from a point-in-time copy,
 * a chunk at a time, while appends go on to a new segment; the segments it covers are then deleted.
 */
export class LogStore implements HeraldStore {
  readonly installations: Collection<Installation>;
  readonly subscriptions: Collection<SubscriptionRecord>;
  readonly chats: Collection<ChatState>;
  readonly inbox: Collection<InboxBatch>;
  readonly outbox: Collection<OutboxPost>;
  readonly pendingSummaries: Collection<PendingSummary>;
  readonly pendingCreations: Collection<PendingCreationRecord>;
  readonly changeLogs: Collection<ResourceChangeLog>;
  readonly history: HistoryLog;
  readonly seen: SeenKeys;

  private compaction: Promise<void> | null = null;
  /** A failed compaction is retried only once the journal has grown this far (no retry storm on a full disk). */
  private retryAtChars = 0;
  private closed = false;
  /** Snapshots written since open (observability and tests of compaction). */
  compactions = 0;
  private snapshotBytes = 0;

  private constructor(
    private readonly dir: string,
    private readonly tables: LogTables,
    private readonly log: AppendLog,
    private snapshotChars: number,
    private readonly compactRatio: number,
    private readonly compactMinChars: number,
  ) {
    this.installations = this.collection('installations');
    this.subscriptions = this.collection('subscriptions');
    this.chats = this.collection('chats');
    this.inbox = this.collection('inbox');
    this.outbox = this.collection('outbox');
    this.pendingSummaries = this.collection('pendingSummaries');
    this.pendingCreations = this.collection('pendingCreations');
    this.changeLogs = this.collection('changeLogs');
    this.history = {
      append: (entry) => {
        const json = JSON.stringify(entry);
        return this.mutate(historyLine(json), true, () => this.tables.appendHistory(JSON.parse(json)));
      },
      list: (chatId, query) => queryHistory(this.tables.history.get(chatId) ?? [], query),
    };
    this.seen = this.seenKeys();
  }

  /**
   * Opens `<dataDir>/store/`: the newest snapshot, then the journal segments after it. A DATA_DIR of
   * an earlier version (herald.json and notifications.jsonl) is migrated first: its content becomes
   * snapshot 0 and the old files are kept aside as `*.migrated`.
   */
  static async open(dataDir: string, options: LogStoreOptions = {}): Promise<LogStore> {
    const dir = join(dataDir, STORE_DIR);
    const loaded = await LogStore.load(dataDir);
    let { snapshotChars } = loaded;
    if (loaded.legacy.length > 0) {
      snapshotChars = (await writeSnapshot(dir, 0, loaded.tables.snapshot())).chars;
      await retireLegacyFiles(dataDir, loaded.legacy);
    }
    await removeFiles(dir, loaded.found.leftovers);
    // Always a new segment: the last one may end in a torn line, which must stay its last.
    const log = new AppendLog(dir, Math.max(loaded.found.snapshot ?? 0, ...loaded.found.journals) + 1);
    log.charsSinceSnapshot = loaded.journalChars;
    const store = new LogStore(dir, loaded.tables, log, snapshotChars, options.compactRatio ?? 2, options.compactMinChars ?? 8 * 1024 * 1024);
    store.compactIfDue();
    return store;
  }

  /** The state in `<dataDir>` (either format), read without changing any file (Herald stopped; tools). */
  static async read(dataDir: string): Promise<LogTables> {
    return (await LogStore.load(dataDir)).tables;
  }

  private static async load(dataDir: string) {
    const dir = join(dataDir, STORE_DIR);
    const tables = new LogTables();
    const apply = (line: LogLine) => tables.apply(line);
    const found = await listGenerations(dir);
    let legacy: string[] = [];
    let snapshotChars = 0;
    let journalChars = 0;
    if (found.snapshot === null && found.journals.length === 0) legacy = await readLegacyDataDir(dataDir, tables);
    else if (found.snapshot !== null) snapshotChars = await readLines(snapshotPath(dir, found.snapshot), apply, { tornTail: false });
    for (const n of found.journals) journalChars += await readLines(journalPath(dir, n), apply, { tornTail: true });
    return { tables, found, legacy, snapshotChars, journalChars };
  }

  /** Bytes written to the journal and to snapshots since open (observability, benchmarks). */
  get bytesWritten(): number {
    return this.log.bytesWritten + this.snapshotBytes;
  }

  /** fsynced journal writes performed (observability and tests of group commit). */
  get writes(): number {
    return this.log.commits;
  }

  async flush(): Promise<void> {
    await this.log.flush();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    await this.compaction;
    await this.log.close();
  }

  /** Resolves when a running compaction is over (tests, benchmarks). */
  async compacted(): Promise<void> {
    await this.compaction;
  }

  /** Changes memory with `apply` and appends `line` for it; resolves once durable (or at once, lazy). */
  private mutate(line: string, durable: boolean, apply: () => void): Promise<void> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    apply();
    const written = this.log.append(line, durable);
    this.compactIfDue();
    return written;
  }

  private compactIfDue(): void {
    const chars = this.log.charsSinceSnapshot;
    if (this.compaction || this.closed || chars < this.retryAtChars) return;
    if (chars < Math.max(this.compactMinChars, this.compactRatio * this.snapshotChars)) return;
    this.compaction = this.compact()
      .catch(() => {
        // The journal stays as it is (nothing is lost); try again once it has grown some more.
        this.retryAtChars = this.log.charsSinceSnapshot + this.compactMinChars;
      })
      .finally(() => {
        this.compaction = null;
      });
  }

  private async compact(): Promise<void> {
    // Both in the same tick: the copy holds exactly the lines before the seal.
    const lines = this.tables.snapshot();
    const sealed = this.log.seal();
    const covered = this.log.charsSinceSnapshot;
    const written = await writeSnapshot(this.dir, sealed, lines);
    this.snapshotChars = written.chars;
    this.snapshotBytes += written.bytes;
    this.log.charsSinceSnapshot -= covered;
    this.compactions++;
    await removeFiles(this.dir, (await listGenerations(this.dir)).leftovers);
  }

  private collection<T>(name: string): Collection<T> {
    const table = this.tables.table(name) as Map<string, T>;
    const lazy = LAZY[name] ?? { puts: false, deletes: false };
    return recordCollection<T>({
      read: (key) => table.get(key),
      all: () => table.values(),
      write: (key, item) => {
        // Serialised once, for the line; the stored copy is parsed from it, so memory holds exactly what a replay would.
        const json = JSON.stringify(item);
        return this.mutate(putLine(name, key, json), !lazy.puts, () => table.set(key, JSON.parse(json) as T));
      },
      remove: (key) => (table.has(key) ? this.mutate(deleteLine(name, key), !lazy.deletes, () => table.delete(key)) : Promise.resolve()),
    });
  }

  private seenKeys(): SeenKeys {
    const seen = this.tables.table('seen') as Map<string, string>;
    return {
      add: async (key, at) => {
        if (seen.has(key)) return false;
        const iso = at.toISOString();
        await this.mutate(putLine('seen', key, JSON.stringify(iso)), true, () => seen.set(key, iso));
        return true;
      },
      has: (key) => seen.has(key),
      prune: async (before) => {
        const cutoff = before.toISOString();
        const gone = [...seen].filter(([, at]) => at < cutoff).map(([key]) => key);
        if (gone.length === 0) return 0;
        // One batch of lines: one write for the whole prune.
        await this.mutate(gone.map((key) => deleteLine('seen', key)).join(''), true, () => gone.forEach((key) => seen.delete(key)));
        return gone.length;
      },
    };
  }
}
