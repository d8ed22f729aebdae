import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * A JSON file that survives a crash mid-write: the new content goes to a temp file that is fsynced
 * and then renamed over the old one (rename is atomic on POSIX), so a reader sees either the old or the
 * new file, never a torn one.
 */
export class AtomicJsonFile<T> {
  private seq = 0;

  constructor(private readonly path: string) {}

  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new StorageCorruptError(this.path, error);
    }
  }

  async write(data: T): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.${++this.seq}.tmp`;
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(JSON.stringify(data));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, this.path);
    // Persist the rename itself (directory entry); best effort where directories cannot be opened.
    try {
      const dir = await open(dirname(this.path), 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    } catch {
      /* not supported on this platform */
    }
  }
}

export class StorageCorruptError extends Error {
  constructor(readonly path: string, cause: unknown) {
    super(`${path} is not valid JSON`, { cause });
    this.name = 'StorageCorruptError';
  }
}
