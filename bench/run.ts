/**
 * `npm run bench`: Herald's benchmarks, one after another. Not tests: they measure and print.
 * The receive-path summary stays the last line (the issue asks for that line last).
 */
import { formatReceivePath, receivePathBenchmark } from './receivePath.js';

// Other benchmarks go here, before the receive path.

process.stdout.write('receive path (issue 4): notifications/s on one event loop, time to 202 under load\n');
process.stdout.write(`${formatReceivePath(await receivePathBenchmark())}\n`);
