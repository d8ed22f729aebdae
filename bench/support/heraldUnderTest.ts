/**
 * Herald as the benchmarks measure it: its own process, what `npm start` runs (compiled first when the
 * sources changed, then dist/bin/herald.js), live mode with the environment pointing at the simulator
 * doubles, the store chosen by environment only (DATA_DIR, or DATABASE_URL). Everything read from it
 * comes over HTTP (/healthz) or from the kernel about its process (/proc/<pid>), never from its store.
 */
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startHeraldProcess, type HeraldProcess } from '../../test/support/process/heraldProcess.js';
import type { BenchWorld } from './benchWorld.js';
import { freePort } from './freePort.js';

/** The parts of /healthz the benchmarks read. */
export interface Health {
  installations: { installed: number };
  subscriptions?: { subscriptions: number; runningJobs: number; problems: unknown[]; startupReconcile?: 'running' | 'done' | 'failed' };
  announcements?: { outbox: number; openWindows: number; sent: number };
  notifications: { received: number; processed: number; dropped: number; inbox: number; batches: number; emitted: number; duplicates: number; ignored: number; droppedByReason: Record<string, number> };
}

export interface HeraldUnderTestOptions {
  /** Herald's DATA_DIR (certificates always; the embedded store unless `env` names DATABASE_URL). */
  dataDir: string;
  /** The store's environment (DATABASE_URL, or nothing for the embedded store) and anything else. */
  env?: Record<string, string>;
  /** Fixed port (a restart keeps its address); a free one by default. */
  port?: number;
  /** What Graph and Teams reach (a proxy in front of several instances); Herald's own URL by default. */
  publicUrl?: string;
  /** Write a V8 CPU profile into this directory when the process exits (`node --cpu-prof`). */
  cpuProfileDir?: string;
}

export interface HeraldUnderTest {
  url: string;
  port: number;
  pid: number;
  health(): Promise<Health>;
  /** Bytes the process has written so far, everything (`wchar` of /proc/<pid>/io: files, sockets, pipes) and to storage (`write_bytes`). */
  written(): Promise<{ all: number; storage: number }>;
  /** Resident set size in MiB (/proc/<pid>/status VmRSS). */
  rssMiB(): Promise<number>;
  /** Resolves once /healthz shows nothing in progress: inbox, outbox, summary windows, subscription jobs. */
  idle(timeoutMs?: number): Promise<Health>;
  /** SIGTERM and wait for the exit (Herald flushes and exits 0). */
  stop(): Promise<number | null>;
  /** SIGKILL: no shutdown at all. */
  kill(): Promise<void>;
  output(): string;
}

const START_TIMEOUT_MS = 120_000;

// A bench stopped from outside (Ctrl-C, `timeout`) must not leave Herald processes running behind it.
const running = new Set<HeraldProcess>();
let cleanupInstalled = false;
function killAllOnExit(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.once('exit', () => {
    for (const herald of running) herald.child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
}
const ROOT = new URL('../../', import.meta.url).pathname;
let built = false;

/** npm start's own build step (scripts/buildIfChanged.mjs): compiles only when the sources changed. */
function ensureBuilt(): void {
  if (built) return;
  const result = spawnSync(process.execPath, [join(ROOT, 'scripts', 'buildIfChanged.mjs')], { cwd: ROOT, encoding: 'utf8', timeout: 600_000 });
  if (result.status !== 0) throw new Error(`building Herald failed (${String(result.status ?? result.signal)}):\n${result.stdout}${result.stderr}`);
  built = true;
}

export async function startHerald(world: BenchWorld, options: HeraldUnderTestOptions): Promise<HeraldUnderTest> {
  ensureBuilt();
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const publicUrl = options.publicUrl ?? url;
  if (!options.publicUrl) world.simulated.connectHerald(url);
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ...world.simulated.env(publicUrl),
    // Live mode with a blank BOT_ID: the Teams double neither signs activities nor asks for tokens.
    BOT_AUTH: 'off',
    HOST: '127.0.0.1',
    PORT: String(port),
    // The doubles' loopback CA, read by Node at start (what an operator would do for a private CA).
    NODE_EXTRA_CA_CERTS: world.caFile,
    LOG_LEVEL: 'warn',
    ...options.env,
  };
  const nodeArgs = options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [];
  killAllOnExit();
  const child: HeraldProcess = startHeraldProcess(options.dataDir, options.dataDir, env, { nodeArgs });
  running.add(child);
  void child.exit.then(() => running.delete(child));
  const pid = child.child.pid;
  if (pid === undefined) throw new Error(`Herald did not start: ${child.output()}`);
  const exited = () => child.child.exitCode !== null || child.child.signalCode !== null;

  const health = async (): Promise<Health> => {
    const response = await fetch(`${url}/healthz`);
    // 503 still carries the status document (a problem is being reported).
    return (await response.json()) as Health;
  };
  const started = performance.now();
  for (;;) {
    if (exited()) throw new Error(`Herald exited before it answered /healthz:\n${child.output()}`);
    try {
      if ((await fetch(`${url}/healthz`)).status < 500) break;
    } catch {
      // not listening yet
    }
    if (performance.now() - started > START_TIMEOUT_MS) {
      child.child.kill('SIGKILL');
      throw new Error(`Herald did not answer /healthz within ${START_TIMEOUT_MS / 1000} s:\n${child.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  const self: HeraldUnderTest = {
    url,
    port,
    pid,
    health,
    written: async () => {
      const io = await readFile(`/proc/${pid}/io`, 'utf8');
      const field = (name: string) => Number(new RegExp(`^${name}:\\s*(\\d+)`, 'm').exec(io)?.[1] ?? Number.NaN);
      return { all: field('wchar'), storage: field('write_bytes') };
    },
    rssMiB: async () => {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      return Number(/^VmRSS:\s*(\d+) kB/m.exec(status)?.[1] ?? Number.NaN) / 1024;
    },
    idle: (timeoutMs = 300_000) => waitForHealth(self, isIdle, { timeoutMs, everyMs: 100, what: 'Herald idle' }),
    stop: async () => {
      if (!exited()) child.child.kill('SIGTERM');
      return child.exit;
    },
    kill: async () => {
      if (!exited()) child.child.kill('SIGKILL');
      await child.exit;
    },
    output: child.output,
  };
  return self;
}

function isIdle(health: Health): boolean {
  const n = health.notifications;
  const a = health.announcements;
  return n.inbox === 0 && n.batches === 0 && (health.subscriptions?.runningJobs ?? 0) === 0 && (a?.outbox ?? 0) === 0 && (a?.openWindows ?? 0) === 0;
}

/** Polls /healthz until `done` holds; returns the last answer. */
export async function waitForHealth(herald: HeraldUnderTest, done: (health: Health) => boolean, options: { timeoutMs: number; everyMs?: number; what: string }): Promise<Health> {
  const deadline = performance.now() + options.timeoutMs;
  for (;;) {
    const health = await herald.health();
    if (done(health)) return health;
    if (performance.now() > deadline) throw new Error(`${options.what}: not reached within ${options.timeoutMs / 1000} s; /healthz said ${JSON.stringify(health.notifications)}`);
    await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? 50));
  }
}
