/**
 * Issue 26's announcement figures, on a real Herald process with the doubles, summary window 0: people
 * join 40 chats as fast as offered (600 joins/s asked for 2 s), announced per second (every join named in a
 * post at the Bot Connector double; Herald summarises what piles up under Teams' posting limits); and
 * accepted → post for joins one after another in one busy chat (the same with 1,000 busy chats is a
 * figure of bench/scale.ts, which installs that many).
 *
 * Alone: node --import tsx bench/announce.ts   (BENCH_STORES=embedded|postgres, BENCH_CPU_PROF=1)
 */
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openBenchStore, storesFromEnv, type StoreKind } from './support/benchStore.js';
import { startBenchWorld } from './support/benchWorld.js';
import { summariseProfiles } from './support/cpuProfile.js';
import { figureSink, ms, rate, type BenchReport, type Figure } from './support/figures.js';
import { startHerald } from './support/heraldUnderTest.js';
import { joinLatency, offerJoins } from './support/joins.js';
import type { Percentiles } from './support/measure.js';

export interface AnnounceOptions {
  cpuProfile?: boolean;
  onFigure?: (figure: Figure) => void;
}

const CHATS = 40;
const OFFERED_PER_SECOND = 600;
const OFFERED_SECONDS = 2;

export function latencyFigures(kind: StoreKind, busy: number, p: Percentiles): Figure[] {
  return [
    { name: `accepted → post, window 0, ${busy.toLocaleString('en-US')} busy chat${busy === 1 ? '' : 's'}, p50`, store: kind, value: `${ms(p.p50)} (${p.count} joins)`, goal: '< 50 ms', pass: p.p50 < 50 },
    { name: `accepted → post, window 0, ${busy.toLocaleString('en-US')} busy chat${busy === 1 ? '' : 's'}, p99`, store: kind, value: `${ms(p.p99)} (max ${ms(p.max)})`, goal: '< 250 ms', pass: p.p99 < 250 },
  ];
}

export async function announceBench(kind: StoreKind, options: AnnounceOptions = {}): Promise<BenchReport> {
  // A world of its own: subscriptions of an earlier Herald would keep the doubles delivering to it.
  const world = await startBenchWorld();
  const figures: Figure[] = [];
  const notes: string[] = [];
  const add = (figure: Figure) => {
    figures.push(figure);
    options.onFigure?.(figure);
  };
  const store = await openBenchStore(kind);
  const dataDir = await mkdtemp(join(world.dir, `announce-${kind}-`));
  const cpuProfileDir = options.cpuProfile ? join(dataDir, 'cpu-profile') : undefined;
  const herald = await startHerald(world, { dataDir, env: store.env, cpuProfileDir });
  try {
    const chats = await world.installChats(herald, CHATS);
    await world.postAtOnce(chats);
    await herald.idle();
    // Warm-up: one join per chat.
    await joinLatency(world, chats, { count: CHATS, perSecond: 20 });
    await herald.idle();

    const count = OFFERED_PER_SECOND * OFFERED_SECONDS;
    const offered = await offerJoins(world, chats, { perSecond: OFFERED_PER_SECOND, count });
    if (offered.lastAnnouncedAt === null) throw new Error(`joins offered at ${OFFERED_PER_SECOND}/s: not all announced within 5 minutes`);
    const announcedPerSecond = count / ((offered.lastAnnouncedAt - offered.startedAt) / 1000);
    add({
      name: `joins announced, window 0, ${CHATS} chats`,
      store: kind,
      value: `${rate(announcedPerSecond)} (${rate(offered.offeredPerSecond)} sent of ${rate(OFFERED_PER_SECOND)} asked)`,
      goal: '≥ 500/s',
      pass: announcedPerSecond >= 500,
    });
    await herald.idle();
    // One busy chat: a join every 600 ms stays under Teams' per-chat limits (60 posts in 30 s).
    for (const f of latencyFigures(kind, 1, await joinLatency(world, chats.slice(0, 1), { count: 20, perSecond: 1.6 }))) add(f);
  } finally {
    await herald.stop();
    // Written as the process exits; read before the scratch directory goes.
    if (cpuProfileDir) notes.push(`CPU profile, announcements on ${kind}:\n${await summariseProfiles(cpuProfileDir)}`);
    await store.drop();
    await world.close();
  }
  return { figures, notes };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const sink = figureSink();
  for (const kind of storesFromEnv()) {
    const report = await announceBench(kind, { cpuProfile: process.env.BENCH_CPU_PROF === '1', onFigure: sink.add });
    for (const note of report.notes) process.stdout.write(`${note}\n`);
  }
}
