/**
 * Runs async work one at a time per key (a chat, a tenant), so two `installed` events for one chat, or a
 * renewal racing a lifecycle event, never create two subscriptions for the same resource. Callers must
 * not nest keys (never hold one key while taking another): that rule is what keeps it deadlock-free.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with work queued or running. */
  get busyKeys(): number {
    return this.tails.size;
  }
}
