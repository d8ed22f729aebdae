/**
 * Herald in a child process, for crash tests: started with the environment it is given, trusting the
 * loopback CA in HERALD_TEST_CA_FILE, and printing `READY <url>` once it listens. The test kills it with SIGKILL.
 */
import { readFileSync } from 'node:fs';
import { createHerald } from '../../../src/app/createHerald.js';
import { loadConfig } from '../../../src/config/loadConfig.js';
import { trustCaForFetch } from '../../../sim/doubles/tls/trustCaForFetch.js';
import { createLogger, silentLogger } from '../../../src/log/createLogger.js';

const caFile = process.env.HERALD_TEST_CA_FILE;
if (caFile) trustCaForFetch(readFileSync(caFile, 'utf8'));
// HERALD_TEST_LOG=1: log at LOG_LEVEL to stdout (the parent keeps the output for failure messages).
const log = process.env.HERALD_TEST_LOG === '1' ? createLogger(process.env.LOG_LEVEL ?? 'info') : silentLogger();
const app = await createHerald(loadConfig(process.env), log);
const url = await app.start();
process.stdout.write(`READY ${url}\n`);
