/**
 * Embedded store at scale (issue 17): the file store driven directly, with records the size Herald's
 * own are (traced from a playground join: a 5.5 KB inbox batch, two change logs, the chat's state, a
 * history entry, an outbox post), at N = 10, 1,000 and 10,000 installed chats. Figures: time and bytes
 * written per install and per join (three back-to-back runs), and, in a fresh process, the time to open
 * the store with 10,000 chats (20,000 subscriptions), to adopt every subscription as a restart does, and
 * the RSS once open. Bytes written are the process's `wchar` (/proc/self/io), so rewrites and compaction
 * count too.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { emptyChatState, type ChatState } from '../src/model/chat.js';
import type { HistoryEntry } from '../src/model/history.js';
import type { InboxBatch, OutboxPost } from '../src/model/inbox.js';
import type { Installation } from '../src/model/installation.js';
import type { SubscriptionKind, SubscriptionRecord } from '../src/model/subscription.js';
import type { ResourceChangeLog } from '../src/storage/HeraldStore.js';
import { LogStore } from '../src/storage/log/LogStore.js';

const TENANT = '11111111-2222-3333-4444-555555555555';
const pad = (chars: number) => 'x'.repeat(chars);
const now = () => new Date().toISOString();

async function bytesWritten(): Promise<number> {
  const io = await readFile('/proc/self/io', 'utf8').catch(() => '');
  return Number(/wchar:\s*(\d+)/.exec(io)?.[1] ?? Number.NaN);
}

const chatIdOf = (i: number) => `19:bench-${i}@thread.v2`;

function installation(chatId: string): Installation {
  return {
    chatId, tenantId: TENANT, serviceUrl: 'https://smba.trafficmanager.net/emea/',
    conversationReference: { conversation: { id: chatId, isGroup: true, conversationType: 'groupChat', name: '' } },
    status: 'installed', installedAt: now(), uninstalledAt: null, uninstallReason: null, lastActivityAt: now(),
  };
}

function subscription(chatId: string, kind: SubscriptionKind): SubscriptionRecord {
  return {
    id: randomUUID(), kind, tenantId: TENANT, chatId, resource: kind === 'chat' ? `/chats/${chatId}` : `/chats/${chatId}/members`,
    changeType: kind === 'chat' ? 'updated' : 'created,deleted', clientState: randomUUID() + randomUUID(),
    expirationDateTime: now(), encryptionCertificateId: 'herald-cert-0123456789abcdef', createdAt: now(),
    lastRenewedAt: null, lastNotificationAt: null, lastError: null,
  };
}

function chatState(chatId: string, members: number): ChatState {
  const roster: ChatState['roster'] = {};
  for (let i = 0; i < members; i++) roster[`u${i}`] = { userId: `u${i}`, displayName: `Person ${i}`, tenantId: TENANT, roles: [], changedAt: now(), present: true };
  return { ...emptyChatState(chatId, TENANT), topic: `Chat ${chatId}`, baselineAt: now(), topicUpdatedAt: now(), roster };
}

const history = (chatId: string, actor: string): HistoryEntry => ({ id: randomUUID(), chatId, at: now(), kind: 'joined', actor, userId: randomUUID(), guest: false, external: false });
const batch = (): InboxBatch => ({ id: randomUUID(), route: 'notifications', receivedAt: now(), body: { value: [{ encryptedContent: { data: pad(5300) } }] } });
const post = (chatId: string): OutboxPost => ({ id: randomUUID(), chatId, activity: { type: 'message', text: pad(700) }, createdAt: now(), attempts: 0, notBefore: now() });
const changeLog = (key: string): ResourceChangeLog => ({ key, latestStamp: now(), changes: { [`created|${randomUUID()}`]: { changeKey: pad(500), at: now(), reporters: [randomUUID()], superseded: false } } });

async function install(store: LogStore, chatId: string): Promise<void> {
  await store.installations.put(chatId, installation(chatId));
  await store.chats.put(chatId, chatState(chatId, 3));
  for (const kind of ['chatMembers', 'chat'] as const) {
    const record = subscription(chatId, kind);
    await store.subscriptions.put(record.id, record);
  }
  await store.history.append({ ...history(chatId, 'Herald'), kind: 'installed' });
}

/** One announced join as Herald stores it: accept (durable), dedupe, state + history + post, done. */
async function announceJoin(store: LogStore, chatId: string, n: number): Promise<void> {
  const accepted = batch();
  await store.inbox.put(accepted.id, accepted);
  await Promise.all([store.changeLogs.put(`${TENANT}|member:${chatId}:${n}`, changeLog(`${TENANT}|member:${chatId}:${n}`)), store.changeLogs.put(`${TENANT}|chat:${chatId}`, changeLog(`${TENANT}|chat:${chatId}`))]);
  const outgoing = post(chatId);
  await Promise.all([
    store.chats.update(chatId, (s) => ({ ...(s ?? chatState(chatId, 3)), topicUpdatedAt: now() })),
    store.history.append(history(chatId, `Joiner ${n}`)),
    store.outbox.put(outgoing.id, outgoing),
  ]);
  await store.inbox.delete(accepted.id);
  await store.outbox.delete(outgoing.id);
}

interface Rate { msPer: number; bytesPer: number; cpuMsPer?: number; maxStallMs?: number }

async function measure(count: number, each: (i: number) => Promise<void>): Promise<Rate> {
  const bytes0 = await bytesWritten();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const stalls = monitorEventLoopDelay({ resolution: 5 });
  stalls.enable();
  for (let i = 0; i < count; i++) await each(i);
  stalls.disable();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { msPer: ms / count, bytesPer: ((await bytesWritten()) - bytes0) / count, cpuMsPer: (cpu.user + cpu.system) / 1000 / count, maxStallMs: stalls.max / 1e6 };
}

export interface ScaleResult { chats: number; install: Rate; joins: Rate[] }

/** Runs `count` jobs, `concurrency` at a time (installs arrive in parallel; the store groups their writes). */
async function pool(count: number, concurrency: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(count, concurrency) }, async () => {
    while (next < count) await job(next++);
  }));
}

/**
 * Installs `chats` chats (50 at a time; time and bytes per chat are totals divided by `chats`, so they
 * include the snapshots written along the way), reopens the store, then runs three back-to-back runs of
 * `joinsPerRun` joins, one at a time, round robin over the chats.
 */
export async function storeAtScale(chats: number, joinsPerRun = 3000, keepDir?: (dir: string) => Promise<void>): Promise<ScaleResult> {
  const dir = await mkdtemp(join(tmpdir(), 'herald-bench-store-'));
  try {
    let store = await LogStore.open(dir);
    const bytes0 = await bytesWritten();
    const t0 = performance.now();
    await pool(chats, 50, (i) => install(store, chatIdOf(i)));
    await store.compacted();
    const installRate = { msPer: (performance.now() - t0) / chats, bytesPer: ((await bytesWritten()) - bytes0) / chats };
    await store.close();
    store = await LogStore.open(dir);
    await store.compacted();
    const joins: Rate[] = [];
    for (let run = 0; run < 3; run++) joins.push(await measure(joinsPerRun, (i) => announceJoin(store, chatIdOf(i % chats), run * joinsPerRun + i)));
    await store.close();
    await keepDir?.(dir);
    return { chats, install: installRate, joins };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface RestartResult { openMs: number; adoptMs: number; subscriptions: number; rssMb: number }

/** In this process: open the store in `dir`, then adopt every subscription (one update each, as reconcile does). */
async function restartHere(dir: string): Promise<RestartResult> {
  const t0 = performance.now();
  const store = await LogStore.open(dir);
  const openMs = performance.now() - t0;
  const ids = store.subscriptions.list().map((s) => s.id);
  const t1 = performance.now();
  for (const id of ids) await store.subscriptions.update(id, (s) => (s ? { ...s, lastRenewedAt: now() } : s));
  const adoptMs = performance.now() - t1;
  await store.close();
  globalThis.gc?.();
  return { openMs, adoptMs, subscriptions: ids.length, rssMb: process.memoryUsage().rss / 1024 / 1024 };
}

/** A restart measured in a fresh process, so the RSS is the open store's alone. */
async function restartInChild(dir: string): Promise<RestartResult> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--restart', dir], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as RestartResult;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const ms = (value: number) => `${value.toFixed(2)} ms`;
const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');

export async function storeScaleReport(sizes = [10, 1_000, 10_000]): Promise<string> {
  const lines: string[] = [];
  const results: ScaleResult[] = [];
  let restart: RestartResult | null = null;
  for (const n of sizes) {
    const largest = n === Math.max(...sizes);
    const result = await storeAtScale(n, 3000, largest ? async (dir) => void (restart = await restartInChild(dir)) : undefined);
    results.push(result);
    lines.push(
      `store, ${n} chats: install ${ms(result.install.msPer)} and ${kb(result.install.bytesPer)} per chat (50 at a time); join ${result.joins.map((j) => `${ms(j.msPer)} (${ms(j.cpuMsPer ?? Number.NaN)} CPU)/${kb(j.bytesPer)}`).join(', ')} per join (3 runs of 3000)`,
    );
  }
  const small = results[0];
  const big = results[results.length - 1];
  const avg = (r: ScaleResult, f: (j: Rate) => number) => r.joins.reduce((s, j) => s + f(j), 0) / r.joins.length;
  const bytesRatio = avg(big, (j) => j.bytesPer) / avg(small, (j) => j.bytesPer);
  const timeRatio = avg(big, (j) => j.msPer) / avg(small, (j) => j.msPer);
  lines.push(`bytes per join at ${big.chats} vs ${small.chats} chats: ${bytesRatio.toFixed(2)}× (goal ≤ 2×): ${verdict(bytesRatio <= 2)}`);
  lines.push(`time per join at ${big.chats} vs ${small.chats} chats: ${timeRatio.toFixed(2)}× (goal ≤ 2×): ${verdict(timeRatio <= 2)}`);
  const meanBytes = Math.max(...results.map((r) => avg(r, (j) => j.bytesPer)));
  lines.push(`bytes written per announced join, snapshots included (mean of 3 runs, largest of the sizes): ${kb(meanBytes)} (goal < 20 KB): ${verdict(meanBytes < 20 * 1024)}`);
  const spreadOf = (f: (j: Rate) => number) => Math.max(...results.map((r) => Math.max(...r.joins.map(f)) / Math.min(...r.joins.map(f)) - 1));
  const wall = spreadOf((j) => j.msPer);
  const cpu = spreadOf((j) => j.cpuMsPer ?? Number.NaN);
  lines.push(`back-to-back runs, worst spread per join: CPU ${(cpu * 100).toFixed(0)}%, wall clock ${(wall * 100).toFixed(0)}% (goal within 10%): CPU ${verdict(cpu <= 0.1)}, wall clock ${verdict(wall <= 0.1)} (load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores)`);
  const stall = Math.max(...results.flatMap((r) => r.joins.map((j) => j.maxStallMs ?? 0)));
  lines.push(`longest event-loop stall during the join runs (snapshots written meanwhile): ${stall.toFixed(0)} ms`);
  const r = restart as RestartResult | null;
  if (r) {
    const total = (r.openMs + r.adoptMs) / 1000;
    lines.push(`restart with ${big.chats} chats: open ${(r.openMs / 1000).toFixed(2)} s + adopt ${r.subscriptions} subscriptions ${(r.adoptMs / 1000).toFixed(2)} s = ${total.toFixed(1)} s of storage (goal: reconciled < 60 s): ${verdict(total < 60)}`);
    lines.push(`RSS with ${big.chats} chats open: ${r.rssMb.toFixed(0)} MB (goal < 300 MB): ${verdict(r.rssMb < 300)}`);
  }
  return lines.join('\n');
}

// node --import tsx bench/storeScale.ts [10,1000,10000]   (or --restart DIR, used by the benchmark itself)
if (import.meta.url === `file://${process.argv[1]}`) {
  const restartAt = process.argv.indexOf('--restart');
  const job = restartAt > 0
    ? restartHere(process.argv[restartAt + 1]).then((r) => JSON.stringify(r))
    : storeScaleReport(process.argv[2]?.split(',').map(Number));
  job.then(
    (out) => console.log(out),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
