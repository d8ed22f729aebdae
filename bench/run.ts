/**
 * `npm run bench`: Herald's benchmarks, one after another. Not tests: they measure and print.
 * The receive-path summary stays the last line (the issue asks for that line last).
 */
import { announceLatency } from './announceLatency.js';
import { formatReceivePath, receivePathBenchmark } from './receivePath.js';
import { appAtScale, formatAppScale } from './appScale.js';
import { formatSoakReport, runSubscriptionsSoak } from './subscriptionsSoak.js';
import { formatTroubleSoak, runTroubleSoak } from './troubleSoak.js';

process.stdout.write('subscriptions (issue 5): 100 chats in 3 tenants, 7 simulated days, fake clock\n');
process.stdout.write(`${formatSoakReport(await runSubscriptionsSoak())}\n\n`);

process.stdout.write('trouble (issue 13): 100 chats in 3 tenants, 7 simulated days of 429/503s, lifecycle events, two restarts and a kill\n');
process.stdout.write(`${formatTroubleSoak(await runTroubleSoak())}\n\n`);

process.stdout.write('announcements (issue 6): notification accepted (202) → post at the Bot Connector, window 0, 100 chats\n');
const latency = await announceLatency();
process.stdout.write(
  `announce latency: median ${latency.medianMs} ms, p99 ${latency.p99Ms} ms, max ${latency.maxMs} ms over ${latency.samples} posts in ${latency.chats} chats (${latency.cpuMsPerPost} ms CPU per post)\n\n`,
);

// The whole app at 1,000 chats already takes about 10 minutes on two cores (install at a few chats/s, a restart reconcile of minutes,
// most of it in the doubles); 10,000 was not run. BENCH_APP_CHATS=10,1000,10000 to include it.
const appSizes = (process.env.BENCH_APP_CHATS ?? '10,1000').split(',').map(Number);
process.stdout.write(`the whole app at scale (issue 17): playground doubles, ${appSizes.join(', ')} chats, joins one at a time, restart\n`);
for (const n of appSizes) process.stdout.write(`${formatAppScale(await appAtScale(n, 30))}\n`);
process.stdout.write('\n');

process.stdout.write('receive path on PostgreSQL (issue 15): the same, with Herald\'s state in PostgreSQL (a fresh schema per run)\n');
process.stdout.write(`${formatReceivePath(await receivePathBenchmark({ store: 'postgres' }))}\n\n`);

process.stdout.write('receive path (issues 4, 17): notifications/s with the RSA unwrap in worker threads and inline, time to 202 under load\n');
process.stdout.write(`${formatReceivePath(await receivePathBenchmark())}\n`);
