import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { NotificationKey } from '../../certificates/NotificationKey.js';
import { unwrapDataKey, type DataKeyUnwrapper } from './decryptResourceData.js';
import type { FromUnwrapWorker, ToUnwrapWorker } from './keyUnwrapProtocol.js';
import { spawnKeyUnwrapWorker } from './spawnKeyUnwrapWorker.js';

export interface KeyUnwrapPoolOptions {
  /** Worker threads (default: one per core, at least 1). 0 unwraps on the calling thread. */
  size?: number;
  /** Most items in one message to a worker (default 32). */
  maxBatch?: number;
  log: Logger;
  /** Starts a worker (tests wrap it to reach the workers). */
  spawn?: () => Worker;
}

export interface KeyUnwrapPoolStats {
  /** Messages sent to workers and the items in them. */
  messages: number;
  items: number;
  /** Workers that died while the pool was open (and were replaced). */
  workerDeaths: number;
  /** Items unwrapped on the main thread (size 0, after repeated deaths, or at close). */
  inline: number;
}

interface Job {
  key: NotificationKey;
  wrapped: Buffer;
  /** Workers that died holding this item. */
  attempts: number;
  resolve(symmetricKey: Buffer | null): void;
}

interface Slot {
  worker: Worker | null;
  /** Thumbprints whose private key this worker already holds. */
  keys: Set<string>;
  inFlight: Map<number, Job[]>;
  items: number;
}

/** Two messages per worker: the next one is waiting in its port when it finishes the first. */
const MESSAGES_PER_WORKER = 2;
/** An item whose worker died this often is unwrapped inline: it never fails because of a worker. */
const MAX_ATTEMPTS = 3;
/** Workers dying this often in a row, without one answer in between, cannot start here: the pool goes inline. */
const MAX_DEATHS_IN_A_ROW = 3;

// Captured at load so sinon fake timers in other tests do not freeze inline unwraps.
const nextTurn: (fn: () => void) => void = globalThis.setImmediate.bind(globalThis);

/**
 * RSA-OAEP unwraps of Graph `dataKey`s in a fixed pool of worker threads, so the event loop keeps
 * answering 202s and the other cores do the RSA. Items requested in the same microtask travel together
 * (a batch's items are one message, the per-message cost being what limits throughput), a worker that
 * dies is replaced and only its in-flight items are sent again, and no item is ever lost or failed by a
 * worker: the answer is always what the inline unwrap would give. Idle workers do not keep the process
 * alive; `close()` ends them.
 */
export class KeyUnwrapPool implements DataKeyUnwrapper {
  readonly size: number;
  readonly stats: KeyUnwrapPoolStats = { messages: 0, items: 0, workerDeaths: 0, inline: 0 };
  private readonly maxBatch: number;
  private readonly spawn: () => Worker;
  private readonly slots: Slot[];
  private readonly queue: Job[] = [];
  private readonly inlineQueue: Job[] = [];
  private flushScheduled = false;
  private inlineScheduled = false;
  private nextId = 0;
  private deathsInARow = 0;
  private workersUsable: boolean;
  private closed = false;

  constructor(private readonly options: KeyUnwrapPoolOptions) {
    this.size = Math.max(0, Math.floor(options.size ?? Math.max(1, availableParallelism())));
    this.maxBatch = Math.max(1, options.maxBatch ?? 32);
    this.spawn = options.spawn ?? spawnKeyUnwrapWorker;
    this.slots = Array.from({ length: this.size }, () => ({ worker: null, keys: new Set<string>(), inFlight: new Map<number, Job[]>(), items: 0 }));
    this.workersUsable = this.size > 0;
  }

  /** Whether unwraps go to workers (false with size 0, after workers failed to run, or once closed). */
  get usesWorkers(): boolean {
    return this.workersUsable && !this.closed;
  }

  unwrap(key: NotificationKey, wrapped: Buffer): Promise<Buffer | null> {
    return new Promise((resolve) => {
      const job: Job = { key, wrapped, attempts: 0, resolve };
      if (this.closed) return this.unwrapNow(job);
      if (!this.workersUsable) return this.unwrapInline(job);
      this.queue.push(job);
      this.scheduleFlush();
    });
  }

  /** Starts the workers now rather than with the first item, so the first notifications do not wait for a thread to boot. */
  warm(): void {
    if (!this.usesWorkers) return;
    for (const slot of this.slots) if (!slot.worker) this.start(slot);
  }

  /** Ends the workers; anything still pending is unwrapped here, so nothing waits forever. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const pending = [...this.slots.flatMap((slot) => [...slot.inFlight.values()].flat()), ...this.queue.splice(0), ...this.inlineQueue.splice(0)];
    const workers = this.slots.flatMap((slot) => (slot.worker ? [slot.worker] : []));
    for (const slot of this.slots) {
      slot.worker = null;
      slot.inFlight.clear();
      slot.items = 0;
    }
    for (const job of pending) this.unwrapNow(job);
    // Unref'd first: a worker whose termination takes a while (still booting) must not hold the process.
    for (const worker of workers) worker.unref();
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Hands queued items to the least busy workers, spread over all of them, at most `maxBatch` a message. */
  private flush(): void {
    const perMessage = Math.min(this.maxBatch, Math.ceil(this.queue.length / this.size));
    while (this.queue.length > 0 && this.usesWorkers) {
      const slot = this.leastBusy();
      if (!slot) return;
      // An item whose worker died goes alone, so one that kills workers cannot take others with it.
      const count = (this.queue[0] as Job).attempts > 0 ? 1 : perMessage;
      this.send(slot, this.queue.splice(0, count));
    }
  }

  private leastBusy(): Slot | undefined {
    let best: Slot | undefined;
    for (const slot of this.slots) {
      if (slot.inFlight.size >= MESSAGES_PER_WORKER) continue;
      if (!best || slot.items < best.items) best = slot;
    }
    return best;
  }

  private send(slot: Slot, jobs: Job[]): void {
    const worker = slot.worker ?? this.start(slot);
    if (!worker) {
      if (this.workersUsable) this.queue.unshift(...jobs);
      else for (const job of jobs) this.unwrapInline(job);
      return;
    }
    for (const { key } of jobs) {
      if (slot.keys.has(key.thumbprint)) continue;
      worker.postMessage({ type: 'key', thumbprint: key.thumbprint, key: key.privateKey } satisfies ToUnwrapWorker);
      slot.keys.add(key.thumbprint);
    }
    const id = ++this.nextId;
    if (slot.items === 0) worker.ref();
    slot.inFlight.set(id, jobs);
    slot.items += jobs.length;
    this.stats.messages++;
    this.stats.items += jobs.length;
    worker.postMessage({ type: 'unwrap', id, thumbprints: jobs.map((job) => job.key.thumbprint), wrapped: jobs.map((job) => job.wrapped) } satisfies ToUnwrapWorker);
  }

  private start(slot: Slot): Worker | null {
    let worker: Worker;
    try {
      worker = this.spawn();
    } catch (error) {
      this.options.log.error({ err: error }, 'could not start a key unwrap worker');
      this.died(slot, null);
      return null;
    }
    slot.worker = worker;
    slot.keys.clear();
    worker.on('message', (message: FromUnwrapWorker) => this.answered(slot, worker, message));
    worker.on('error', (error) => this.options.log.error({ err: error }, 'a key unwrap worker failed'));
    worker.on('exit', (code) => {
      if (slot.worker !== worker || this.closed) return;
      this.options.log.warn({ code, inFlight: slot.items }, 'a key unwrap worker stopped; its items go to a new one');
      this.died(slot, worker);
    });
    // After the listeners: adding the first 'message' listener to a Worker ref()s its port again
    // (node:internal/worker setupPortReferencing), which would keep the process alive for good.
    worker.unref();
    return worker;
  }

  private answered(slot: Slot, worker: Worker, message: FromUnwrapWorker): void {
    if (slot.worker !== worker) {
      // A worker the pool no longer uses (closed, or replaced): nothing of it may hold the process.
      worker.unref();
      return;
    }
    const jobs = slot.inFlight.get(message.id);
    if (!jobs) return;
    slot.inFlight.delete(message.id);
    slot.items -= jobs.length;
    if (slot.items === 0) worker.unref();
    this.deathsInARow = 0;
    jobs.forEach((job, i) => {
      const opened = message.keys[i];
      job.resolve(opened ? Buffer.from(opened.buffer, opened.byteOffset, opened.byteLength) : null);
    });
    this.flush();
  }

  /** A worker is gone (or never started): its items go first in the queue, to a new worker, or inline. */
  private died(slot: Slot, worker: Worker | null): void {
    const orphans = [...slot.inFlight.values()].flat();
    slot.worker = null;
    slot.keys.clear();
    slot.inFlight.clear();
    slot.items = 0;
    if (worker) this.stats.workerDeaths++;
    this.deathsInARow++;
    if (this.deathsInARow >= MAX_DEATHS_IN_A_ROW && this.workersUsable) {
      this.workersUsable = false;
      this.options.log.error({ deaths: this.deathsInARow }, 'key unwrap workers keep stopping; RSA unwraps run on the main thread from now on (slower, still correct)');
    }
    const retry: Job[] = [];
    for (const job of orphans) {
      job.attempts++;
      if (job.attempts >= MAX_ATTEMPTS || !this.workersUsable) this.unwrapInline(job);
      else retry.push(job);
    }
    this.queue.unshift(...retry);
    if (!this.workersUsable) {
      for (const job of this.queue.splice(0)) this.unwrapInline(job);
      return;
    }
    this.scheduleFlush();
  }

  /** Inline, one item per turn of the event loop, so a batch does not hold the loop for all its RSA at once. */
  private unwrapInline(job: Job): void {
    this.inlineQueue.push(job);
    if (this.inlineScheduled) return;
    this.inlineScheduled = true;
    const step = () => {
      const next = this.inlineQueue.shift();
      if (next) this.unwrapNow(next);
      if (this.inlineQueue.length > 0) nextTurn(step);
      else this.inlineScheduled = false;
    };
    nextTurn(step);
  }

  private unwrapNow(job: Job): void {
    this.stats.inline++;
    job.resolve(unwrapDataKey(job.key.privateKey, job.wrapped));
  }
}
