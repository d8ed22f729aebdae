/**
 * A Store in front of the real one that can "crash": from the chosen write on, nothing more reaches the
 * disk and no operation resolves (reads included), as if the process had been killed right there. Used
 * to kill Herald at every step of the processing of a batch and reopen the same DATA_DIR.
 *
 * `before` is asked at the first mutation of each turn of the event loop, and a crash there loses that
 * whole turn's mutations and everything after: the crash points fall between the turns of Herald's work.
 */
import type { Store, StoreData } from '../../../src/storage/Store.js';

/** One mutation, e.g. `chats.put chat-1`. */
export interface Mutation {
  collection: string;
  op: string;
  key: string;
}

export interface CrashableStore {
  store: Store;
  /** Called at the first mutation of every turn; return true to crash there (it and all later ones are lost). */
  before: (first: Mutation) => boolean;
  readonly crashed: boolean;
  crash(): void;
}

const MUTATIONS = new Set(['put', 'putMany', 'delete', 'update', 'append', 'appendMany', 'add', 'prune', 'claim', 'putClaimed', 'extend', 'release', 'complete', 'beat', 'gone']);

// Captured at load so sinon fake timers do not freeze the store.
const defer: (fn: () => void) => void = globalThis.setImmediate.bind(globalThis);

const never = <T>(): Promise<T> => new Promise<T>(() => {});

export function crashable(inner: Store): CrashableStore {
  const control: CrashableStore = {
    store: undefined as unknown as Store,
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
  const wrap = <C extends object>(name: string, collection: C): C => {
    const out: Record<string, unknown> = {};
    for (const [op, value] of Object.entries(collection)) {
      if (typeof value !== 'function') continue;
      const fn = value as (...args: unknown[]) => Promise<unknown>;
      out[op] = MUTATIONS.has(op)
        ? (...args: unknown[]) => gate({ collection: name, op, key: keyOf(name, op, args) }, () => fn(...args))
        : (...args: unknown[]) => (control.crashed ? never() : fn(...args));
    }
    return out as C;
  };
  const data = (source: StoreData): StoreData => ({
    installations: wrap('installations', source.installations),
    subscriptions: wrap('subscriptions', source.subscriptions),
    chats: wrap('chats', source.chats),
    inbox: wrap('inbox', source.inbox),
    outbox: wrap('outbox', source.outbox),
    pendingSummaries: wrap('pendingSummaries', source.pendingSummaries),
    pendingCreations: wrap('pendingCreations', source.pendingCreations),
    changeLogs: wrap('changeLogs', source.changeLogs),
    history: wrap('history', source.history),
    seen: wrap('seen', source.seen),
    instances: wrap('instances', source.instances),
  });
  control.store = {
    ...data(inner),
    kind: inner.kind,
    locks: inner.locks,
    ...(inner.certificates ? { certificates: inner.certificates } : {}),
    transaction: (fn) => gate({ collection: 'store', op: 'transaction', key: '' }, () => inner.transaction((tx) => fn(data(tx)))),
    lockedTransaction: (key, fn) => gate({ collection: 'store', op: 'transaction', key }, () => inner.lockedTransaction(key, (tx) => fn(data(tx)))),
    health: () => inner.health(),
    flush: () => (control.crashed ? Promise.resolve() : inner.flush()),
    close: () => (control.crashed ? Promise.resolve() : inner.close()),
  };
  return control;
}

function keyOf(collection: string, op: string, args: unknown[]): string {
  const [first] = args;
  if (typeof first === 'string') return first;
  if (collection === 'history' && first && typeof first === 'object') return String((first as { chatId?: unknown }).chatId ?? '');
  return op === 'claim' ? '' : '';
}
