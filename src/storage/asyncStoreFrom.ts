import { KeyedQueue } from '../kernel/KeyedQueue.js';
import type { Collection, HeraldStore } from './HeraldStore.js';
import { inScope, RECORD_SHAPES, type RecordShape } from './recordShapes.js';
import type { AsyncCollection, Claimed, ClaimableCollection, StoreContract } from './StoreContract.js';

/** Work records (inbox batches, outbox posts) are stored under their `id`. */
interface WorkItem {
  id: string;
}

interface Lease {
  owner: string;
  until: number;
}

// Leases of the embedded store live in memory, shared by every adapter over the same store: one process
// is the only instance there, and after a restart nobody holds a lease, which is right (its holder died).
const leasesByStore = new WeakMap<HeraldStore, Map<string, Lease>>();
// Likewise the key locks: one process holds the embedded store, so an in-process queue per key is enough.
const locksByStore = new WeakMap<HeraldStore, KeyedQueue>();

/**
 * The embedded (lowdb) store seen through the asynchronous multi-instance contract. The wrapped store
 * stays usable directly; both views see the same records. Closing the adapter closes the store.
 */
export function asyncStoreFrom(store: HeraldStore): StoreContract {
  let leases = leasesByStore.get(store);
  if (!leases) leasesByStore.set(store, (leases = new Map()));
  const shared = leases;
  let locks = locksByStore.get(store);
  if (!locks) locksByStore.set(store, (locks = new KeyedQueue()));
  const queue = locks;
  return {
    kind: 'embedded',
    installations: asyncCollection(store.installations, RECORD_SHAPES.installations),
    subscriptions: asyncCollection(store.subscriptions, RECORD_SHAPES.subscriptions),
    chats: asyncCollection(store.chats, RECORD_SHAPES.chats),
    inbox: claimable(store.inbox, RECORD_SHAPES.inbox, 'inbox', shared),
    outbox: claimable(store.outbox, RECORD_SHAPES.outbox, 'outbox', shared),
    pendingSummaries: asyncCollection(store.pendingSummaries, RECORD_SHAPES.pendingSummaries),
    pendingCreations: asyncCollection(store.pendingCreations, RECORD_SHAPES.pendingCreations),
    changeLogs: asyncCollection(store.changeLogs, RECORD_SHAPES.changeLogs),
    history: {
      append: (entry) => store.history.append(entry),
      list: async (chatId, query) => store.history.list(chatId, query),
    },
    seen: {
      add: (key, at) => store.seen.add(key, at),
      has: async (key) => store.seen.has(key),
      prune: (before) => store.seen.prune(before),
    },
    locks: { run: (key, task) => queue.run(key, task) },
    health: async () => ({ kind: 'embedded', reachable: true, migrationVersion: null }),
    flush: () => store.flush(),
    close: () => store.close(),
  };
}

function asyncCollection<T>(collection: Collection<T>, shape: RecordShape<T>): AsyncCollection<T> {
  return {
    get: async (key) => collection.get(key),
    list: async (filter, scope) => collection.list((item) => inScope(shape, item, scope) && (!filter || filter(item))),
    put: (key, item) => collection.put(key, item),
    delete: (key) => collection.delete(key),
    update: (key, fn) => collection.update(key, fn),
  };
}

function claimable<T extends WorkItem>(collection: Collection<T>, shape: RecordShape<T>, name: string, leases: Map<string, Lease>): ClaimableCollection<T> {
  const base = asyncCollection(collection, shape);
  const leaseKey = (key: string) => `${name}\u0000${key}`;
  const heldBy = (key: string, owner: string) => leases.get(leaseKey(key))?.owner === owner;
  return {
    ...base,
    delete: async (key) => {
      leases.delete(leaseKey(key));
      await collection.delete(key);
    },
    // Runs in one tick: nothing else in this process can claim in between.
    claim: async ({ owner, at, leaseMs, limit }) => {
      const now = at.getTime();
      const iso = at.toISOString();
      const free = collection.list((item) => !shape.dueAt || shape.dueAt(item) <= iso);
      const entries = free
        .map((item) => ({ item, key: item.id }))
        .filter(({ key }) => {
          const lease = leases.get(leaseKey(key));
          return !lease || lease.until <= now;
        })
        .sort((a, b) => compare(shape.orderOf?.(a.item) ?? '', shape.orderOf?.(b.item) ?? '') || compare(a.key, b.key))
        .slice(0, limit);
      const until = now + leaseMs;
      return entries.map(({ key, item }): Claimed<T> => {
        leases.set(leaseKey(key), { owner, until });
        return { key, item, leasedUntil: new Date(until) };
      });
    },
    putClaimed: async (key, item, { owner, at, leaseMs }) => {
      const until = at.getTime() + leaseMs;
      // Leased before the write resolves: a claim in this process between the two must not take it.
      leases.set(leaseKey(key), { owner, until });
      await collection.put(key, item);
      return { key, item, leasedUntil: new Date(until) };
    },
    extend: async (key, { owner, at, leaseMs }) => {
      if (!heldBy(key, owner) || collection.get(key) === undefined) return false;
      leases.set(leaseKey(key), { owner, until: at.getTime() + leaseMs });
      return true;
    },
    release: async (key, owner) => {
      if (!heldBy(key, owner)) return false;
      leases.delete(leaseKey(key));
      return true;
    },
    complete: async (key, owner) => {
      if (!heldBy(key, owner)) return false;
      leases.delete(leaseKey(key));
      await collection.delete(key);
      return true;
    },
  };
}


function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
