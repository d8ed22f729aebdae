import { Low, Memory, type Adapter } from 'lowdb';
import { join } from 'node:path';
import type { ChatState } from '../model/chat.js';
import type { HistoryEntry } from '../model/history.js';
import type { InboxBatch, OutboxPost, PendingSummary } from '../model/inbox.js';
import type { Installation } from '../model/installation.js';
import type { SubscriptionRecord } from '../model/subscription.js';
import { AtomicJsonFile } from './AtomicJsonFile.js';
import { JournalFile } from './JournalFile.js';
import type { Collection, HeraldStore, HistoryLog, HistoryQuery, ResourceChangeLog, SeenKeys } from './HeraldStore.js';

interface StoreData {
  version: 1;
  installations: Record<string, Installation>;
  subscriptions: Record<string, SubscriptionRecord>;
  chats: Record<string, ChatState>;
  inbox: Record<string, InboxBatch>;
  outbox: Record<string, OutboxPost>;
  pendingSummaries: Record<string, PendingSummary>;
  history: Record<string, HistoryEntry[]>;
  seen: Record<string, string>;
  changeLogs: Record<string, ResourceChangeLog>;
}

type CollectionName = 'installations' | 'subscriptions' | 'chats' | 'inbox' | 'outbox' | 'pendingSummaries' | 'changeLogs';

const emptyData = (): StoreData => ({
  version: 1,
  installations: {},
  subscriptions: {},
  chats: {},
  inbox: {},
  outbox: {},
  pendingSummaries: {},
  history: {},
  seen: {},
  changeLogs: {},
});

// Captured at load so sinon fake timers installed by tests do not freeze storage writes.
const defer: (fn: () => void) => void = globalThis.setImmediate.bind(globalThis);

/** History kept per chat; older entries are dropped. */
export const HISTORY_LIMIT_PER_CHAT = 2000;

/**
 * The embedded store: one JSON document, written atomically. All mutations made in the same tick are
 * coalesced into one write, and each mutation's promise resolves once that write is on disk.
 */
export class LowdbStore implements HeraldStore {
  readonly installations: Collection<Installation>;
  readonly subscriptions: Collection<SubscriptionRecord>;
  readonly chats: Collection<ChatState>;
  readonly inbox: Collection<InboxBatch>;
  readonly outbox: Collection<OutboxPost>;
  readonly pendingSummaries: Collection<PendingSummary>;
  readonly history: HistoryLog;
  readonly seen: SeenKeys;
  readonly changeLogs: Collection<ResourceChangeLog>;

  private scheduled: Promise<void> | null = null;
  private writing: Promise<void> = Promise.resolve();
  private closed = false;
  /** Number of file writes performed (observability and tests of coalescing). */
  writes = 0;

  private constructor(
    private readonly db: Low<StoreData>,
    private readonly journal: JournalFile | null = null,
  ) {
    this.installations = this.collection('installations');
    this.subscriptions = this.collection('subscriptions');
    this.chats = this.collection('chats');
    // A processed batch whose removal is lost in a crash is replayed and deduplicated, and a lost change
    // log only lets a change of the last moments be handed on again: neither needs an fsync of its own.
    // Accepting a batch does (it is answered 202 only once stored).
    this.inbox = journal?.collection<InboxBatch>('inbox', { deletes: false }) ?? this.collection('inbox');
    this.outbox = this.collection('outbox');
    this.pendingSummaries = this.collection('pendingSummaries');
    this.history = this.historyLog();
    this.seen = this.seenKeys();
    this.changeLogs = journal?.collection<ResourceChangeLog>('changeLogs', { puts: false, deletes: false }) ?? this.collection('changeLogs');
  }

  static async open(adapter: Adapter<StoreData>): Promise<LowdbStore> {
    const db = new Low<StoreData>(adapter, emptyData());
    await db.read();
    db.data = { ...emptyData(), ...(db.data ?? {}) };
    return new LowdbStore(db);
  }

  /**
   * Herald's default: `<dataDir>/herald.json`, plus an append-only journal (`notifications.jsonl`) for the
   * two collections that change with every notification (inbox, change logs), so a notification costs a
   * few appended lines instead of a rewrite of the whole document.
   */
  static async openFile(dataDir: string): Promise<LowdbStore> {
    const db = new Low<StoreData>(new AtomicJsonFile<StoreData>(join(dataDir, 'herald.json')), emptyData());
    await db.read();
    db.data = { ...emptyData(), ...(db.data ?? {}) };
    const journal = await JournalFile.open(join(dataDir, 'notifications.jsonl'));
    const store = new LowdbStore(db, journal);
    // Records kept in the document by an earlier version move to the journal.
    const moved = [
      ...Object.entries(db.data.inbox).map(([key, batch]) => store.inbox.put(key, batch)),
      ...Object.entries(db.data.changeLogs).map(([key, log]) => store.changeLogs.put(key, log)),
    ];
    if (moved.length > 0) {
      await Promise.all(moved);
      await journal.flush();
      db.data.inbox = {};
      db.data.changeLogs = {};
      await store.persist();
    }
    return store;
  }

  /** Non-durable store for tests and benchmarks that do not exercise the disk. */
  static memory(): Promise<LowdbStore> {
    return LowdbStore.open(new Memory<StoreData>());
  }

  async flush(): Promise<void> {
    await Promise.all([this.scheduled ?? this.writing, this.journal?.flush()]);
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    await this.journal?.close();
  }

  private get data(): StoreData {
    return this.db.data;
  }

  private persist(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    if (!this.scheduled) {
      this.scheduled = new Promise<void>((resolve, reject) => {
        defer(() => {
          const run = this.writing.catch(() => undefined).then(async () => {
            // Group commit: mutations made while the previous write was running join this one.
            this.scheduled = null;
            this.writes++;
            await this.db.write();
          });
          this.writing = run;
          run.then(resolve, reject);
        });
      });
    }
    return this.scheduled;
  }

  private collection<T>(name: CollectionName): Collection<T> {
    const records = (): Record<string, T> => this.data[name] as unknown as Record<string, T>;
    return {
      get: (key) => {
        const item = records()[key];
        return item === undefined ? undefined : structuredClone(item);
      },
      list: (filter) => {
        const all = Object.values(records()).map((item) => structuredClone(item));
        return filter ? all.filter(filter) : all;
      },
      put: (key, item) => {
        records()[key] = structuredClone(item);
        return this.persist();
      },
      delete: (key) => {
        if (!(key in records())) return Promise.resolve();
        delete records()[key];
        return this.persist();
      },
      update: async (key, fn) => {
        const current = records()[key];
        const next = fn(current === undefined ? undefined : structuredClone(current));
        if (next === undefined) {
          if (current === undefined) return undefined;
          delete records()[key];
        } else {
          records()[key] = structuredClone(next);
        }
        await this.persist();
        return next === undefined ? undefined : structuredClone(next);
      },
    };
  }

  private historyLog(): HistoryLog {
    return {
      append: (entry) => {
        const list = (this.data.history[entry.chatId] ??= []);
        list.push(structuredClone(entry));
        if (list.length > HISTORY_LIMIT_PER_CHAT) list.splice(0, list.length - HISTORY_LIMIT_PER_CHAT);
        return this.persist();
      },
      list: (chatId, query: HistoryQuery = {}) => {
        const all = [...(this.data.history[chatId] ?? [])].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
        let start = 0;
        if (query.before) {
          const idx = all.findIndex((e) => e.id === query.before);
          start = idx >= 0 ? idx + 1 : 0;
        }
        const kinds = query.kinds && query.kinds.length > 0 ? new Set(query.kinds) : null;
        const filtered = all.slice(start).filter((e) => !kinds || kinds.has(e.kind));
        return structuredClone(filtered.slice(0, query.limit ?? 50));
      },
    };
  }

  private seenKeys(): SeenKeys {
    return {
      add: async (key, at) => {
        if (key in this.data.seen) return false;
        this.data.seen[key] = at.toISOString();
        await this.persist();
        return true;
      },
      has: (key) => key in this.data.seen,
      prune: async (before) => {
        const cutoff = before.toISOString();
        let removed = 0;
        for (const [key, at] of Object.entries(this.data.seen)) {
          if (at < cutoff) {
            delete this.data.seen[key];
            removed++;
          }
        }
        if (removed > 0) await this.persist();
        return removed;
      },
    };
  }
}
