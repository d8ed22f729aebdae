/**
 * `npm start`: reads the configuration once and starts Herald live, or the playground when no
 * credentials are configured. This entry point is the only place that knows both: `src/` (the product)
 * never imports `sim/` (the simulator).
 */
import { ensureWritableDataDir } from '../src/app/ensureWritableDataDir.js';
import { describeStartFailure } from '../src/app/startFailure.js';
import { startLiveHerald } from '../src/app/startLiveHerald.js';
import { superviseProcess } from '../src/app/superviseProcess.js';
import { ConfigError } from '../src/config/ConfigError.js';
import { loadConfig } from '../src/config/loadConfig.js';
import { readEnvFiles } from '../src/config/readEnvFiles.js';
import { createLogger } from '../src/log/createLogger.js';

let config;
try {
  config = loadConfig(readEnvFiles(process.cwd(), process.env));
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n${error.advice}\n`);
    process.exit(1);
  }
  throw error;
}
const log = createLogger(config.logLevel);
// Either mode: DATA_DIR must be writable.
const start = ensureWritableDataDir(config.dataDir).then(() =>
  config.mode === 'playground'
    ? import('../sim/playground/runPlayground.js').then(({ runPlayground }) => runPlayground(config, log))
    : startLiveHerald(config, log),
);
superviseProcess(start, log);
start.catch(
  (error: unknown) => {
    const plain = describeStartFailure(error, config);
    if (plain) process.stderr.write(`${plain}\n`);
    else log.fatal({ err: error }, 'Herald could not start');
    process.exit(1);
  },
);
