/**
 * `npm run bench`: Herald's benchmarks, one after another. Not tests: they measure and print.
 * The receive-path summary stays the last line (the issue asks for that line last).
 */
import { announceLatency } from './announceLatency.js';
import { formatReceivePath, receivePathBenchmark } from './receivePath.js';
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

process.stdout.write('receive path (issue 4): notifications/s on one event loop, time to 202 under load\n');
process.stdout.write(`${formatReceivePath(await receivePathBenchmark())}\n`);
