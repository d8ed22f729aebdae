import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { PendingCreationRecord } from '../model/subscription.js';
import { verifyClientState } from '../notifications/verify/verifyClientState.js';
import type { Store } from '../storage/Store.js';

interface Local {
  clientState: string;
  settled: Promise<void>;
  settle: () => void;
}

/** One creation in flight; `settle` once its record is stored or the creation failed. */
export interface PendingCreation {
  settle(): Promise<void>;
}

/** What a notification whose subscription is not stored learns about its `clientState`. */
export type CreationLookup =
  /** A creation it belongs to has settled (on this instance, or a dead instance's was resolved): look the subscription up again. */
  | 'settled'
  /** Another instance is creating it right now: try the item again later. */
  | 'elsewhere'
  /** It belongs to no creation Herald knows. */
  | 'none';

export interface PendingCreationsDeps {
  store: Store;
  clock: () => Date;
  log: Logger;
  instanceId: string | null;
  /**
   * A creation whose marker is older than `staleAfterMs` was started by an instance that died between
   * its POST and storing the record (or could not delete the marker): settle it now, under the owner's
   * lock (adopt the subscription Graph has for it, or forget the marker).
   */
  resolveStale: (marker: PendingCreationRecord) => Promise<void>;
  /** Default 2 minutes: a creation's POST (Graph validates both URLs) takes seconds. */
  staleAfterMs?: number;
}

/** The key a creation is stored and looked up under: the echoed secret itself is not a lookup key. */
export function pendingCreationKey(clientState: string): string {
  return createHash('sha256').update(clientState, 'utf8').digest('base64url');
}

/**
 * Subscriptions Herald is creating, known by their `clientState` before Graph answers 201. Graph may
 * deliver through a new subscription before its 201 reaches Herald, on any instance; and the instance
 * that sent the POST may die before storing the record. Each creation is therefore written to the store
 * (`pendingCreations`) before its POST and removed once the record is stored or the creation failed:
 * an item that matches a creation in flight here is held until it settles; one in flight on another
 * instance is retried later; a dead instance's is resolved (see `resolveStale`).
 */
export class PendingCreations {
  private readonly local = new Set<Local>();
  private holding = 0;
  private readonly staleAfterMs: number;

  constructor(private readonly deps: PendingCreationsDeps) {
    this.staleAfterMs = deps.staleAfterMs ?? 2 * 60_000;
  }

  /** Registers a creation before its POST is sent: stored first (a failure to store fails the creation). */
  async begin(draft: Omit<PendingCreationRecord, 'key' | 'startedAt' | 'startedBy'>): Promise<PendingCreation> {
    const marker: PendingCreationRecord = {
      ...draft,
      key: pendingCreationKey(draft.clientState),
      startedAt: this.deps.clock().toISOString(),
      startedBy: this.deps.instanceId,
    };
    await this.deps.store.pendingCreations.put(marker.key, marker);
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    const entry: Local = { clientState: draft.clientState, settled, settle };
    this.local.add(entry);
    return {
      settle: async () => {
        if (!this.local.delete(entry)) return;
        try {
          await this.deps.store.pendingCreations.delete(marker.key);
        } catch (error) {
          // Left behind, it is resolved as stale when a notification matches it, or at the next start.
          this.deps.log.warn({ err: error, tenantId: marker.tenantId, kind: marker.kind }, 'could not remove a settled creation from the store');
        } finally {
          entry.settle();
        }
      },
    };
  }

  /**
   * Whether `clientState` (as a notification echoed it) belongs to a creation Herald knows: one in
   * flight here resolves once it settles; one on another instance says 'elsewhere' while it is fresh.
   */
  async lookup(clientState: string | null): Promise<CreationLookup> {
    if (clientState === null) return 'none';
    for (const entry of this.local) {
      if (!verifyClientState(clientState, entry.clientState)) continue;
      this.holding++;
      try {
        await entry.settled;
      } finally {
        this.holding--;
      }
      return 'settled';
    }
    const marker = await this.deps.store.pendingCreations.get(pendingCreationKey(clientState));
    if (!marker || !verifyClientState(clientState, marker.clientState)) return 'none';
    if (this.deps.clock().getTime() - Date.parse(marker.startedAt) < this.staleAfterMs) return 'elsewhere';
    this.deps.log.info({ tenantId: marker.tenantId, chatId: marker.chatId, kind: marker.kind, startedBy: marker.startedBy }, 'a creation that never settled; resolving it');
    await this.deps.resolveStale(marker);
    return 'settled';
  }

  /** Creations in flight on this instance. */
  get size(): number {
    return this.local.size;
  }

  /** Notification items waiting for one of them to settle. */
  get held(): number {
    return this.holding;
  }
}
