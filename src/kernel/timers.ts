/** Timer functions, injectable; the default looks the globals up at call time so sinon fake timers apply. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export function systemTimers(): Timers {
  return {
    setTimeout: (fn, ms) => {
      const handle = setTimeout(fn, ms);
      // Pending windows and retries are persisted; they must not keep a stopping process alive.
      (handle as { unref?: () => void }).unref?.();
      return handle;
    },
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  };
}
