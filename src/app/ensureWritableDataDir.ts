import { mkdir, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../config/ConfigError.js';
import { describeFileError } from '../config/describeFileError.js';

/** Errors that mean "this user cannot write there", as opposed to a fault of the machine. */
const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EEXIST']);

/**
 * Proves at start-up that Herald can write DATA_DIR (creating it if needed), so an unwritable folder stops
 * the start with a message naming DATA_DIR instead of failing the first write later, when a notification
 * has already been answered or a certificate generated.
 */
export async function ensureWritableDataDir(dataDir: string): Promise<void> {
  const probe = join(dataDir, `.write-check-${process.pid}`);
  try {
    await mkdir(dataDir, { recursive: true });
    await (await open(probe, 'w')).close();
    await unlink(probe);
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code !== 'string' || !NOT_WRITABLE.has(code)) throw error;
    // A file where the folder (or one above it) should be is not fixed by permissions.
    const fix = code === 'ENOTDIR' || code === 'EEXIST' ? 'move that file away, or set DATA_DIR to another folder' : 'make that folder writable for this user, or set DATA_DIR to a folder it can write';
    throw new ConfigError([`DATA_DIR: Herald cannot write ${dataDir} (${describeFileError(error)}): ${fix}`], { cause: error });
  }
}
