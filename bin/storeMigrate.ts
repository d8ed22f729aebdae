/**
 * `npm run store:migrate -- --from ./data`: copies an embedded store (DATA_DIR/herald.db) into the
 * PostgreSQL database in DATABASE_URL, creating its schema first. Stop Herald before running it (the
 * embedded store is refused while a Herald process holds it). Running it twice is harmless.
 */
import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../src/config/ConfigError.js';
import { loadConfig } from '../src/config/loadConfig.js';
import { readEnvFiles } from '../src/config/readEnvFiles.js';
import { join } from 'node:path';
import { copyStore } from '../src/storage/copyStore.js';
import { StoreCorruptError, StoreInUseError, StoreMigrationError, StoreUnavailableError } from '../src/storage/errors.js';
import { openPostgresStore } from '../src/storage/postgres/PostgresStore.js';
import { openSqliteStore, STORE_FILE } from '../src/storage/sqlite/SqliteStore.js';

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
const hasStore = await access(join(from, STORE_FILE)).then(() => true, () => false);
if (!hasStore) fail(`${from} holds no embedded store (no ${STORE_FILE}): pass --from the DATA_DIR Herald ran with`);

try {
  const source = await openSqliteStore(from);
  const target = await openPostgresStore({ url: databaseUrl }).catch(async (error: unknown) => {
    await source.close();
    throw error;
  });
  try {
    const report = await copyStore(source.engine, target.engine).catch((error: unknown) => Promise.reject(target.engine.dialect.translate('copy', error, true)));
    const counts = Object.entries(report).map(([name, count]) => `${name} ${count}`).join(', ');
    process.stdout.write(`store:migrate: copied ${from} into ${target.location} (schema version ${target.migrationVersion}): ${counts}\n`);
  } finally {
    await source.close();
    await target.close();
  }
} catch (error) {
  if (error instanceof StoreUnavailableError) fail(`${error.message}: start the database or fix DATABASE_URL, then run it again (copying again is harmless).`);
  if (error instanceof StoreMigrationError) fail(`${error.message}; nothing was copied.`);
  if (error instanceof StoreInUseError) fail(`${error.message} Stop Herald before copying its store.`);
  if (error instanceof StoreCorruptError) fail(error.message);
  throw error;
}
