import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { LEGACY_DOCUMENT, LEGACY_JOURNAL, MIGRATED_SUFFIX } from './log/legacyDataDir.js';
import { listGenerations, STORE_DIR } from './log/LogFiles.js';
import { LogStore } from './log/LogStore.js';

/** What the embedded store keeps in a DATA_DIR: its folder, and an earlier version's files (migrated or not). */
export const EMBEDDED_STORE_FILES: readonly string[] = [STORE_DIR, LEGACY_DOCUMENT, LEGACY_JOURNAL, `${LEGACY_DOCUMENT}${MIGRATED_SUFFIX}`, `${LEGACY_JOURNAL}${MIGRATED_SUFFIX}`];

/** Whether `dataDir` holds an embedded store, in the current format or an earlier one. */
export async function hasEmbeddedStore(dataDir: string): Promise<boolean> {
  const found = await listGenerations(join(dataDir, STORE_DIR));
  if (found.snapshot !== null || found.journals.length > 0) return true;
  return access(join(dataDir, LEGACY_DOCUMENT)).then(
    () => true,
    () => false,
  );
}

/** Every seen key (with when it was recorded) and every chat with history: what HeraldStore cannot enumerate. */
export async function readSeenAndHistoryChats(dataDir: string): Promise<{ seen: Record<string, string>; historyChats: string[] }> {
  const tables = await LogStore.read(dataDir);
  return { seen: Object.fromEntries(tables.table('seen') as Map<string, string>), historyChats: [...tables.history.keys()] };
}
