import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { HistoryEntry } from '../../model/history.js';
import { AtomicJsonFile } from '../AtomicJsonFile.js';
import type { DocumentCollection, StoreDocument } from '../DocumentStore.js';
import { readLines, syncDirectory } from './LogFiles.js';
import type { LogLine, LogTables } from './LogTables.js';

/** Files of a DATA_DIR written by Herald before the log store: one document, and a journal beside it. */
export const LEGACY_DOCUMENT = 'herald.json';
export const LEGACY_JOURNAL = 'notifications.jsonl';
/** Suffix the migrated files are kept under (a copy to go back to; never read again). */
export const MIGRATED_SUFFIX = '.migrated';

const COLLECTIONS: readonly DocumentCollection[] = ['installations', 'subscriptions', 'chats', 'inbox', 'outbox', 'pendingSummaries', 'pendingCreations', 'changeLogs'];

/**
 * Loads an earlier version's DATA_DIR into `tables`: the document first, then its journal replayed on
 * top (the journal's lines have the log store's own format). Returns the files found; a document that
 * is not valid JSON refuses the start (StorageCorruptError) rather than lose it.
 */
export async function readLegacyDataDir(dataDir: string, tables: LogTables): Promise<string[]> {
  const found: string[] = [];
  const documentPath = join(dataDir, LEGACY_DOCUMENT);
  const document = await new AtomicJsonFile<Partial<StoreDocument>>(documentPath).read();
  if (document) {
    found.push(documentPath);
    for (const name of COLLECTIONS) {
      for (const [key, value] of Object.entries(document[name] ?? {})) tables.table(name).set(key, value);
    }
    for (const list of Object.values<HistoryEntry[]>(document.history ?? {})) for (const entry of list) tables.appendHistory(entry);
    for (const [key, at] of Object.entries(document.seen ?? {})) tables.table('seen').set(key, at);
  }
  const journalPath = join(dataDir, LEGACY_JOURNAL);
  try {
    await readLines<LogLine>(journalPath, (line) => tables.apply(line), { tornTail: true });
    found.push(journalPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return found;
}

/** Moves the migrated files aside, once the new store holds everything they did. */
export async function retireLegacyFiles(dataDir: string, files: string[]): Promise<void> {
  for (const file of files) await rename(file, `${file}${MIGRATED_SUFFIX}`);
  await syncDirectory(dataDir);
}
