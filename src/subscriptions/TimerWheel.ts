import type { Timers } from '../kernel/timers.js';

export interface TimerWheelOptions {
  clock: () => Date;
  /** Default: the global timer functions at the moment of each call. */
  timers?: Timers;
  /** Tasks running at once; the rest wait their turn (a restart after days away must not burst Graph). */
  concurrency?: number;
  onError(key: string, error: unknown): void;
}

type Task = () => Promise<void>;

interface Entry {
  key: string;
  at: number;
  seq: number;
  task: Task;
}

/** setTimeout's longest delay; the wheel re-checks and re-arms past it. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const globalTimers: Timers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};

/**
 * Keyed one-shot tasks on a single timer. Scheduling a key again replaces its earlier schedule, so work
 * never piles up (one renewal per subscription, one retry per chat). Only the earliest task has a timer;
 * due tasks run with bounded concurrency. Tasks due now start without waiting for a timer.
 */
export class TimerWheel {
  private readonly entries = new Map<string, Entry>();
  /** Min-heap on `at`; entries replaced or cancelled stay here until they surface and are skipped. */
  private readonly heap: Entry[] = [];
  private readonly ready: Entry[] = [];
  private readonly running = new Set<string>();
  private readonly idleWaiters: Array<() => void> = [];
  private readonly concurrency: number;
  private timer: unknown = null;
  private timerAt: number | null = null;
  private seq = 0;
  private stopped = false;

  constructor(private readonly options: TimerWheelOptions) {
    this.concurrency = Math.max(1, options.concurrency ?? 4);
  }

  /** Runs `task` at `at` (at once when that is not in the future), replacing any schedule under `key`. */
  schedule(key: string, at: Date, task: Task): void {
    if (this.stopped) return;
    this.removeReady(key);
    const entry: Entry = { key, at: at.getTime(), seq: ++this.seq, task };
    this.entries.set(key, entry);
    if (entry.at <= this.now()) {
      this.entries.delete(key);
      this.ready.push(entry);
      this.pump();
    } else {
      this.push(entry);
    }
    this.arm();
  }

  cancel(key: string): boolean {
    const had = this.entries.delete(key) || this.removeReady(key);
    if (had) this.arm();
    return had;
  }

  /** Cancels every key starting with `prefix`; returns how many. */
  cancelPrefix(prefix: string): number {
    let count = 0;
    for (const key of [...this.entries.keys()]) {
      if (key.startsWith(prefix)) {
        this.entries.delete(key);
        count++;
      }
    }
    for (let i = this.ready.length - 1; i >= 0; i--) {
      if (this.ready[i]?.key.startsWith(prefix)) {
        this.ready.splice(i, 1);
        count++;
      }
    }
    if (count > 0) this.arm();
    return count;
  }

  /** When `key` is due, or null when it is not scheduled (running and queued tasks count as due now). */
  dueAt(key: string): Date | null {
    const entry = this.entries.get(key);
    if (entry) return new Date(entry.at);
    return this.ready.some((e) => e.key === key) ? new Date(this.now()) : null;
  }

  /** Scheduled (not yet started) tasks. */
  get size(): number {
    return this.entries.size + this.ready.length;
  }

  get runningCount(): number {
    return this.running.size;
  }

  /** Resolves once nothing is running or queued to run now (future schedules do not count). */
  whenIdle(): Promise<void> {
    if (this.running.size === 0 && this.ready.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Forgets every schedule and disarms the timer; resolves when running tasks have finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.entries.clear();
    this.heap.length = 0;
    this.ready.length = 0;
    this.disarm();
    await this.whenIdle();
  }

  private now(): number {
    return this.options.clock().getTime();
  }

  private get timers(): Timers {
    return this.options.timers ?? globalTimers;
  }

  private removeReady(key: string): boolean {
    const index = this.ready.findIndex((e) => e.key === key);
    if (index < 0) return false;
    this.ready.splice(index, 1);
    return true;
  }

  private isLive(entry: Entry): boolean {
    return this.entries.get(entry.key)?.seq === entry.seq;
  }

  private peekLive(): Entry | undefined {
    while (this.heap.length > 0 && !this.isLive(this.heap[0] as Entry)) this.pop();
    return this.heap[0];
  }

  private arm(): void {
    if (this.stopped) return;
    const next = this.peekLive();
    if (!next) {
      this.disarm();
      return;
    }
    if (this.timer !== null && this.timerAt === next.at) return;
    this.disarm();
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, next.at - this.now()));
    this.timerAt = next.at;
    const handle = this.timers.setTimeout(() => this.fire(), delay);
    // Never keep the process alive just for a renewal hours away.
    (handle as { unref?: () => void } | null)?.unref?.();
    this.timer = handle;
  }

  private disarm(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = null;
  }

  private fire(): void {
    this.timer = null;
    this.timerAt = null;
    if (this.stopped) return;
    const now = this.now();
    for (let next = this.peekLive(); next && next.at <= now; next = this.peekLive()) {
      this.pop();
      this.entries.delete(next.key);
      this.ready.push(next);
    }
    this.pump();
    this.arm();
  }

  private pump(): void {
    while (this.running.size < this.concurrency && this.ready.length > 0) {
      // A key already running waits for its previous run to finish (tasks of one key never overlap).
      const index = this.ready.findIndex((e) => !this.running.has(e.key));
      if (index < 0) break;
      const [entry] = this.ready.splice(index, 1) as [Entry];
      this.running.add(entry.key);
      void Promise.resolve()
        .then(entry.task)
        .catch((error: unknown) => this.options.onError(entry.key, error))
        .finally(() => {
          this.running.delete(entry.key);
          this.pump();
          if (this.running.size === 0 && this.ready.length === 0) {
            for (const resolve of this.idleWaiters.splice(0)) resolve();
          }
        });
    }
  }

  // ---- binary heap on `at` (ties by seq) ----

  private push(entry: Entry): void {
    const heap = this.heap;
    if (heap.length > 2 * this.entries.size + 64) {
      // Replaced schedules are skipped lazily; rebuild once they outnumber live ones so the heap stays small.
      const live = heap.filter((e) => this.isLive(e));
      heap.length = 0;
      for (const e of live) this.push(e);
    }
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(heap[i] as Entry, heap[parent] as Entry)) break;
      [heap[i], heap[parent]] = [heap[parent] as Entry, heap[i] as Entry];
      i = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (heap.length === 0 || !last) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      if (l < heap.length && less(heap[l] as Entry, heap[smallest] as Entry)) smallest = l;
      if (r < heap.length && less(heap[r] as Entry, heap[smallest] as Entry)) smallest = r;
      if (smallest === i) break;
      [heap[i], heap[smallest]] = [heap[smallest] as Entry, heap[i] as Entry];
      i = smallest;
    }
  }
}

function less(a: Entry, b: Entry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
