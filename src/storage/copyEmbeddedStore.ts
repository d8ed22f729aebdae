import type { HistoryEntry } from '../model/history.js';
import { readSeenAndHistoryChats } from './embeddedStoreFiles.js';
import type { Collection, HeraldStore } from './HeraldStore.js';
import { HISTORY_LIMIT_PER_CHAT } from './LowdbStore.js';
import type { AsyncCollection, StoreContract } from './StoreContract.js';

export interface CopyReport {
  installations: number;
  subscriptions: number;
  chats: number;
  inbox: number;
  outbox: number;
  pendingSummaries: number;
  pendingCreations: number;
  changeLogs: number;
  history: number;
  seen: number;
}

/**
 * What HeraldStore cannot enumerate (it has no "all seen keys" nor "all chats with history"), read
 * from the embedded store's files (either format); empty when there are none.
 */
export interface EmbeddedExtras {
  seen: Record<string, string>;
  historyChats: string[];
}

export async function readEmbeddedExtras(dataDir: string): Promise<EmbeddedExtras> {
  return readSeenAndHistoryChats(dataDir);
}

/**
 * Copies everything in an embedded store into `to` (PostgreSQL), for a team moving from one instance
 * to several. Herald must be stopped meanwhile. Running it again is harmless: records are upserted,
 * history entries and seen keys already present are skipped. Work items arrive unleased.
 */
export async function copyEmbeddedStore(from: HeraldStore, extras: EmbeddedExtras, to: StoreContract): Promise<CopyReport> {
  const copy = async <T>(source: Collection<T>, target: AsyncCollection<T>, keyOf: (item: T) => string): Promise<number> => {
    const items = source.list();
    for (const item of items) await target.put(keyOf(item), item);
    return items.length;
  };
  const report: CopyReport = {
    installations: await copy(from.installations, to.installations, (i) => i.chatId),
    subscriptions: await copy(from.subscriptions, to.subscriptions, (s) => s.id),
    chats: await copy(from.chats, to.chats, (c) => c.chatId),
    inbox: await copy(from.inbox, to.inbox, (b) => b.id),
    outbox: await copy(from.outbox, to.outbox, (p) => p.id),
    pendingSummaries: await copy(from.pendingSummaries, to.pendingSummaries, (s) => s.chatId),
    pendingCreations: await copy(from.pendingCreations, to.pendingCreations, (p) => p.key),
    changeLogs: await copy(from.changeLogs, to.changeLogs, (l) => l.key),
    history: 0,
    seen: 0,
  };
  const chats = new Set([...extras.historyChats, ...from.installations.list().map((i) => i.chatId), ...from.chats.list().map((c) => c.chatId)]);
  for (const chatId of chats) {
    for (const entry of appendOrder(from.history.list(chatId, { limit: HISTORY_LIMIT_PER_CHAT }))) {
      await to.history.append(entry);
      report.history++;
    }
  }
  for (const [key, at] of Object.entries(extras.seen)) {
    await to.seen.add(key, new Date(at));
    report.seen++;
  }
  return report;
}

/**
 * History comes newest first, entries of one time in the order they were appended; appending oldest
 * first with that tie order kept reproduces the same listing in the target.
 */
function appendOrder(newestFirst: HistoryEntry[]): HistoryEntry[] {
  return newestFirst
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => (a.entry.at < b.entry.at ? -1 : a.entry.at > b.entry.at ? 1 : a.index - b.index))
    .map(({ entry }) => entry);
}
