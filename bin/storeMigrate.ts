/**
 * `npm run store:migrate -- --from ./data`: copies an embedded store (a DATA_DIR) into the PostgreSQL
 * database in DATABASE_URL, creating its schema first. Stop Herald before running it.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../src/config/ConfigError.js';
import { loadConfig } from '../src/config/loadConfig.js';
import { readEnvFiles } from '../src/config/readEnvFiles.js';
import { copyEmbeddedStore, readEmbeddedExtras } from '../src/storage/copyEmbeddedStore.js';
import { hasEmbeddedStore } from '../src/storage/embeddedStoreFiles.js';
import { LowdbStore } from '../src/storage/LowdbStore.js';
import { PostgresStore } from '../src/storage/postgres/PostgresStore.js';
import { StoreMigrationError, StoreUnavailableError } from '../src/storage/StoreErrors.js';

function fail(message: string): never {
  process.stderr.write(`store:migrate: ${message}\n`);
  process.exit(1);
}

let options: { from?: string };
try {
  options = parseArgs({ options: { from: { type: 'string' } } }).values;
} catch (error) {
  fail(`${(error as Error).message} (usage: npm run store:migrate -- --from ./data)`);
}

let config;
try {
  config = loadConfig(readEnvFiles(process.cwd(), process.env));
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
  throw error;
}
const databaseUrl = config.databaseUrl ?? fail('DATABASE_URL: set it to the PostgreSQL database to copy into (postgres://user:password@host:5432/database)');
const from = options.from ? resolve(options.from) : config.dataDir;
if (!(await hasEmbeddedStore(from))) fail(`${from} holds no embedded store (no herald.json) and no store/ folder: pass --from the DATA_DIR Herald ran with`);

try {
  const target = await PostgresStore.open({ url: databaseUrl });
  const source = await LowdbStore.openFile(from);
  try {
    const report = await copyEmbeddedStore(source, await readEmbeddedExtras(from), target);
    const counts = Object.entries(report).map(([name, count]) => `${name} ${count}`).join(', ');
    process.stdout.write(`store:migrate: copied ${from} into ${target.location} (schema version ${target.migrationVersion}): ${counts}\n`);
  } finally {
    await source.close();
    await target.close();
  }
} catch (error) {
  if (error instanceof StoreUnavailableError) fail(`${error.message}: start the database or fix DATABASE_URL, then run it again (copying again is harmless).`);
  if (error instanceof StoreMigrationError) fail(`${error.message}; nothing was copied.`);
  throw error;
}
