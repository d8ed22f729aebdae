/**
 * Issue 26's kill -9 figure, on real Herald processes with the doubles, summary window 0: people join 40
 * chats (100 joins/s for 3 s); 1 s in, a Herald process is killed with SIGKILL. On the embedded store
 * the same Herald is started again at once (same DATA_DIR, same port; its start-up counts); on
 * PostgreSQL two instances run behind a round-robin proxy and the other one carries on. The figure is
 * the time from the kill until every join is announced (each was answered 202 before or after the
 * kill: Graph retries what was not answered).
 *
 * Alone: node --import tsx bench/killRecovery.ts   (BENCH_STORES=embedded|postgres)
 */
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { startRoundRobinProxy, type RoundRobinProxy } from '../test/support/process/roundRobinProxy.js';
import { openBenchStore, storesFromEnv, type StoreKind } from './support/benchStore.js';
import { startBenchWorld } from './support/benchWorld.js';
import { figureSink, type BenchReport, type Figure } from './support/figures.js';
import { freePort } from './support/freePort.js';
import { startHerald, type HeraldUnderTest } from './support/heraldUnderTest.js';
import { offerJoins } from './support/joins.js';

const CHATS = 40;
const JOINS_PER_SECOND = 100;
const SECONDS = 3;
const KILL_AFTER_MS = 1_000;
const GOAL_S = 15;

export async function killRecoveryBench(kind: StoreKind, options: { onFigure?: (figure: Figure) => void } = {}): Promise<BenchReport> {
  const world = await startBenchWorld();
  const store = await openBenchStore(kind);
  const instances = kind === 'postgres' ? 2 : 1;
  const ports = await Promise.all(Array.from({ length: instances }, () => freePort()));
  const dataDirs = await Promise.all(ports.map(() => mkdtemp(join(world.dir, `kill-${kind}-`))));
  let proxy: RoundRobinProxy | null = null;
  const heralds: HeraldUnderTest[] = [];
  try {
    if (instances > 1) {
      proxy = await startRoundRobinProxy(ports.map((port) => `http://127.0.0.1:${port}`));
      world.simulated.connectHerald(proxy.url);
    }
    const start = (i: number) => startHerald(world, { dataDir: dataDirs[i] as string, port: ports[i], env: store.env, publicUrl: proxy?.url });
    for (let i = 0; i < instances; i++) heralds.push(await start(i));
    const victim = heralds[0] as HeraldUnderTest;
    const chats = await world.installChats(victim, CHATS);
    await world.postAtOnce(chats);
    for (const h of heralds) await h.idle();

    let killedAt = 0;
    // Set inside the tick callback, which flow analysis does not follow.
    let restarted = null as Promise<HeraldUnderTest> | null;
    const count = JOINS_PER_SECOND * SECONDS;
    const offered = await offerJoins(world, chats, {
      count,
      perSecond: JOINS_PER_SECOND,
      timeoutMs: 180_000,
      duringTick: async (elapsedMs) => {
        if (killedAt || elapsedMs < KILL_AFTER_MS) return;
        await victim.kill();
        killedAt = performance.now();
        // The embedded store: the same Herald again at once (its start-up counts), while joins go on.
        if (instances === 1) restarted = start(0);
      },
    });
    if (restarted) heralds[0] = await restarted;
    const acceptedBeforeKill = offered.joins.filter((j) => j.acceptedAt !== null && j.acceptedAt < killedAt).length;
    const recovered = offered.lastAnnouncedAt === null ? Number.POSITIVE_INFINITY : (offered.lastAnnouncedAt - killedAt) / 1000;
    const missing = offered.joins.filter((j) => j.announcedAt === null).length;
    const figure: Figure = {
      name: `kill -9 mid-load → every join announced, by the ${instances === 1 ? 'restarted' : 'surviving'} instance`,
      store: kind,
      value: `${Number.isFinite(recovered) ? `${recovered.toFixed(1)} s` : `${missing} never announced (3 min)`} (${count} joins, ${acceptedBeforeKill} accepted before the kill)`,
      goal: `≤ ${GOAL_S} s`,
      pass: recovered <= GOAL_S,
    };
    options.onFigure?.(figure);
    return { figures: [figure], notes: [] };
  } finally {
    for (const h of heralds) await h.stop();
    await proxy?.stop();
    await store.drop();
    await world.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const sink = figureSink();
  for (const kind of storesFromEnv()) await killRecoveryBench(kind, { onFigure: sink.add });
}
