import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { StorageCorruptError } from '../AtomicJsonFile.js';

/**
 * The log store's files, in `<dataDir>/store/`: `journal-<n>.jsonl` segments of appended lines, and
 * `snapshot-<n>.jsonl`, the whole state as of the end of segment n (one line per record). A snapshot
 * only ever appears complete (written to a temp file, fsynced, renamed), so the state is always the
 * newest snapshot plus the segments after it, replayed in order; older files are leftovers.
 */
export const STORE_DIR = 'store';

const SNAPSHOT = /^snapshot-(\d+)\.jsonl$/;
const JOURNAL = /^journal-(\d+)\.jsonl$/;
const TEMP = /\.tmp$/;
/** Snapshot text is handed to the disk in pieces this big, so writing one never holds the event loop long. */
const SNAPSHOT_CHUNK_CHARS = 1024 * 1024;

const name = (kind: 'snapshot' | 'journal', n: number) => `${kind}-${String(n).padStart(8, '0')}.jsonl`;
export const journalPath = (dir: string, n: number) => join(dir, name('journal', n));
export const snapshotPath = (dir: string, n: number) => join(dir, name('snapshot', n));

export interface Generations {
  /** Newest complete snapshot, or null. */
  snapshot: number | null;
  /** Journal segments after that snapshot, oldest first. */
  journals: number[];
  /** Files a later snapshot made obsolete, and temp files of an interrupted snapshot. */
  leftovers: string[];
}

export async function listGenerations(dir: string): Promise<Generations> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { snapshot: null, journals: [], leftovers: [] };
    throw error;
  }
  const numbered = (re: RegExp) => names.flatMap((n) => (re.test(n) ? [Number(re.exec(n)?.[1])] : [])).sort((a, b) => a - b);
  const snapshots = numbered(SNAPSHOT);
  const snapshot = snapshots.at(-1) ?? null;
  const after = (n: number) => snapshot === null || n > snapshot;
  return {
    snapshot,
    journals: numbered(JOURNAL).filter(after),
    leftovers: [
      ...names.filter((n) => TEMP.test(n)),
      ...snapshots.filter((n) => n !== snapshot).map((n) => name('snapshot', n)),
      ...numbered(JOURNAL).filter((n) => !after(n)).map((n) => name('journal', n)),
    ].map((n) => join(dir, n)),
  };
}

/**
 * Calls `onLine` with each parsed line of `path`; returns the file's length in characters. A last line
 * without its newline was torn by a crash mid-append (its mutation never resolved) and is ignored when
 * `tornTail` allows; any other bad line means the file is damaged, and the store refuses to open.
 */
export async function readLines<L>(path: string, onLine: (line: L) => void, opts: { tornTail: boolean }): Promise<number> {
  const text = await readFile(path, 'utf8');
  let start = 0;
  let lineNo = 0;
  while (start < text.length) {
    const end = text.indexOf('\n', start);
    const line = text.slice(start, end < 0 ? text.length : end);
    lineNo++;
    start = end < 0 ? text.length : end + 1;
    if (line.length === 0) continue;
    let parsed: L;
    try {
      parsed = JSON.parse(line) as L;
    } catch (error) {
      if (end < 0 && opts.tornTail) break;
      throw new StorageCorruptError(path, new Error(`line ${lineNo} is not valid JSON`, { cause: error }));
    }
    onLine(parsed);
  }
  return text.length;
}

/**
 * Writes snapshot `n` from `lines` (each ending in a newline) atomically, a chunk at a time; `n` may
 * be a promise, known only once the segment the snapshot covers has been sealed. Returns its size.
 */
export async function writeSnapshot(dir: string, n: number | Promise<number>, lines: Iterable<string>): Promise<{ chars: number; bytes: number }> {
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `snapshot.${process.pid}.${Date.now()}.tmp`);
  const handle = await open(tmp, 'w', 0o600);
  let chars = 0;
  let bytes = 0;
  const write = async (chunk: string[]) => {
    const text = chunk.join('');
    chars += text.length;
    bytes += Buffer.byteLength(text);
    await handle.write(text);
  };
  try {
    let chunk: string[] = [];
    let size = 0;
    for (const line of lines) {
      chunk.push(line);
      size += line.length;
      if (size >= SNAPSHOT_CHUNK_CHARS) {
        await write(chunk);
        chunk = [];
        size = 0;
      }
    }
    await write(chunk);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  await rename(tmp, snapshotPath(dir, await n));
  await syncDirectory(dir);
  return { chars, bytes };
}

/** Removes files that a newer snapshot made obsolete (best effort: a leftover is ignored on open). */
export async function removeFiles(dir: string, paths: string[]): Promise<void> {
  if (paths.length === 0) return;
  await Promise.all(paths.map((path) => unlink(path).catch(() => undefined)));
  await syncDirectory(dir);
}

export async function syncDirectory(path: string): Promise<void> {
  try {
    const dir = await open(path, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    /* not supported on this platform */
  }
}
