/**
 * Issue 26's throughput figures, on a real Herald process with the doubles: encrypted no-op chat updates
 * (2,000 items, POSTs of 20, 4 in flight) counted as processed by /healthz, for one chat and spread over
 * 40 chats, with Herald restricted to one core (its unwrap pool on, sharing that core) beside the
 * single-core RSA-2048 OAEP floor measured in this process in the same run; 40 chats with both cores;
 * time to 202 at 200 single-item POSTs/s for 5 s while processing; and on PostgreSQL two instances
 * behind a round-robin proxy against one behind the same proxy.
 *
 * Alone: node --import tsx bench/throughput.ts   (BENCH_STORES=embedded|postgres, BENCH_CPU_PROF=1)
 */
import { mkdtemp } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { startRoundRobinProxy } from '../test/support/process/roundRobinProxy.js';
import { openBenchStore, storesFromEnv, type StoreKind } from './support/benchStore.js';
import { startBenchWorld } from './support/benchWorld.js';
import { summariseProfiles } from './support/cpuProfile.js';
import { figureSink, ms, rate, type BenchReport, type Figure } from './support/figures.js';
import { startHerald, type HeraldUnderTest } from './support/heraldUnderTest.js';
import { percentiles, pinProcess, rsaFloorPerSecond, sleep } from './support/measure.js';
import { chatUpdateTargets, startLoad, type LoadPlan, type LoadResult, type LoadShape } from './support/notificationLoad.js';

export interface ThroughputOptions {
  /** Items per throughput run (default 2,000). */
  items?: number;
  /** Write CPU profiles of the Herald processes and summarise them in the notes. */
  cpuProfile?: boolean;
  /** Called with each figure as soon as it is known. */
  onFigure?: (figure: Figure) => void;
}

const CHATS = 40;
const BATCH: Pick<LoadShape, 'itemsPerPost'> & { mode: 'burst'; inFlight: number } = { itemsPerPost: 20, mode: 'burst', inFlight: 4 };

interface Processed {
  perSecond: number;
  seconds: number;
  load: LoadResult;
  /** Of the items, how many Herald handed on as changes (the rest arrived after a newer update of their chat: stale). */
  emitted: number;
}

/** Sends the load and waits until the instances' /healthz count every item processed. */
async function processedRate(heralds: readonly HeraldUnderTest[], url: string, targets: Pick<LoadPlan, 'subscriptions' | 'validationTokens'>, shape: LoadShape): Promise<Processed> {
  const counts = async () => {
    const all = await Promise.all(heralds.map((h) => h.health()));
    return {
      processed: all.reduce((n, h) => n + h.notifications.processed, 0),
      dropped: all.reduce((n, h) => n + h.notifications.dropped, 0),
      emitted: all.reduce((n, h) => n + h.notifications.emitted, 0),
      reasons: all.map((h) => h.notifications.droppedByReason),
    };
  };
  const before = await counts();
  const load = startLoad(url, targets, shape);
  await load.ready;
  const started = performance.now();
  const sent = load.go();
  let result: LoadResult | null = null;
  void sent.then((r) => (result = r));
  for (;;) {
    await sleep(50);
    const now = await counts();
    if (now.dropped > before.dropped) throw new Error(`Herald dropped benchmark items: ${JSON.stringify(now.reasons)}`);
    const finished = result as LoadResult | null;
    if (finished && finished.failures > 0) throw new Error(`${finished.failures} POSTs were not answered 202`);
    if (now.processed - before.processed >= shape.items) break;
    if (performance.now() - started > 600_000) throw new Error(`only ${now.processed - before.processed} of ${shape.items} items processed in 10 minutes`);
  }
  const seconds = (performance.now() - started) / 1000;
  const emitted = (await counts()).emitted - before.emitted;
  return { perSecond: shape.items / seconds, seconds, load: await sent, emitted };
}

export async function throughputBench(kind: StoreKind, options: ThroughputOptions = {}): Promise<BenchReport> {
  // A world of its own: subscriptions of an earlier Herald would keep the doubles delivering to it.
  const world = await startBenchWorld();
  const items = options.items ?? 2_000;
  const figures: Figure[] = [];
  const add = (figure: Figure) => {
    figures.push(figure);
    options.onFigure?.(figure);
  };
  const notes: string[] = [];
  const store = await openBenchStore(kind);
  const heralds: HeraldUnderTest[] = [];
  const profileDirs: string[] = [];
  const start = async (publicUrl?: string) => {
    const dataDir = await mkdtemp(join(world.dir, `throughput-${kind}-`));
    const cpuProfileDir = options.cpuProfile ? join(dataDir, 'cpu-profile') : undefined;
    if (cpuProfileDir) profileDirs.push(cpuProfileDir);
    const herald = await startHerald(world, { dataDir, env: store.env, publicUrl, cpuProfileDir });
    heralds.push(herald);
    return herald;
  };
  try {
    const herald = await start();
    const chats = await world.installChats(herald, CHATS);
    const forty = await chatUpdateTargets(world, chats);
    const one = { ...forty, subscriptions: forty.subscriptions.slice(0, 1) };
    // Warm-up: JIT, signing keys fetched, connections open.
    await processedRate([herald], herald.url, forty, { ...BATCH, items: 200 });
    await herald.idle();

    const floorBefore = rsaFloorPerSecond();
    const allCpus = `0-${availableParallelism() - 1}`;
    await pinProcess(herald.pid, '0');
    const oneChat = await processedRate([herald], herald.url, one, { ...BATCH, items });
    const fortyChats = await processedRate([herald], herald.url, forty, { ...BATCH, items });
    await pinProcess(herald.pid, allCpus);
    const bothCores = kind === 'embedded' ? await processedRate([herald], herald.url, forty, { ...BATCH, items }) : null;
    const floor = Math.max(floorBefore, rsaFloorPerSecond());
    const floorText = `RSA ${rate(floor)} (1 core)`;
    const ratioFigure = (name: string, r: Processed, goal: number): Figure => ({
      name,
      store: kind,
      value: `${rate(r.perSecond)} = ${(r.perSecond / floor).toFixed(2)}× (${Math.round((100 * (items - r.emitted)) / items)}% stale)`,
      goal: `≥ ${goal}× floor`,
      floor: floorText,
      pass: r.perSecond >= goal * floor,
    });
    add(ratioFigure(`no-op updates processed, 1 chat, Herald on 1 core`, oneChat, 0.7));
    add(ratioFigure(`no-op updates processed, ${CHATS} chats, Herald on 1 core`, fortyChats, 0.7));
    if (bothCores) add(ratioFigure(`no-op updates processed, ${CHATS} chats, Herald on ${availableParallelism()} cores`, bothCores, 1.2));

    // Time to 202 while processing: single-item POSTs at a steady 200/s for 5 s.
    await herald.idle();
    const steady = await processedRate([herald], herald.url, forty, { items: 1_000, itemsPerPost: 1, mode: 'rate', postsPerSecond: 200 });
    const p = percentiles(steady.load.latenciesMs);
    add({ name: 'time to 202, 200 single-item POSTs/s for 5 s, p99', store: kind, value: `${ms(p.p99)} (p50 ${ms(p.p50)}, max ${ms(p.max)})`, goal: '< 50 ms', pass: p.p99 < 50 });

    if (kind === 'postgres') {
      // One instance and two behind the same round-robin proxy, both cores free to either.
      await herald.idle();
      const single = await startRoundRobinProxy([herald.url]);
      const alone = await processedRate([herald], single.url, forty, { ...BATCH, items }).finally(() => single.stop());
      const second = await start(herald.url);
      const pair = await startRoundRobinProxy([herald.url, second.url]);
      const together = await processedRate([herald, second], pair.url, forty, { ...BATCH, items }).finally(() => pair.stop());
      add({ name: `no-op updates processed, ${CHATS} chats, 1 instance behind the proxy`, store: kind, value: rate(alone.perSecond), goal: '', pass: null });
      add({ name: `no-op updates processed, ${CHATS} chats, 2 instances behind the proxy`, store: kind, value: `${rate(together.perSecond)} = ${(together.perSecond / alone.perSecond).toFixed(2)}× one`, goal: '≥ 1× one instance', pass: together.perSecond >= alone.perSecond });
    }
  } finally {
    for (const h of heralds) await h.stop();
    // Written by each process as it exits; read before the scratch directory goes.
    for (const [i, dir] of profileDirs.entries()) notes.push(`CPU profile, throughput on ${kind}, instance ${i + 1}:\n${await summariseProfiles(dir)}`);
    await store.drop();
    await world.close();
  }
  return { figures, notes };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const sink = figureSink();
  for (const kind of storesFromEnv()) {
    const report = await throughputBench(kind, { cpuProfile: process.env.BENCH_CPU_PROF === '1', onFigure: sink.add });
    for (const note of report.notes) process.stdout.write(`${note}\n`);
  }
}
