/** The Graph operations Herald performs, as counted for health, benchmarks and the README's figures. */
export type GraphOperation =
  | 'createSubscription'
  | 'getSubscription'
  | 'listSubscriptions'
  | 'renewSubscription'
  | 'deleteSubscription'
  | 'reauthorizeSubscription'
  | 'getChat'
  | 'listChatMembers'
  | 'getUser'
  | 'getResource';

export interface GraphCallCounts {
  /** Requests made, per operation (each page of a paged list counts once; retries are not included). */
  calls: Partial<Record<GraphOperation, number>>;
  failures: Partial<Record<GraphOperation, number>>;
  /** Extra attempts after 429/503/504. */
  retries: number;
  total: number;
}

/** Counts Graph requests per operation. */
export class GraphCallStats {
  private readonly calls = new Map<GraphOperation, number>();
  private readonly failures = new Map<GraphOperation, number>();
  private retries = 0;

  recordCall(operation: GraphOperation): void {
    this.calls.set(operation, (this.calls.get(operation) ?? 0) + 1);
  }

  recordFailure(operation: GraphOperation): void {
    this.failures.set(operation, (this.failures.get(operation) ?? 0) + 1);
  }

  recordRetry(): void {
    this.retries++;
  }

  snapshot(): GraphCallCounts {
    const calls = Object.fromEntries(this.calls) as GraphCallCounts['calls'];
    const failures = Object.fromEntries(this.failures) as GraphCallCounts['failures'];
    let total = 0;
    for (const n of this.calls.values()) total += n;
    return { calls, failures, retries: this.retries, total };
  }

  reset(): void {
    this.calls.clear();
    this.failures.clear();
    this.retries = 0;
  }
}
