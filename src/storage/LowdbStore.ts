import { Memory, type Adapter } from 'lowdb';
import type { ChatState } from '../model/chat.js';
import type { InboxBatch, OutboxPost, PendingSummary } from '../model/inbox.js';
import type { Installation } from '../model/installation.js';
import type { PendingCreationRecord, SubscriptionRecord } from '../model/subscription.js';
import { DocumentStore, type StoreDocument } from './DocumentStore.js';
import type { Collection, HeraldStore, HistoryLog, ResourceChangeLog, SeenKeys } from './HeraldStore.js';
import { LogStore } from './log/LogStore.js';

export { HISTORY_LIMIT_PER_CHAT } from './historyQuery.js';

type Engine = HeraldStore & { readonly writes: number };

/**
 * Herald's embedded store. `openFile` is the default (`DATA_DIR`): a journal of appended lines with
 * background snapshots (see log/LogStore), whose cost per event does not grow with the store. `memory`
 * and `open` keep the whole state as one lowdb document, for tests and small tools.
 */
export class LowdbStore implements HeraldStore {
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

  private constructor(private readonly engine: Engine) {
    this.installations = engine.installations;
    this.subscriptions = engine.subscriptions;
    this.chats = engine.chats;
    this.inbox = engine.inbox;
    this.outbox = engine.outbox;
    this.pendingSummaries = engine.pendingSummaries;
    this.pendingCreations = engine.pendingCreations;
    this.history = engine.history;
    this.seen = engine.seen;
    this.changeLogs = engine.changeLogs;
  }

  /** A store kept as one document behind any lowdb adapter. */
  static async open(adapter: Adapter<StoreDocument>): Promise<LowdbStore> {
    return new LowdbStore(await DocumentStore.open(adapter));
  }

  /**
   * Herald's default: `<dataDir>/store/` (journal segments and snapshots). A DATA_DIR of an earlier
   * version (`herald.json`, `notifications.jsonl`) is migrated on first open.
   */
  static async openFile(dataDir: string): Promise<LowdbStore> {
    return new LowdbStore(await LogStore.open(dataDir));
  }

  /** Non-durable store for tests and benchmarks that do not exercise the disk. */
  static memory(): Promise<LowdbStore> {
    return LowdbStore.open(new Memory<StoreDocument>());
  }

  /** Writes performed: document writes, or fsynced journal writes (observability and tests of coalescing). */
  get writes(): number {
    return this.engine.writes;
  }

  flush(): Promise<void> {
    return this.engine.flush();
  }

  close(): Promise<void> {
    return this.engine.close();
  }
}
