import { ConfigError } from '../config/ConfigError.js';
import type { HeraldConfig } from '../config/HeraldConfig.js';
import { StoreCorruptError, StoreInUseError, StoreMigrationError, StoreUnavailableError } from '../storage/errors.js';
import { explain } from '../kernel/errorCatalogue.js';
import type { ErrorContext, HeraldErrorCode } from '../kernel/errors.js';

/** The catalogue code for a start-up failure that a setting or the machine explains; null for anything else. */
function startFailureCode(error: unknown): { code: HeraldErrorCode; path: string | null } | null {
  const code = (error as { code?: unknown } | null)?.code;
  const path = (error as { path?: unknown } | null)?.path;
  switch (code) {
    case 'EADDRINUSE':
      return { code: 'herald.start.port_in_use', path: null };
    case 'EADDRNOTAVAIL':
      return { code: 'herald.start.address_unavailable', path: null };
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return typeof path === 'string' ? { code: 'herald.start.data_dir_not_writable', path } : { code: 'herald.start.port_not_permitted', path: null };
    default:
      return null;
  }
}

/**
 * The plain message for a start-up failure that a setting or the machine explains (a busy port, a
 * DATA_DIR Herald may not write), naming what to change (the catalogue's advice); null for anything
 * else, which is then reported with its stack.
 */
export function describeStartFailure(error: unknown, config: Pick<HeraldConfig, 'port' | 'host' | 'dataDir'>): string | null {
  if (error instanceof ConfigError) return `${error.message}\n${error.advice}`;
  if (error instanceof StoreUnavailableError) {
    return `Herald could not start: ${error.message}: ${error.code === 'herald.store.unavailable' ? 'start the database or fix DATABASE_URL.' : error.advice}`;
  }
  if (error instanceof StoreInUseError) return `Herald could not start: ${error.message}`;
  if (error instanceof StoreCorruptError) return `Herald could not start: ${error.message}.`;
  if (error instanceof StoreMigrationError) {
    return `Herald could not start: ${error.message}. Nothing of it is applied; the database is as before. Fix what the error names in the database DATABASE_URL points to, or run the Herald release that ran on it before.`;
  }
  const found = startFailureCode(error);
  if (!found) return null;
  const context: ErrorContext = { port: config.port, host: config.host, dataDir: config.dataDir, path: found.path };
  return `Herald could not start: ${explain(found.code, context)}`;
}
