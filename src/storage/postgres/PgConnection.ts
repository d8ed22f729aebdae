import pg from 'pg';
import type { Logger } from 'pino';
import { redactDatabaseUrl, StoreUnavailableError } from '../StoreErrors.js';

export interface PgConnectionOptions {
  /** `postgres://…` (DATABASE_URL). */
  url: string;
  /** Schema to keep Herald's tables in (tests use one per file); default: the server's search path. */
  schema?: string;
  /** Connections per instance. */
  maxConnections?: number;
  /** How long to wait for a connection before the operation fails as unavailable. */
  connectTimeoutMs?: number;
  /** `application_name` of the connections (pg_stat_activity); default `herald`. */
  applicationName?: string;
  log?: Logger;
}

// Node's socket errors and PostgreSQL's SQLSTATEs that mean "the database is not there (now)", as
// opposed to a wrong query: class 08 (connection exception), 57P01-57P03 (server shutting down or
// starting), 53300 (too many connections), 3D000/28000/28P01 (no such database, login refused: a wrong
// DATABASE_URL). https://www.postgresql.org/docs/current/errcodes-appendix.html
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', '57P01', '57P02', '57P03', '53300', '3D000', '28000', '28P01']);
// node-postgres reports a dropped or timed-out connection with these messages and no code.
const UNAVAILABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended/i;

export function isUnavailable(error: unknown): boolean {
  if (error instanceof AggregateError) return error.errors.some(isUnavailable) || UNAVAILABLE_CODES.has(String((error as { code?: unknown }).code));
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true;
  return error instanceof Error && UNAVAILABLE_MESSAGES.test(error.message);
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The connection pool and the one place its errors are translated: every operation that fails because
 * the database is unreachable rejects with StoreUnavailableError (code STORE_UNAVAILABLE); the pool
 * opens fresh connections for the next operation, so the store recovers by itself.
 */
export class PgConnection {
  readonly pool: pg.Pool;
  /** DATABASE_URL without its password. */
  readonly location: string;

  constructor(options: PgConnectionOptions) {
    if (options.schema !== undefined && !IDENTIFIER.test(options.schema)) throw new Error(`invalid schema name "${options.schema}"`);
    this.location = redactDatabaseUrl(options.url);
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      application_name: options.applicationName ?? 'herald',
      ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    });
    // An idle connection the server drops emits here; without a listener it would crash the process.
    // The pool discards it, and the next operation connects afresh.
    this.pool.on('error', (error) => options.log?.warn({ code: (error as { code?: unknown }).code, err: error.message }, 'database connection lost'));
  }

  async query<R extends pg.QueryResultRow>(operation: string, sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(sql, params);
    } catch (error) {
      throw this.translate(operation, error);
    }
  }

  /** Runs `fn` in one transaction on one connection; any failure rolls it back. */
  async transaction<T>(operation: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw this.translate(operation, error);
    }
    let failure: Error | undefined;
    // Checked out, the connection is not the pool's to watch: a server that drops it between two
    // statements emits here, and without a listener the process would crash. The statement in flight
    // (or the next) then fails, and the connection is destroyed on release.
    const onError = (error: Error) => {
      failure = error;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      if (isUnavailable(error)) failure = error as Error;
      else await client.query('ROLLBACK').catch((rollbackError: unknown) => void (failure = rollbackError as Error));
      throw this.translate(operation, error);
    } finally {
      client.removeListener('error', onError);
      // A broken connection is destroyed instead of going back to the pool.
      client.release(failure);
    }
  }

  translate(operation: string, error: unknown): unknown {
    return isUnavailable(error) ? new StoreUnavailableError(operation, this.location, error) : error;
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
