/**
 * Herald in a child process, for crash tests: started with the environment it is given, trusting the
 * loopback CA in HERALD_TEST_CA_FILE, and printing `READY <url>` once it listens. The test kills it with SIGKILL.
 */
import { readFileSync } from 'node:fs';
import { createHerald } from '../../../src/app/createHerald.js';
import { loadConfig } from '../../../src/config/loadConfig.js';
import { trustCaForFetch } from '../../../sim/doubles/tls/trustCaForFetch.js';
import { silentLogger } from '../../../src/log/createLogger.js';

const caFile = process.env.HERALD_TEST_CA_FILE;
if (caFile) trustCaForFetch(readFileSync(caFile, 'utf8'));
const app = await createHerald(loadConfig(process.env), silentLogger());
const url = await app.start();
process.stdout.write(`READY ${url}\n`);
