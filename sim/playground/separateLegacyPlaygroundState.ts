/**
 * Before the playground's Herald had its own folder (`DATA_DIR/playground/herald/`), it shared
 * `DATA_DIR/herald.json` with live Herald, so a DATA_DIR used by an older playground holds installations
 * and subscriptions of the simulated world at its top level. A live start would act on them: ask the real
 * login for tokens of the simulated tenant and the real Graph to renew or delete subscriptions it never had.
 *
 * `npm start` runs this before Herald starts, in either mode. Records of the simulated world are the ones
 * of its two tenants or of its chat (all random ids the world minted, see seedPlayground), named by the
 * playground's own `playground.json` next to them:
 * - when every installation and subscription at the top level is the simulated world's, Herald's files
 *   move into the playground's folder, so the playground resumes with them and live starts clean;
 * - when live records are mixed in, the simulated world's installations, subscriptions, chat state,
 *   pending summaries and queued posts are deleted from the top-level store (live keeps its own); the
 *   playground's Herald then starts without its earlier state.
 */
import { access, mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { CERTIFICATE_DIR } from '../../src/certificates/loadNotificationKeyRing.js';
import type { HeraldStore } from '../../src/storage/HeraldStore.js';
import { EMBEDDED_STORE_FILES, hasEmbeddedStore } from '../../src/storage/embeddedStoreFiles.js';
import { LowdbStore } from '../../src/storage/LowdbStore.js';
import { playgroundHeraldDir } from './playgroundConfig.js';
import { PlaygroundStateFile, type PlaygroundMeta } from './PlaygroundStateFile.js';

/** Herald's files in a DATA_DIR (the embedded store in either format, generated certificates). */
const HERALD_FILES = [...EMBEDDED_STORE_FILES, CERTIFICATE_DIR];

export type LegacySeparation = 'none' | 'moved' | 'removed';

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function legacyMeta(dataDir: string, log: Logger): Promise<PlaygroundMeta | null> {
  if (!(await hasEmbeddedStore(dataDir))) return null;
  try {
    return (await new PlaygroundStateFile(join(dataDir, 'playground')).load())?.meta ?? null;
  } catch (error) {
    // Without a readable playground.json nothing tells which records are simulated; touch nothing.
    log.warn({ err: error }, 'playground: cannot read the playground state to check DATA_DIR for older playground records');
    return null;
  }
}

function simulatedKeys(store: HeraldStore, meta: PlaygroundMeta): { chats: Set<string>; subscriptions: string[]; live: number } {
  const tenants = new Set([meta.tenantId, meta.otherTenantId]);
  const simulated = (record: { tenantId: string; chatId: string | null }) => tenants.has(record.tenantId) || record.chatId === meta.chatId;
  const installations = store.installations.list();
  const subscriptions = store.subscriptions.list();
  const chats = new Set([meta.chatId, ...installations.filter(simulated).map((i) => i.chatId)]);
  const live = installations.filter((i) => !simulated(i)).length + subscriptions.filter((s) => !simulated(s)).length;
  return { chats, subscriptions: subscriptions.filter(simulated).map((s) => s.id), live };
}

export async function separateLegacyPlaygroundState(dataDir: string, log: Logger): Promise<LegacySeparation> {
  const meta = await legacyMeta(dataDir, log);
  if (!meta) return 'none';
  const store = await LowdbStore.openFile(dataDir);
  const { chats, subscriptions, live } = simulatedKeys(store, meta);
  const found = subscriptions.length + store.installations.list((i) => chats.has(i.chatId)).length;
  if (found === 0) {
    await store.close();
    return 'none';
  }
  const target = playgroundHeraldDir(dataDir);
  if (live === 0 && !(await exists(target))) {
    await store.close();
    await mkdir(target, { recursive: true });
    for (const name of HERALD_FILES) {
      if (await exists(join(dataDir, name))) await rename(join(dataDir, name), join(target, name));
    }
    log.warn({ from: dataDir, to: target }, 'playground: moved Herald state an older playground kept in DATA_DIR into DATA_DIR/playground/herald');
    return 'moved';
  }
  try {
    await Promise.all([
      ...subscriptions.map((id) => store.subscriptions.delete(id)),
      ...[...chats].flatMap((chatId) => [store.installations.delete(chatId), store.chats.delete(chatId), store.pendingSummaries.delete(chatId)]),
      ...store.outbox.list((post) => chats.has(post.chatId)).map((post) => store.outbox.delete(post.id)),
    ]);
  } finally {
    await store.close();
  }
  log.warn({ dataDir, subscriptions: subscriptions.length, chats: chats.size }, 'playground: removed records of the simulated world an older playground left in DATA_DIR; live Herald never acts on them');
  return 'removed';
}
