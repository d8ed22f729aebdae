import { Low, type Adapter } from 'lowdb';
import type { ChatState } from '../model/chat.js';
import type { HistoryEntry } from '../model/history.js';
import type { InboxBatch, OutboxPost, PendingSummary } from '../model/inbox.js';
import type { Installation } from '../model/installation.js';
import type { PendingCreationRecord, SubscriptionRecord } from '../model/subscription.js';
import type { Collection, HeraldStore, HistoryLog, ResourceChangeLog, SeenKeys } from './HeraldStore.js';
import { appendCapped, queryHistory } from './historyQuery.js';
import { recordCollection } from './recordCollection.js';

/** The whole store as one document (Herald's file format before the log store; lowdb adapters still use it). */
export interface StoreDocument {
  version: 1;
  installations: Record<string, Installation>;
  subscriptions: Record<string, SubscriptionRecord>;
  chats: Record<string, ChatState>;
  inbox: Record<string, InboxBatch>;
  outbox: Record<string, OutboxPost>;
  pendingSummaries: Record<string, PendingSummary>;
  pendingCreations: Record<string, PendingCreationRecord>;
  history: Record<string, HistoryEntry[]>;
  seen: Record<string, string>;
  changeLogs: Record<string, ResourceChangeLog>;
}

export type DocumentCollection = 'installations' | 'subscriptions' | 'chats' | 'inbox' | 'outbox' | 'pendingSummaries' | 'pendingCreations' | 'changeLogs';

export const emptyDocument = (): StoreDocument => ({
  version: 1,
  installations: {},
  subscriptions: {},
  chats: {},
  inbox: {},
  outbox: {},
  pendingSummaries: {},
  pendingCreations: {},
  history: {},
  seen: {},
  changeLogs: {},
});

// Captured at load so sinon fake timers installed by tests do not freeze storage writes.
const defer: (fn: () => void) => void = globalThis.setImmediate.bind(globalThis);

/**
 * A store kept as one document behind a lowdb adapter (in memory for tests, or any adapter). Every
 * mutation writes the whole document, so this suits small stores only; Herald's file store is the log
 * store. All mutations made in the same tick are coalesced into one write, and each mutation's promise
 * resolves once that write is done.
 */
export class DocumentStore implements HeraldStore {
  readonly installations: Collection<Installation>;
  readonly subscriptions: Collection<SubscriptionRecord>;
  readonly chats: Collection<ChatState>;
  readonly inbox: Collection<InboxBatch>;
  readonly outbox: Collection<OutboxPost>;
  readonly pendingSummaries: Collection<PendingSummary>;
  readonly pendingCreations: Collection<PendingCreationRecord>;
  readonly history: HistoryLog;
  readonly seen: SeenKeys;
  readonly changeLogs: Collection<ResourceChangeLog>;

  private scheduled: Promise<void> | null = null;
  private writing: Promise<void> = Promise.resolve();
  private closed = false;
  /** Number of document writes performed (observability and tests of coalescing). */
  writes = 0;

  private constructor(private readonly db: Low<StoreDocument>) {
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
        appendCapped((this.data.history[entry.chatId] ??= []), structuredClone(entry));
        return this.persist();
      },
      list: (chatId, query) => queryHistory(this.data.history[chatId] ?? [], query),
    };
    this.seen = this.seenKeys();
  }

  static async open(adapter: Adapter<StoreDocument>): Promise<DocumentStore> {
    const db = new Low<StoreDocument>(adapter, emptyDocument());
    await db.read();
    db.data = { ...emptyDocument(), ...(db.data ?? {}) };
    return new DocumentStore(db);
  }

  async flush(): Promise<void> {
    await (this.scheduled ?? this.writing);
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  private get data(): StoreDocument {
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

  private collection<T>(name: DocumentCollection): Collection<T> {
    const records = (): Record<string, T> => this.data[name] as unknown as Record<string, T>;
    return recordCollection<T>({
      read: (key) => records()[key],
      all: () => Object.values(records()),
      write: (key, item) => {
        records()[key] = structuredClone(item);
        return this.persist();
      },
      remove: (key) => {
        if (!(key in records())) return Promise.resolve();
        delete records()[key];
        return this.persist();
      },
    });
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
