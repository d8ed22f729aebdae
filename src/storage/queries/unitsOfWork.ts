import type { StoreData } from '../Store.js';

/**
 * How an engine applies units of work: a `store.transaction`, or one write made outside any (each
 * `put`, `claim`, `append`…). By default each is its own transaction; the embedded engine instead
 * commits concurrent units together (sqlite/GroupCommit), one fsync for many.
 */
export interface UnitsOfWork {
  /** Applies `work` as one unit (all its writes or none); resolves once they are durable. */
  run<T>(operation: string, work: (tx: StoreData) => Promise<T>): Promise<T>;
  /** Resolves when every unit handed in so far has been applied or refused. */
  idle(): Promise<void>;
}

type Kind = 'read' | 'write';

/**
 * Every method of the store's collections, read or write. Typed so that a method added to the Store
 * interface does not compile until it is classified here: a write left out would bypass the units.
 */
const RECORDS = { get: 'read', getMany: 'read', put: 'write', putMany: 'write', delete: 'write', update: 'write' } as const;
const WORK = { ...RECORDS, claim: 'write', putClaimed: 'write', extend: 'write', release: 'write', complete: 'write', count: 'read' } as const;
export const METHOD_KINDS: { [C in keyof StoreData]: { [M in keyof StoreData[C]]-?: Kind } } = {
  installations: { ...RECORDS, installed: 'read', countInstalled: 'read' },
  subscriptions: { ...RECORDS, all: 'read', ofChat: 'read', tenantWide: 'read', ofTenant: 'read', forSpec: 'read', tenants: 'read', notOnCertificate: 'read', anyOnCertificate: 'read', counts: 'read' },
  chats: { ...RECORDS, installedWithProblem: 'read', withTenantProblem: 'read' },
  inbox: WORK,
  outbox: { ...WORK, ofChat: 'read', idsByChat: 'read' },
  pendingSummaries: { ...RECORDS, all: 'read', count: 'read' },
  pendingCreations: { ...RECORDS, ofTenant: 'read' },
  changeLogs: { ...RECORDS, keysWithChangesBefore: 'read' },
  history: { append: 'write', appendMany: 'write', page: 'read' },
  seen: { add: 'write', has: 'read', prune: 'write' },
  instances: { beat: 'write', stale: 'read', gone: 'write' },
};

/**
 * The store's collections with every write made a unit of its own (`units.run`); reads go to `data`
 * as they are (on the embedded engine they run between units).
 */
export function writesAsUnits(data: StoreData, units: UnitsOfWork): StoreData {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, kinds] of Object.entries(METHOD_KINDS) as Array<[keyof StoreData, Record<string, Kind>]>) {
    const collection = data[name] as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const wrapped: Record<string, unknown> = {};
    for (const [method, kind] of Object.entries(kinds)) {
      const fn = collection[method];
      if (typeof fn !== 'function') throw new Error(`${name}.${method} is missing`);
      wrapped[method] =
        kind === 'read'
          ? fn
          : (...args: unknown[]) => units.run(`${name}.${method}`, (tx) => (tx[name] as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method]!(...args));
    }
    out[name] = wrapped;
  }
  return out as unknown as StoreData;
}
