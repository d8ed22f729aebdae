/**
 * The leak guard, a mocha root-hook plugin (.mocharc.json `require`): a test that leaves something running
 * (a Herald, an HTTP server, a socket, a worker thread, a child process, a timer) fails the run, naming what
 * was left and the test file that started it, instead of keeping the process alive after the summary.
 *
 * It tracks what tests start (servers as they listen, client sockets as they connect, child processes,
 * worker threads, timers), tagged with the test file running at that moment and the first test-tree frame
 * of the call, and after each test file (parallel mode runs each file on its own; the serial mode checks
 * once, after the last file) waits a moment for closing things to close, then fails the file's last hook
 * with the list. Anything test support keeps for the whole process on purpose (the embedded PostgreSQL
 * server) is registered with `keepForProcess`.
 *
 * Whatever the guard cannot see, the summary reporter's exit watchdog catches: a process still alive a few
 * seconds after the summary prints what holds it and exits non-zero.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { ChildProcess } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Server, Socket } from 'node:net';
import type { Worker } from 'node:worker_threads';

interface Origin {
  /** The test file that was running. */
  file: string;
  /** Where in the test tree (test/**) the call came from, when the stack shows it. */
  site: string;
}

interface Tracked {
  origin: Origin;
  what: string;
}

interface GuardState {
  currentFile: string;
  /**
   * The test file whose work is running: carried along every callback, promise and timer that file's
   * tests started, so what a leftover of an earlier file starts later is still put down to that file.
   */
  fileContext: AsyncLocalStorage<string>;
  servers: Map<Server, Tracked>;
  sockets: WeakMap<Socket, Tracked>;
  children: Map<ChildProcess, Tracked>;
  workers: Map<Worker, Tracked>;
  timers: Map<NodeJS.Timeout, Tracked>;
  keep: WeakSet<object>;
  /** Left running and already reported (by an earlier file of the same process): reported once. */
  reported: WeakSet<object>;
  timersSinceSweep: number;
}

// On the process, not in this module: mocha with tsx may load a file twice (as ESM and as CJS), and the
// patches must be installed once.
const STATE = Symbol.for('herald.test.leakGuard');
const holder = globalThis as { [STATE]?: GuardState };
const ROOT = new URL('../../', import.meta.url).pathname;

/** Marks something test support keeps for the whole test process on purpose (not a leak). */
export function keepForProcess(thing: object): void {
  state().keep.add(thing);
}

function state(): GuardState {
  holder[STATE] ??= install();
  return holder[STATE];
}

function relative(path: string): string {
  return path.startsWith(ROOT) ? path.slice(ROOT.length) : path;
}

/** The first frame of the call that lies in the project's test tree or its support (not node_modules). */
function callSite(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 30;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  for (const line of stack.split('\n').slice(2)) {
    const match = /\(?((?:file:\/\/)?\/[^\s()]+):(\d+):\d+\)?$/.exec(line.trim());
    if (!match) continue;
    const file = (match[1] as string).replace(/^file:\/\//, '');
    if (!file.startsWith(ROOT) || file.includes('/node_modules/') || file.endsWith('leakGuard.ts')) continue;
    if (file.startsWith(`${ROOT}test/`) || file.startsWith(`${ROOT}sim/`) || file.startsWith(`${ROOT}bench/`)) return `${relative(file)}:${match[2]}`;
  }
  return 'unknown';
}

// The summary reporter's exit watchdog (CommonJS, loaded apart) asks through this what is left.
const LIST = Symbol.for('herald.test.leakGuard.list');
(globalThis as { [LIST]?: () => string[] })[LIST] = () => leftRunning();

function install(): GuardState {
  const s: GuardState = {
    currentFile: 'before any test file',
    fileContext: new AsyncLocalStorage<string>(),
    servers: new Map(),
    sockets: new WeakMap(),
    children: new Map(),
    workers: new Map(),
    timers: new Map(),
    keep: new WeakSet(),
    reported: new WeakSet(),
    timersSinceSweep: 0,
  };
  // A test file's module code and describe bodies run as mocha loads it, before any hook: the file being
  // loaded is the one running then.
  type Loader = (this: { suite: Mocha.Suite }, ...args: unknown[]) => unknown;
  const MochaClass = createRequire(import.meta.url)('mocha') as { prototype: { loadFiles: Loader; loadFilesAsync: Loader } };
  for (const method of ['loadFiles', 'loadFilesAsync'] as const) {
    const load = MochaClass.prototype[method];
    MochaClass.prototype[method] = function (this: { suite: Mocha.Suite }, ...args: unknown[]) {
      this.suite.on('pre-require', (_context: unknown, file: string) => {
        s.currentFile = relative(file);
      });
      return load.apply(this, args);
    };
  }
  const fileNow = () => s.fileContext.getStore() ?? s.currentFile;
  const origin = (): Origin => ({ file: fileNow(), site: callSite() });

  const listen = Server.prototype.listen;
  Server.prototype.listen = function (this: Server, ...args: unknown[]) {
    s.servers.set(this, { origin: origin(), what: 'a server' });
    this.once('close', () => s.servers.delete(this));
    return (listen as (...a: unknown[]) => Server).apply(this, args);
  } as typeof listen;

  const connect = Socket.prototype.connect;
  Socket.prototype.connect = function (this: Socket, ...args: unknown[]) {
    s.sockets.set(this, { origin: origin(), what: 'a client socket' });
    return (connect as (...a: unknown[]) => Socket).apply(this, args);
  } as typeof connect;

  // Every child process (spawn, exec, fork, execFile) starts through this undocumented method.
  type Spawn = (this: ChildProcess, options: { file: string; args?: string[] }) => unknown;
  const proto = ChildProcess.prototype as unknown as { spawn: Spawn };
  const spawn = proto.spawn;
  proto.spawn = function (this: ChildProcess, options) {
    const command = [options.file, ...(options.args ?? []).slice(1)].join(' ');
    s.children.set(this, { origin: origin(), what: `a child process (${command.length > 160 ? `${command.slice(0, 160)}…` : command})` });
    this.once('exit', () => s.children.delete(this));
    return spawn.call(this, options);
  };

  process.on('worker', (worker: Worker) => {
    s.workers.set(worker, { origin: { file: fileNow(), site: 'unknown' }, what: 'a worker thread' });
    worker.once('exit', () => s.workers.delete(worker));
  });

  const track = (timer: NodeJS.Timeout, kind: string, callback: unknown) => {
    const name = typeof callback === 'function' && callback.name ? ` ${callback.name}` : '';
    s.timers.set(timer, { origin: origin(), what: `a ${kind}${name}` });
    // Fired or cleared timers are swept now and then, so the map stays small.
    if (++s.timersSinceSweep >= 2000) {
      s.timersSinceSweep = 0;
      for (const t of s.timers.keys()) if (isDone(t)) s.timers.delete(t);
    }
  };
  const setTimeoutBefore = globalThis.setTimeout;
  const setIntervalBefore = globalThis.setInterval;
  globalThis.setTimeout = Object.assign(function (this: unknown, callback: unknown, ...rest: unknown[]) {
    const timer = (setTimeoutBefore as (...a: unknown[]) => NodeJS.Timeout).call(this, callback, ...rest);
    track(timer, 'setTimeout', callback);
    return timer;
  }, setTimeoutBefore) as typeof setTimeout;
  globalThis.setInterval = Object.assign(function (this: unknown, callback: unknown, ...rest: unknown[]) {
    const timer = (setIntervalBefore as (...a: unknown[]) => NodeJS.Timeout).call(this, callback, ...rest);
    track(timer, 'setInterval', callback);
    return timer;
  }, setIntervalBefore) as typeof setInterval;
  return s;
}

function isDone(timer: NodeJS.Timeout): boolean {
  return (timer as unknown as { _destroyed?: boolean })._destroyed === true;
}

function describeOrigin(t: Tracked): string {
  return `${t.what}, started in ${t.origin.file}${t.origin.site !== 'unknown' && !t.origin.site.startsWith(t.origin.file) ? ` (at ${t.origin.site})` : t.origin.site !== 'unknown' ? ` (line ${t.origin.site.split(':').pop()})` : ''}`;
}

function serverAddress(server: Server): string {
  const address = server.address();
  return typeof address === 'string' ? address : address ? `${address.address}:${address.port}` : 'not bound';
}

interface Leftover {
  thing: object;
  line: string;
}

/** What is still running that a test started (not kept on purpose, not reported before), each with where it came from. */
function leftovers(): Leftover[] {
  const s = state();
  const left: Leftover[] = [];
  const add = (thing: object, line: string) => {
    if (!s.keep.has(thing) && !s.reported.has(thing)) left.push({ thing, line });
  };
  for (const [server, t] of s.servers) if (server.listening) add(server, `${describeOrigin(t)}, listening on ${serverAddress(server)}`);
  for (const [child, t] of s.children) if (child.exitCode === null && child.signalCode === null) add(child, `${describeOrigin(t)}, pid ${String(child.pid)}`);
  for (const [worker, t] of s.workers) add(worker, `${describeOrigin(t)}, thread ${worker.threadId}`);
  for (const [timer, t] of s.timers) if (!isDone(timer) && timer.hasRef()) add(timer, describeOrigin(t));
  const handles = (process as unknown as { _getActiveHandles(): object[] })._getActiveHandles();
  for (const handle of handles) {
    if (!(handle instanceof Socket) || handle.destroyed) continue;
    const t = s.sockets.get(handle);
    // Only client sockets a test connected: a server's sockets are reported with it, and untracked ones
    // are the process's own (stdio, the IPC channel of a parallel run's worker).
    if (t) add(handle, `${describeOrigin(t)} to ${String(handle.remoteAddress)}:${String(handle.remotePort)}`);
  }
  return left;
}

/** What is left running, as lines (for the summary reporter's exit watchdog). */
export function leftRunning(): string[] {
  return leftovers().map((l) => l.line);
}

/**
 * Waits up to `graceMs` for what is closing to close, then returns what is left: servers and sockets
 * close asynchronously, and a worker's exit takes a moment after `terminate()` resolves.
 */
export async function settleThenList(graceMs: number): Promise<string[]> {
  const deadline = Date.now() + graceMs;
  const pause = (ms: number) => new Promise<void>((resolve) => setTimeoutUntracked(resolve, ms));
  for (;;) {
    const left = leftovers();
    if (left.length === 0 || Date.now() >= deadline) {
      for (const { thing } of left) state().reported.add(thing);
      return left.map((l) => l.line);
    }
    await pause(50);
  }
}

/** A timer of the guard's own: not tracked. */
function setTimeoutUntracked(callback: () => void, ms: number): void {
  state().timers.delete(setTimeout(callback, ms));
}

// Long enough for a key unwrap worker that was still booting when its pool closed: under a loaded CI
// machine it exits only once booted, seconds later (seen: 3 s was not always enough). A real leak still
// fails the file, only this much later.
const GRACE_MS = 10_000;

/**
 * HERALD_TEST_FILE_TIMES=<file>: each test file's wall time and CPU time (its process's and its finished child
 * processes', from /proc/self/stat) are appended there ("wall ms<TAB>cpu ms<TAB>file"), to find the slow ones.
 */
const TIMES_FILE = process.env.HERALD_TEST_FILE_TIMES;
let fileStartedAt = 0;
let fileCpuAtStart = 0;

function cpuMsWithChildren(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    // utime, stime, cutime, cstime (fields 14-17 of proc(5)), in clock ticks of 10 ms.
    return ((fields[11] ?? 0) + (fields[12] ?? 0) + (fields[13] ?? 0) + (fields[14] ?? 0)) * 10;
  } catch {
    return 0;
  }
}

type HookContext = Mocha.Context & { test?: Mocha.Runnable & { parent?: Mocha.Suite } };

export const mochaHooks = {
  beforeAll(this: HookContext) {
    fileStartedAt = Date.now();
    if (TIMES_FILE) fileCpuAtStart = cpuMsWithChildren();
    const s = state();
    const root = this.test?.parent;
    if (!root) return;
    // Each file's top-level suites learn first thing which file runs, so what their `before` hooks start is
    // told apart from what the previous file started.
    for (const suite of root.suites) {
      const file = suite.file ? relative(suite.file) : 'an unknown file';
      suite.beforeAll(`leak guard: ${file} starts`, () => {
        s.currentFile = file;
        // Mocha goes on to the file's hooks and tests from here, so they all run in this context.
        s.fileContext.enterWith(file);
      });
      const hooks = (suite as unknown as { _beforeAll: unknown[] })._beforeAll;
      hooks.unshift(hooks.pop());
    }
  },
  async afterAll(this: HookContext) {
    this.timeout(GRACE_MS + 5_000);
    const left = await settleThenList(GRACE_MS);
    if (TIMES_FILE) appendFileSync(TIMES_FILE, `${Date.now() - fileStartedAt}\t${cpuMsWithChildren() - fileCpuAtStart}\t${state().currentFile}\n`);
    if (left.length === 0) return;
    throw new Error(`the leak guard found what tests left running (each test must stop what it starts):\n  - ${left.join('\n  - ')}`);
  },
};
