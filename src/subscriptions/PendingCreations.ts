import { verifyClientState } from '../notifications/verify/verifyClientState.js';

interface Pending {
  clientState: string;
  settled: Promise<void>;
  settle: () => void;
}

/** One creation in flight; `settle` once its record is stored or the creation failed. */
export interface PendingCreation {
  settle(): void;
}

/**
 * Subscriptions Herald is creating right now, known by their `clientState` before Graph answers 201.
 * Graph may deliver a notification through a new subscription before its 201 reaches Herald (the id is
 * not known yet); such an item matches a pending creation's secret and is held until the creation
 * settles, instead of being dropped as coming from an unknown subscription.
 */
export class PendingCreations {
  private readonly pending = new Set<Pending>();
  private holding = 0;

  /** Registers a creation before its POST is sent. */
  begin(clientState: string): PendingCreation {
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    const entry: Pending = { clientState, settled, settle };
    this.pending.add(entry);
    return {
      settle: () => {
        if (!this.pending.delete(entry)) return;
        entry.settle();
      },
    };
  }

  /**
   * When `clientState` (as a notification echoed it) belongs to a creation in flight: resolves once that
   * creation is stored or has failed. Null when it matches none (compared in constant time).
   */
  settled(clientState: string | null): Promise<void> | null {
    for (const entry of this.pending) {
      if (!verifyClientState(clientState, entry.clientState)) continue;
      this.holding++;
      return entry.settled.finally(() => this.holding--);
    }
    return null;
  }

  /** Creations in flight. */
  get size(): number {
    return this.pending.size;
  }

  /** Notification items waiting for a creation to settle. */
  get held(): number {
    return this.holding;
  }
}
