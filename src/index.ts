import { ConfigError } from './config/ConfigError.js';
import { loadConfig } from './config/loadConfig.js';
import { readEnvFiles } from './config/readEnvFiles.js';
import { createLogger } from './log/createLogger.js';
import { runHerald } from './app/runHerald.js';

let config;
try {
  config = loadConfig(readEnvFiles(process.cwd(), process.env));
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
const log = createLogger(config.logLevel);
runHerald(config, log).catch((error: unknown) => {
  log.fatal({ err: error }, 'Herald could not start');
  process.exit(1);
});
