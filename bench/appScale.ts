/**
 * The whole app at scale (issue 17): Herald as the playground runs it (createHerald, the log store in a
 * temporary DATA_DIR, real HTTP on loopback) with the Graph, login and Teams doubles in the same process.
 * N chats are installed (welcome, baseline, both subscriptions), then people join chats one at a time
 * with the summary window at 0 (three runs), then Herald restarts on the same DATA_DIR and reconciles.
 * Bytes are what Herald's store wrote (journal and snapshots), read from the store itself, since the
 * playground's own world file is written by the same process.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startPlaygroundHerald, type PlaygroundHerald } from '../sim/playground/startPlaygroundHerald.js';
import { loadConfig } from '../src/config/loadConfig.js';
import { silentLogger } from '../src/log/createLogger.js';
import { readFileSync } from 'node:fs';
import { openSqliteStore, type SqliteStore } from '../src/storage/sqlite/SqliteStore.js';
import { createLoopbackCa } from '../sim/doubles/tls/loopbackCa.js';

export interface AppScaleResult {
  chats: number;
  installPerSecond: number;
  installBytesPerChat: number;
  /** Per run: mean ms from the join in the world to the post at the Bot Connector double, and store bytes per join. */
  joins: Array<{ msPerJoin: number; bytesPerJoin: number }>;
  restart: { openMs: number; reconciledMs: number; subscriptions: number; rssMb: number };
}

/** Bytes this process has caused to be written to storage so far (Linux: /proc/self/io). */
function bytesWritten(): number {
  const line = /^write_bytes: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
  return Number(line?.[1] ?? 0);
}

async function start(dataDir: string, tls: Awaited<ReturnType<typeof createLoopbackCa>>): Promise<{ pg: PlaygroundHerald; store: SqliteStore; openMs: number }> {
  const t0 = performance.now();
  const store = await openSqliteStore(dataDir);
  const openMs = performance.now() - t0;
  const config = loadConfig({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  const pg = await startPlaygroundHerald({ config, log: silentLogger(), tls, overrides: { store } });
  return { pg, store, openMs };
}

/** `settle` gives up after about ten seconds; thousands of chats (welcome posts paced at 50/s per tenant) take longer. */
async function settled(pg: PlaygroundHerald, timeoutMs = 30 * 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await pg.settle();
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
  }
}

export async function appAtScale(chatCount: number, joinsPerRun = 50): Promise<AppScaleResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'herald-bench-app-'));
  const tls = await createLoopbackCa();
  let { pg, store } = await start(dataDir, tls);
  try {
    const { world, teams, app, tenantId } = pg.simulated;
    const chats: string[] = [];
    const b0 = bytesWritten();
    const t0 = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(20, chatCount) }, async () => {
      while (next < chatCount) {
        const i = next++;
        const owner = world.addUser({ displayName: `Owner ${i}`, tenantId });
        const chat = world.createChat({ tenantId, topic: `Chat ${i}`, members: [owner.id] });
        world.installApp(chat.id, app.teamsAppId);
        await teams.channel.installIntoChat({ chatId: chat.id, tenantId, by: pg.simulated.teamsMember(owner.id), topic: `Chat ${i}` });
        await pg.herald.context.settings.apply(chat.id, tenantId, { windowMs: 0 }, 'bench', 'chat');
        chats.push(chat.id);
      }
    }));
    await settled(pg);
    const installSeconds = (performance.now() - t0) / 1000;
    const installBytes = bytesWritten() - b0;

    const joins: AppScaleResult['joins'] = [];
    for (let run = 0; run < 3; run++) {
      const b1 = bytesWritten();
      let total = 0;
      for (let i = 0; i < joinsPerRun; i++) {
        const chatId = chats[(run * joinsPerRun + i) % chats.length];
        const posted = new Promise<void>((resolve) => {
          const off = teams.connector.subscribe((event) => {
            if (event.type !== 'posted' || event.post.conversationId !== chatId || event.post.attachments.length === 0) return;
            off();
            resolve();
          });
        });
        const tj = performance.now();
        world.addMember(chatId, world.addUser({ displayName: `Joiner ${run}-${i}`, tenantId }).id);
        await posted;
        total += performance.now() - tj;
      }
      await settled(pg);
      joins.push({ msPerJoin: total / joinsPerRun, bytesPerJoin: (bytesWritten() - b1) / joinsPerRun });
    }

    await pg.stop();
    const tr = performance.now();
    ({ pg, store } = await start(dataDir, tls));
    const openMs = performance.now() - tr;
    // The start-up reconcile runs in the background; this resolves once it is over (no /healthz polling:
    // each poll lists every installation and subscription, which at this size is work of its own).
    await pg.herald.modules.subscriptions?.whenIdle();
    const reconciledMs = performance.now() - tr;
    globalThis.gc?.();
    return {
      chats: chatCount,
      installPerSecond: chatCount / installSeconds,
      installBytesPerChat: installBytes / chatCount,
      joins,
      restart: { openMs, reconciledMs, subscriptions: (await store.subscriptions.counts(new Date())).total, rssMb: process.memoryUsage().rss / 1024 / 1024 },
    };
  } finally {
    await pg.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export function formatAppScale(r: AppScaleResult): string {
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  return [
    `app, ${r.chats} chats: installed at ${r.installPerSecond.toFixed(1)} chats/s (goal ≥ 20/s), ${kb(r.installBytesPerChat)} stored per chat`,
    `app, ${r.chats} chats: join → post ${r.joins.map((j) => `${j.msPerJoin.toFixed(1)} ms/${kb(j.bytesPerJoin)}`).join(', ')} per join (3 runs, window 0; goal < 20 KB)`,
    `app, ${r.chats} chats: restart: up in ${(r.restart.openMs / 1000).toFixed(2)} s, reconciled in ${(r.restart.reconciledMs / 1000).toFixed(1)} s with ${r.restart.subscriptions} subscriptions (goal < 60 s); RSS ${r.restart.rssMb.toFixed(0)} MB with the doubles (goal < 300 MB)`,
  ].join('\n');
}

// node --import tsx bench/appScale.ts [chats] [joinsPerRun]
if (import.meta.url === `file://${process.argv[1]}`) {
  appAtScale(Number(process.argv[2] ?? 10), Number(process.argv[3] ?? 50)).then(
    (r) => console.log(formatAppScale(r)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
