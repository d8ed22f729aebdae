import type { HeraldConfig } from '../config/HeraldConfig.js';
import { StoreMigrationError, StoreUnavailableError } from '../storage/StoreErrors.js';

/**
 * The plain message for a start-up failure that a setting or the machine explains (a busy port, a
 * DATA_DIR Herald may not write, an unreachable DATABASE_URL), naming what to change; null for anything
 * else, which is then reported with its stack.
 */
export function describeStartFailure(error: unknown, config: Pick<HeraldConfig, 'port' | 'host' | 'dataDir'>): string | null {
  if (error instanceof StoreUnavailableError) return `Herald could not start: ${error.message}: start the database or fix DATABASE_URL.`;
  if (error instanceof StoreMigrationError) {
    return `Herald could not start: ${error.message}. Nothing of it is applied; the database is as before. Fix what the error names in the database DATABASE_URL points to, or run the Herald release that ran on it before.`;
  }
  const code = (error as { code?: unknown } | null)?.code;
  const path = (error as { path?: unknown } | null)?.path;
  switch (code) {
    case 'EADDRINUSE':
      return `Herald could not start: port ${config.port} is in use: stop the other process or set PORT to a free port.`;
    case 'EADDRNOTAVAIL':
      return `Herald could not start: cannot listen on ${config.host}:${config.port}: this machine has no such address.`;
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      if (typeof path === 'string') {
        return `Herald could not start: it may not write ${path}: make DATA_DIR (${config.dataDir}) writable for this user, or set DATA_DIR to a folder it can write.`;
      }
      return `Herald could not start: permission denied to listen on port ${config.port}: set PORT to a port above 1023.`;
    default:
      return null;
  }
}
