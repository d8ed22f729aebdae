import { ProcessingStoppedError } from './ItemOutcome.js';

// Captured at load so sinon fake timers in other tests do not freeze processing.
const nextTick: (fn: () => void) => void = globalThis.setImmediate.bind(globalThis);

/**
 * Lets one item start per turn of the event loop, however many batches are being processed: the HTTP
 * side (answering 202s) gets the loop between every two decryptions, never after a run of them.
 */
export class Turnstile {
  private readonly waiting: Array<() => void> = [];
  private scheduled = false;

  pass(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    nextTick(() => {
      this.scheduled = false;
      this.waiting.shift()?.();
      if (this.waiting.length > 0) this.schedule();
    });
  }
}

/** The promise, or ProcessingStoppedError as soon as `signal` aborts (the promise itself runs on). */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new ProcessingStoppedError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new ProcessingStoppedError());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
