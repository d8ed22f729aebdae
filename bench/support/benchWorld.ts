/**
 * The simulated Microsoft 365 the benchmarks run Herald against: the playground's doubles (login, Graph
 * over the world model, Teams' channel and Bot Connector), real HTTPS on loopback, in the bench process.
 * Chats are installed the way Teams installs Herald (bot events to /api/messages); Herald then
 * subscribes at the Graph double, takes its baseline and posts its welcome.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { chatForNotification, type NotifiedChat } from '../../sim/doubles/graph/payloads.js';
import type { RecordedPost } from '../../sim/doubles/teams/PostLog.js';
import { createLoopbackCa } from '../../sim/doubles/tls/loopbackCa.js';
import { startSimulatedWorld, type SimulatedWorld } from '../../sim/playground/startSimulatedWorld.js';
import { silentLogger } from '../../src/log/createLogger.js';
import type { HeraldUnderTest } from './heraldUnderTest.js';

export interface InstalledChat {
  chatId: string;
  tenantId: string;
  ownerId: string;
}

export interface BenchWorld {
  simulated: SimulatedWorld;
  /** The loopback CA's certificate (Herald gets it as NODE_EXTRA_CA_CERTS). */
  caFile: string;
  /** A scratch directory removed by close(). */
  dir: string;
  /** The chat as Graph puts it into a rich notification. */
  chatPayload(chatId: string): NotifiedChat;
  /**
   * Installs Herald into `count` new group chats, `concurrency` at a time, and resolves once every one is
   * complete as seen from outside: both chat subscriptions exist at the Graph double and the welcome is
   * posted; then Herald's background work is idle (/healthz).
   */
  installChats(herald: HeraldUnderTest, count: number, options?: { concurrency?: number; timeoutMs?: number }): Promise<InstalledChat[]>;
  /** Sets the summary window of these chats to 0 (post at once) with Herald's own command, as a member would. */
  postAtOnce(chats: readonly InstalledChat[]): Promise<void>;
  /** Every post and edit that reaches the Bot Connector double; returns the unsubscribe function. */
  onPost(listener: (post: RecordedPost) => void): () => void;
  close(): Promise<void>;
}

/** Runs job(0 … count-1), `concurrency` at a time. */
export async function inParallel(count: number, concurrency: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await job(next++);
    }),
  );
}

export async function startBenchWorld(): Promise<BenchWorld> {
  const dir = await mkdtemp(join(tmpdir(), 'herald-bench-'));
  const tls = await createLoopbackCa();
  const caFile = join(dir, 'ca.pem');
  await writeFile(caFile, tls.caCertPem);
  // Graph retries deliveries Herald did not answer (a killed instance) sooner than its hours-long schedule.
  const simulated = await startSimulatedWorld({ tls, log: silentLogger(), graph: { delivery: { retryDelaysMs: [200, 500, 1_000, 2_000, 4_000, 8_000, 8_000, 8_000] } } });
  const { world, teams, graphWorld } = simulated;
  let serial = 0;

  const onPost: BenchWorld['onPost'] = (listener) =>
    teams.connector.subscribe((event) => {
      if (event.type === 'posted' || event.type === 'updated') listener(event.post);
    });

  const installChats: BenchWorld['installChats'] = async (herald, count, options = {}) => {
    const { tenantId, app } = simulated;
    const posted = new Set<string>();
    const off = onPost((post) => posted.add(post.conversationId));
    try {
      const chats: InstalledChat[] = [];
      await inParallel(count, options.concurrency ?? 20, async () => {
        const n = ++serial;
        const owner = world.addUser({ displayName: `Owner ${n}`, tenantId });
        const chat = world.createChat({ tenantId, topic: `Chat ${n}`, members: [owner.id] });
        world.installApp(chat.id, app.teamsAppId);
        await teams.channel.installIntoChat({ chatId: chat.id, tenantId, by: simulated.teamsMember(owner.id), topic: `Chat ${n}` });
        chats.push({ chatId: chat.id, tenantId, ownerId: owner.id });
      });
      const deadline = performance.now() + (options.timeoutMs ?? Math.max(120_000, count * 200));
      const wanted = new Set(chats.map((c) => c.chatId));
      for (;;) {
        const subscribed = new Map<string, number>();
        for (const s of graphWorld.graph.exportSubscriptions()) {
          const chatId = s.target.chatId;
          if (chatId && wanted.has(chatId) && (s.target.kind === 'chat' || s.target.kind === 'chatMembers')) subscribed.set(chatId, (subscribed.get(chatId) ?? 0) + 1);
        }
        const complete = chats.filter((c) => subscribed.get(c.chatId) === 2 && posted.has(c.chatId)).length;
        if (complete === count) break;
        if (performance.now() > deadline) throw new Error(`installing ${count} chats: ${complete} complete (subscribed and welcomed) before the deadline`);
        await new Promise((resolve) => setTimeout(resolve, count > 1000 ? 500 : 50));
      }
      await herald.idle();
      return chats;
    } finally {
      off();
    }
  };

  const postAtOnce: BenchWorld['postAtOnce'] = async (chats) => {
    await inParallel(chats.length, 20, async (i) => {
      const chat = chats[i] as InstalledChat;
      await teams.channel.sendMessage({ chatId: chat.chatId, tenantId: chat.tenantId, from: simulated.teamsMember(chat.ownerId), text: 'window 0' });
    });
  };

  return {
    simulated,
    caFile,
    dir,
    chatPayload: (chatId) => {
      const chat = world.getChat(chatId);
      if (!chat) throw new Error(`no chat ${chatId} in the world`);
      return chatForNotification(chat, (userId) => world.getUser(userId));
    },
    installChats,
    postAtOnce,
    onPost,
    close: async () => {
      await simulated.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
