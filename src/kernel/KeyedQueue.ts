/**
 * Runs async work one at a time per key (a chat, a tenant), in call order; different keys run
 * concurrently. A chat's state is read, changed and written back across awaits, and two `installed`
 * events for one chat must not create two subscriptions, so work for one key must not interleave.
 * A failed task does not stop the ones queued after it. Callers must not nest keys (never hold one key
 * while taking another): that rule is what keeps it deadlock-free.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.catch(() => undefined).then(task);
    const tail = current.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return current;
  }

  /** Keys with work queued or running. */
  get busyKeys(): number {
    return this.tails.size;
  }

  /** Resolves when every task queued so far has finished. */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.allSettled([...this.tails.values()]);
  }
}
