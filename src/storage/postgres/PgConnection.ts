import pg from 'pg';
import type { Logger } from 'pino';
import { redactDatabaseUrl, StoreUnavailableError } from '../errors.js';

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

/** Marks an error of a connection that was gone before its first statement (safe to run the operation again). */
export const LOST_BEFORE_USE = Symbol('herald.pg.lostBeforeUse');

export function lostBeforeUse(error: unknown): boolean {
  const cause = error instanceof StoreUnavailableError ? error.cause : error;
  return typeof cause === 'object' && cause !== null && LOST_BEFORE_USE in cause;
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

  /**
   * The pool as Kysely drives it: a connection checked out (a transaction between two statements) that
   * the server drops emits 'error' on the client, which would crash the process without a listener.
   * Here every checked-out client has one; the statement in flight (or the next) then fails, and the
   * broken connection is destroyed on release instead of going back to the pool.
   */
  forKysely(): { connect(): Promise<pg.PoolClient>; end(): Promise<void>; options: object } {
    return {
      options: this.pool.options,
      connect: async () => {
        const client = await this.pool.connect();
        let broken: Error | undefined;
        const onError = (error: Error) => {
          broken = error;
        };
        client.on('error', onError);
        const query = client.query.bind(client) as (sql: string, params?: unknown[]) => Promise<pg.QueryResult>;
        // Kysely rolls a failed transaction back and throws what the ROLLBACK threw, if it did: on a
        // connection that is gone, the error that broke it is the one the caller must see.
        let statements = 0;
        const guarded = async (sql: string, params?: unknown[]) => {
          if (broken && sql === 'rollback') return { rows: [], rowCount: 0, command: 'ROLLBACK', oid: 0, fields: [] };
          const first = statements++ === 0;
          try {
            return await query(sql, params);
          } catch (error) {
            if (isUnavailable(error)) {
              broken ??= error as Error;
              // A connection the server dropped while it sat idle in the pool (the pool learns of it a
              // moment later): its first statement never ran, so the operation may run again on another.
              if (first && error instanceof Error) Object.assign(error, { [LOST_BEFORE_USE]: true });
            }
            throw error;
          }
        };
        Object.assign(client, { query: guarded });
        const release = client.release.bind(client);
        client.release = (error?: Error | boolean) => {
          client.removeListener('error', onError);
          Object.assign(client, { query, release });
          release(error ?? broken);
        };
        return client;
      },
      end: () => this.pool.end(),
    };
  }

  translate(operation: string, error: unknown): unknown {
    return isUnavailable(error) ? new StoreUnavailableError(operation, this.location, error) : error;
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
