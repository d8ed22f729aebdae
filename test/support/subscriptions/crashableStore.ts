/**
 * A HeraldStore in front of the real one that can "crash": from the chosen write on, nothing more
 * reaches the disk and no mutation resolves, as if the process had been killed right there. Reads keep
 * working so the dead instance's stray work stays harmless. Used to kill Herald at every step of the
 * processing of a batch and reopen the same DATA_DIR.
 *
 * The embedded store turns the mutations of one turn of the event loop into one write (HeraldStore's
 * contract), so a crash falls between writes: `before` is asked at the first mutation of each turn,
 * and a crash there loses that whole turn's mutations and everything after.
 */
import type { Collection, HeraldStore, HistoryLog, SeenKeys } from '../../../src/storage/HeraldStore.js';

/** One mutation, e.g. `chats.put chat-1`. */
export interface Mutation {
  collection: string;
  op: string;
  key: string;
}

export interface CrashableStore {
  store: HeraldStore;
  /** Called at the first mutation of every write (one turn); return true to crash there (it and all later ones are lost). */
  before: (first: Mutation) => boolean;
  readonly crashed: boolean;
  crash(): void;
}

// Captured at load so sinon fake timers do not freeze the store.
const defer: (fn: () => void) => void = globalThis.setImmediate.bind(globalThis);

const never = <T>(): Promise<T> => new Promise<T>(() => {});

export function crashable(inner: HeraldStore): CrashableStore {
  const control: CrashableStore = {
    store: undefined as unknown as HeraldStore,
    before: () => false,
    crashed: false,
    crash: () => void ((control as { crashed: boolean }).crashed = true),
  };
  // The first mutation of a turn decides for the whole turn: handed on as they come, or all lost.
  let turnOpen = false;
  const gate = <T>(mutation: Mutation, apply: () => Promise<T>): Promise<T> => {
    if (!control.crashed && !turnOpen) {
      turnOpen = true;
      defer(() => (turnOpen = false));
      if (control.before(mutation)) control.crash();
    }
    return control.crashed ? never() : apply();
  };
  const collection = <T>(name: string, c: Collection<T>): Collection<T> => ({
    get: (key) => c.get(key),
    list: (filter) => c.list(filter),
    put: (key, item) => gate({ collection: name, op: 'put', key }, () => c.put(key, item)),
    delete: (key) => gate({ collection: name, op: 'delete', key }, () => c.delete(key)),
    update: (key, fn) => gate({ collection: name, op: 'update', key }, () => c.update(key, fn)),
  });
  const history: HistoryLog = {
    append: (entry) => gate({ collection: 'history', op: 'append', key: entry.chatId }, () => inner.history.append(entry)),
    list: (chatId, query) => inner.history.list(chatId, query),
  };
  const seen: SeenKeys = {
    add: (key, at) => gate({ collection: 'seen', op: 'add', key }, () => inner.seen.add(key, at)),
    has: (key) => inner.seen.has(key),
    prune: (before) => gate({ collection: 'seen', op: 'prune', key: '' }, () => inner.seen.prune(before)),
  };
  control.store = {
    installations: collection('installations', inner.installations),
    subscriptions: collection('subscriptions', inner.subscriptions),
    chats: collection('chats', inner.chats),
    inbox: collection('inbox', inner.inbox),
    outbox: collection('outbox', inner.outbox),
    pendingSummaries: collection('pendingSummaries', inner.pendingSummaries),
    pendingCreations: collection('pendingCreations', inner.pendingCreations),
    changeLogs: collection('changeLogs', inner.changeLogs),
    history,
    seen,
    flush: () => (control.crashed ? Promise.resolve() : inner.flush()),
    close: () => (control.crashed ? Promise.resolve() : inner.close()),
  };
  return control;
}
