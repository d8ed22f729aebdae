/**
 * Issue 25's figures, on a real Herald process with the doubles, at N installed chats (BENCH_CHATS,
 * default 10,1000; 10000 when asked for): install rate end to end (Teams' bot events in, until both
 * chat subscriptions exist at the Graph double and the welcome is at the Bot Connector), then history
 * (someone joins every chat, 100 joins/s offered, until all are announced), RSS once idle,
 * /healthz latency, bytes written per announced join (window 0, one join at a time; everything the
 * process writes — /proc/<pid>/io wchar: files, sockets, pipes — and the storage part, write_bytes),
 * accepted → post with 1,000 busy chats (N ≥ 1,000), and a restart (SIGTERM, start again on the same
 * store) until /healthz is healthy with every subscription reconciled and nothing running.
 *
 * Alone: node --import tsx bench/scale.ts   (BENCH_STORES, BENCH_CHATS=10,1000,10000)
 */
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { latencyFigures } from './announce.js';
import { openBenchStore, storesFromEnv, type StoreKind } from './support/benchStore.js';
import { startBenchWorld, type InstalledChat } from './support/benchWorld.js';
import { figureSink, kib, ms, rate, type BenchReport, type Figure } from './support/figures.js';
import { freePort } from './support/freePort.js';
import { startHerald, waitForHealth } from './support/heraldUnderTest.js';
import { joinLatency, offerJoins, trackJoins } from './support/joins.js';
import { percentiles } from './support/measure.js';

export const DEFAULT_SIZES = [10, 1_000];
const JOINS = 30;
const BUSY_CHATS = 1_000;

export function sizesFromEnv(): number[] {
  const sizes = (process.env.BENCH_CHATS ?? DEFAULT_SIZES.join(',')).split(',').map((s) => Number(s.trim()));
  for (const n of sizes) if (!Number.isInteger(n) || n < 1) throw new Error(`BENCH_CHATS: '${String(n)}' is not a number of chats (e.g. BENCH_CHATS=10,1000,10000)`);
  return sizes;
}

interface SizeResult {
  chats: number;
  bytesPerJoin: number;
}

async function atSize(kind: StoreKind, chatCount: number, add: (figure: Figure) => void, notes: string[]): Promise<SizeResult> {
  const world = await startBenchWorld();
  const store = await openBenchStore(kind);
  const dataDir = await mkdtemp(join(world.dir, `scale-${kind}-`));
  const port = await freePort();
  let herald = await startHerald(world, { dataDir, port, env: store.env });
  const at = `${chatCount.toLocaleString('en-US')} chats`;
  try {
    const t0 = performance.now();
    const chats = await world.installChats(herald, chatCount, { timeoutMs: 3_600_000 });
    const installPerSecond = chatCount / ((performance.now() - t0) / 1000);
    add({ name: `install rate end to end, ${at}`, store: kind, value: `${installPerSecond.toFixed(1)} chats/s`, goal: '≥ 20/s', pass: installPerSecond >= 20 });

    const busy = chats.slice(0, Math.min(chatCount, BUSY_CHATS));
    await world.postAtOnce(busy);
    await herald.idle();
    // History: someone joins every chat once (announced at window 0 in the busy chats, in a summary after the default window elsewhere).
    // A join Herald never announces is a finding, not a reason to wait forever: 2 minutes after the rest are idle.
    const seeded = await offerJoins(world, chats, { count: chatCount, perSecond: 100, timeoutMs: 120_000 + chatCount * 200 });
    await herald.idle();
    const unannounced = seeded.joins.filter((j) => j.announcedAt === null).length;
    add({
      name: `history: a join in every chat, ${at}, announced`,
      store: kind,
      value: seeded.lastAnnouncedAt === null ? `${unannounced} of ${chatCount} never announced` : rate(chatCount / ((seeded.lastAnnouncedAt - seeded.startedAt) / 1000)),
      goal: 'every join',
      pass: unannounced === 0,
    });
    if (unannounced > 0) notes.push(`Herald's last log lines (LOG_LEVEL=warn) after ${unannounced} joins in ${at} on ${kind} were not announced:\n${herald.output().trim().split('\n').slice(-30).join('\n')}`);
    const rssMB = ((await herald.rssMiB()) * 1024 * 1024) / 1e6;
    add({ name: `RSS once idle, ${at}`, store: kind, value: `${Math.round(rssMB)} MB`, goal: '< 300 MB', pass: rssMB < 300 });

    const probes: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      await herald.health();
      probes.push(performance.now() - started);
    }
    const probe = percentiles(probes);
    add({ name: `/healthz answer, ${at}, p99 of 20`, store: kind, value: `${ms(probe.p99)} (p50 ${ms(probe.p50)})`, goal: '< 50 ms', pass: probe.p99 < 50 });

    // One join at a time, each announced before the next.
    const tracker = trackJoins(world);
    const before = await herald.written();
    try {
      for (let i = 0; i < JOINS; i++) await tracker.announced([tracker.join(busy[i % busy.length] as InstalledChat)], 60_000);
    } finally {
      tracker.close();
    }
    await herald.idle();
    const after = await herald.written();
    // wchar counts every write call (files, sockets, pipes); write_bytes what reached storage, in whole
    // pages: the larger of the two is judged.
    const bytesPerJoin = Math.max(after.all - before.all, after.storage - before.storage) / JOINS;
    add({
      name: `bytes written per announced join, ${at} (${JOINS} one at a time)`,
      store: kind,
      value: `${kib(bytesPerJoin)} (write calls ${kib((after.all - before.all) / JOINS)}, storage ${kib((after.storage - before.storage) / JOINS)})`,
      goal: '< 40 KiB',
      pass: bytesPerJoin < 40 * 1024,
    });

    if (chatCount >= BUSY_CHATS) for (const f of latencyFigures(kind, busy.length, await joinLatency(world, busy, { count: 200, perSecond: 20 }))) add(f);

    await herald.stop();
    const restartedAt = performance.now();
    herald = await startHerald(world, { dataDir, port, env: store.env });
    const expected = 2 * chatCount;
    const settled = await waitForHealth(herald, (h) => h.subscriptions?.startupReconcile !== 'running', { timeoutMs: 600_000, everyMs: 200, what: 'restart' });
    const { subscriptions = 0, problems = [], startupReconcile } = settled.subscriptions ?? {};
    if (startupReconcile !== 'done' || subscriptions < expected || problems.length > 0) throw new Error(`restart with ${at}: reconcile ${String(startupReconcile)}, ${subscriptions} of ${expected} subscriptions, problems ${JSON.stringify(problems)}`);
    await herald.idle(600_000);
    const restartS = (performance.now() - restartedAt) / 1000;
    add({ name: `restart until healthy and reconciled, ${at}`, store: kind, value: `${restartS.toFixed(1)} s`, goal: '< 60 s', pass: restartS < 60 });
    return { chats: chatCount, bytesPerJoin };
  } finally {
    await herald.stop();
    await store.drop();
    await world.close();
  }
}

export async function scaleBench(kind: StoreKind, options: { sizes?: number[]; onFigure?: (figure: Figure) => void } = {}): Promise<BenchReport> {
  const figures: Figure[] = [];
  const add = (figure: Figure) => {
    figures.push(figure);
    options.onFigure?.(figure);
  };
  const results: SizeResult[] = [];
  const notes: string[] = [];
  for (const n of options.sizes ?? sizesFromEnv()) results.push(await atSize(kind, n, add, notes));
  const small = results[0];
  const big = results.at(-1);
  if (small && big && big !== small) {
    const ratio = big.bytesPerJoin / small.bytesPerJoin;
    add({ name: `bytes per join at ${big.chats.toLocaleString('en-US')} vs ${small.chats.toLocaleString('en-US')} chats`, store: kind, value: `${ratio.toFixed(2)}×`, goal: '≤ 2×', pass: ratio <= 2 });
  }
  return { figures, notes };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const sink = figureSink();
  for (const kind of storesFromEnv()) await scaleBench(kind, { onFigure: sink.add });
}
