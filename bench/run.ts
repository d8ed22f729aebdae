/**
 * `npm run bench`: the goals of issues 26 and 25, measured on real Herald processes (bin/herald.ts, as
 * `npm start` runs it) driven over HTTP by the simulator doubles, on the embedded store and on
 * PostgreSQL. Each figure is printed as soon as it is known, and all of them as one table at the end.
 *
 *   npm run bench                              both stores, 10 and 1,000 chats for the scale figures
 *   BENCH_CHATS=10,1000,10000 npm run bench    issue 25's sizes in full (10,000 chats take long today)
 *   BENCH_STORES=embedded npm run bench        one store
 *   npm run bench -- --cpu-prof                Herald under `node --cpu-prof`: top self-time functions after the table
 *
 * Each part also runs alone: bench/throughput.ts, bench/announce.ts, bench/killRecovery.ts, bench/scale.ts.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { announceBench } from './announce.js';
import { killRecoveryBench } from './killRecovery.js';
import { scaleBench, sizesFromEnv } from './scale.js';
import { storesFromEnv } from './support/benchStore.js';
import { figureSink, formatTable } from './support/figures.js';
import { throughputBench } from './throughput.js';

const cpuProfile = process.argv.includes('--cpu-prof') || process.env.BENCH_CPU_PROF === '1';
const stores = storesFromEnv();
const sizes = sizesFromEnv();
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
const machine = `${availableParallelism()} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`;
const startedAt = new Date();
process.stdout.write(`Herald benchmark, ${startedAt.toISOString()}, ${machine}, load average ${load()}\nstores: ${stores.join(', ')}; scale sizes: ${sizes.join(', ')} chats${cpuProfile ? '; CPU profiles on' : ''}\n\n`);

const sink = figureSink();
const notes: string[] = [];
for (const kind of stores) {
  for (const report of [
    await throughputBench(kind, { cpuProfile, onFigure: sink.add }),
    await announceBench(kind, { cpuProfile, onFigure: sink.add }),
    await killRecoveryBench(kind, { onFigure: sink.add }),
    await scaleBench(kind, { sizes, onFigure: sink.add }),
  ]) notes.push(...report.notes);
}

const minutes = (Date.now() - startedAt.getTime()) / 60_000;
process.stdout.write(`\n${formatTable(sink.figures)}\n\n${minutes.toFixed(1)} minutes; load average at the end ${load()} (1, 5, 15 min) on ${availableParallelism()} cores\n`);
for (const note of notes) process.stdout.write(`\n${note}\n`);
