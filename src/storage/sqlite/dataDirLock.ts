import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The pid file beside herald.db. It only names the process holding DATA_DIR, in the message a second
 * process gets; the exclusion itself is SQLite's exclusive lock on the file, which the operating system
 * drops when its holder dies, so a stale pid file (its process killed) never keeps anyone out.
 */
export const PID_FILE = 'herald.pid';

export async function writePidFile(dataDir: string): Promise<void> {
  await writeFile(join(dataDir, PID_FILE), `${process.pid}\n`);
}

/** The live process a pid file names, or null (no file, unreadable, or its process is gone). */
export async function holderOf(dataDir: string): Promise<number | null> {
  const text = await readFile(join(dataDir, PID_FILE), 'utf8').catch(() => '');
  const pid = Number.parseInt(text.trim(), 10);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : null;
  }
}

/** Removes the pid file if it is this process's. */
export async function removePidFile(dataDir: string): Promise<void> {
  const path = join(dataDir, PID_FILE);
  const text = await readFile(path, 'utf8').catch(() => '');
  if (Number.parseInt(text.trim(), 10) === process.pid) await rm(path, { force: true });
}
