import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { nearestRank } from '../src/metrics/nearestRank.js';
import { startPlaygroundHerald } from '../sim/playground/startPlaygroundHerald.js';
import { createHerald } from '../src/app/createHerald.js';
import { loadConfig } from '../src/config/loadConfig.js';
import { newGroupChatId, newTeamsMember, startTeamsDouble, type TeamsMember } from '../sim/doubles/teams/index.js';
import { silentLogger } from '../src/log/createLogger.js';
import type { MemberAddedEvent } from '../src/model/changeEvents.js';
import { emptyChatState } from '../src/model/chat.js';
import { createLoopbackCa } from '../sim/doubles/tls/loopbackCa.js';

export interface AnnounceLatencyOptions {
  /** Group chats Herald is installed in (default 100). */
  chats?: number;
  /** Tenants the chats are spread over (default 10; Teams limits sends per app and tenant). */
  tenants?: number;
  /** Measured rounds; in each round one person joins every chat (default 5, plus one warm-up round). */
  rounds?: number;
  /**
   * The joins of a round arrive evenly spread over this many ms (announcerLatency: default 1000, i.e.
   * 100 changes/s over 10 tenants; announceLatency: default 40 changes/s in its one tenant). 0 sends them
   * all at once, a burst that measures queueing more than latency.
   */
  spreadMs?: number;
}

export interface AnnounceLatencyResult {
  chats: number;
  tenants: number;
  rounds: number;
  spreadMs: number;
  /** Posts measured (chats × rounds). */
  samples: number;
  medianMs: number;
  p99Ms: number;
  maxMs: number;
  /** Process CPU time (Herald and the connector double together) per measured post. */
  cpuMsPerPost: number;
  /** Where the clock starts: the change event the notification pipeline publishes for an accepted item. */
  from: string;
  to: string;
}

const round1 = (ms: number) => Math.round(ms * 10) / 10;

/** The result of one latency run: percentiles of the samples and CPU time spent since `cpuAtStart`. */
function summarise(
  samples: number[],
  cpuAtStart: NodeJS.CpuUsage,
  run: Pick<AnnounceLatencyResult, 'chats' | 'tenants' | 'rounds' | 'spreadMs' | 'from' | 'to'>,
): AnnounceLatencyResult {
  const used = process.cpuUsage(cpuAtStart);
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    ...run,
    samples: sorted.length,
    medianMs: round1(nearestRank(sorted, 0.5) ?? Number.NaN),
    p99Ms: round1(nearestRank(sorted, 0.99) ?? Number.NaN),
    maxMs: round1(sorted[sorted.length - 1] ?? Number.NaN),
    cpuMsPerPost: round1((used.user + used.system) / 1000 / Math.max(1, sorted.length)),
  };
}

/** Chat ids named in a Graph notification resource such as `chats('19:…')/members('…')`. */
function chatIdOf(resource: string | undefined): string | null {
  const m = /chats\('([^']+)'\)/i.exec(resource ?? '');
  return m ? decodeURIComponent(m[1]) : null;
}

/**
 * Announcement latency through the whole loop, with the summary window set to 0: people join chats in
 * the simulated world; the Graph double sends encrypted change notifications to Herald (per-chat and
 * tenant-wide subscriptions, `displayName: null`); the clock starts when Herald has accepted the first
 * notification about the change (the double receives 202) and stops when the Teams double's Bot
 * Connector receives the post. Herald is the one `npm start` runs in the playground (createHerald, SQLite
 * file store in a temporary DATA_DIR, real HTTP on loopback), in the same process as the doubles.
 */
export async function announceLatency(options: AnnounceLatencyOptions = {}): Promise<AnnounceLatencyResult> {
  const chatCount = options.chats ?? 100;
  const rounds = options.rounds ?? 5;
  // The playground's chats share one tenant: 40 changes/s stays under Teams' 50 posts/s per app and
  // tenant, which Herald's pacing enforces (faster, and the numbers measure the pacing).
  const spreadMs = Math.max(0, options.spreadMs ?? Math.round((chatCount / 40) * 1_000));
  const dataDir = await mkdtemp(join(tmpdir(), 'herald-bench-loop-'));
  const config = loadConfig({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  const pg = await startPlaygroundHerald({ config, log: silentLogger(), tls: await createLoopbackCa() });
  try {
    const { world, teams, app, tenantId, graphWorld } = pg.simulated;
    const { context } = pg.herald;
    const chats: string[] = [];
    for (let i = 0; i < chatCount; i++) {
      const owner = world.addUser({ displayName: `Owner ${i}`, tenantId });
      const chat = world.createChat({ tenantId, topic: `Chat ${i}`, members: [owner.id] });
      world.installApp(chat.id, app.teamsAppId);
      await teams.channel.installIntoChat({ chatId: chat.id, tenantId, by: pg.simulated.teamsMember(owner.id), topic: `Chat ${i}` });
      await context.settings.apply(chat.id, tenantId, { windowMs: 0 }, 'bench', 'chat');
      chats.push(chat.id);
    }
    await pg.settle();

    const accepted = new Map<string, number>();
    const samples: number[] = [];
    let measuring = false;
    let arrived = 0;
    let notify: (() => void) | null = null;
    const offWire = graphWorld.wire.on((entry) => {
      if (entry.kind !== 'notification' || entry.status !== 202) return;
      const now = performance.now();
      for (const item of entry.items) {
        const chatId = item.resource?.includes('/members') ? chatIdOf(item.resource) : null;
        if (chatId && !accepted.has(chatId)) accepted.set(chatId, now);
      }
    });
    const offPosts = teams.connector.subscribe((event) => {
      if (event.type !== 'posted' || event.post.attachments.length === 0) return;
      const t0 = accepted.get(event.post.conversationId);
      if (t0 === undefined) return;
      accepted.delete(event.post.conversationId);
      if (measuring) samples.push(performance.now() - t0);
      arrived++;
      notify?.();
    });

    let cpu = { user: 0, system: 0 };
    for (let r = 0; r <= rounds; r++) {
      measuring = r > 0;
      if (r === 1) cpu = process.cpuUsage();
      arrived = 0;
      const allArrived = new Promise<void>((resolve) => {
        notify = () => {
          if (arrived >= chats.length) resolve();
        };
      });
      const roundStart = performance.now();
      await Promise.all(
        chats.map(async (chatId, i) => {
          const wait = roundStart + (i * spreadMs) / chats.length - performance.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          const person = world.addUser({ displayName: `Joiner ${r}-${i}`, tenantId });
          world.addMember(chatId, person.id);
        }),
      );
      await allArrived;
      notify = null;
      await pg.settle();
      const rest = roundStart + Math.max(spreadMs, 1_000) - performance.now();
      if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
    }
    offWire();
    offPosts();
    return summarise(samples, cpu, {
      chats: chatCount,
      tenants: 1,
      rounds,
      spreadMs,
      from: 'Graph notification accepted by Herald (202 at the Graph double), window 0',
      to: 'post received by the Bot Connector double',
    });
  } finally {
    await pg.stop();
    if (process.env.KEEP_BENCH_DATA) console.error(dataDir);
    else await rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * The announcer alone, with the summary window set to 0: from the moment a change reaches the
 * announcer (the `change` event the notification pipeline emits for an accepted notification item)
 * until the Bot Connector double has received the post. Herald is built by `createHerald` as `npm start`
 * does (SQLite store in a temporary directory, real HTTP on loopback); every join carries
 * `displayName: null`, so each post includes a Bot Connector member lookup, as in production.
 */
export async function announcerLatency(options: AnnounceLatencyOptions = {}): Promise<AnnounceLatencyResult> {
  const chatCount = options.chats ?? 100;
  const tenantCount = Math.max(1, Math.min(options.tenants ?? 10, chatCount));
  const rounds = options.rounds ?? 5;
  const spreadMs = Math.max(0, options.spreadMs ?? 1_000);
  const tenants = Array.from({ length: tenantCount }, () => randomUUID());
  const dataDir = await mkdtemp(join(tmpdir(), 'herald-bench-announce-'));
  const double = await startTeamsDouble({ botAppId: '', tenantId: tenants[0] });
  // BOT_ID blank: no Bot Framework auth on either side (botbuilder needs MultiTenant for a blank id).
  const config = loadConfig({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent', BOT_TYPE: 'MultiTenant' });
  const herald = await createHerald(config, silentLogger());
  try {
    const url = await herald.start();
    double.channel.setBotEndpoint(`${url}/api/messages`);
    const announcements = herald.modules.announcements;
    if (!announcements) throw new Error('announcements are not wired into createHerald');
    const { context } = herald;

    const chats: Array<{ chatId: string; tenantId: string }> = [];
    for (let i = 0; i < chatCount; i++) {
      const tenantId = tenants[i % tenantCount];
      const chatId = newGroupChatId();
      const owner = newTeamsMember({ name: `Owner ${i}`, tenantId });
      double.directory.setMembers(chatId, [owner]);
      await double.channel.installIntoChat({ chatId, tenantId, by: owner, topic: `Chat ${i}` });
      await context.settings.apply(chatId, tenantId, { windowMs: 0 }, 'bench', 'chat');
      // The baseline the subscription manager would take from Graph.
      const at = new Date().toISOString();
      await context.store.chats.update(chatId, (s) => ({ ...(s ?? emptyChatState(chatId, tenantId)), topic: `Chat ${i}`, topicUpdatedAt: at, baselineAt: at }));
      chats.push({ chatId, tenantId });
    }
    await announcements.idle();

    const started = new Map<string, number>();
    const samples: number[] = [];
    let measuring = false;
    let arrived = 0;
    let notify: (() => void) | null = null;
    const unsubscribe = double.connector.subscribe((event) => {
      if (event.type !== 'posted' || event.post.attachments.length === 0) return;
      const t0 = started.get(event.post.conversationId);
      if (t0 === undefined) return;
      started.delete(event.post.conversationId);
      if (measuring) samples.push(performance.now() - t0);
      arrived++;
      notify?.();
    });

    const join = async (chatId: string, tenantId: string, person: TeamsMember) => {
      const event: MemberAddedEvent = {
        kind: 'memberAdded', tenantId, chatId, changeKey: randomUUID(), source: 'notification', receivedAt: new Date().toISOString(), at: null,
        member: { userId: person.aadObjectId, displayName: null, tenantId, roles: [] },
      };
      started.set(chatId, performance.now());
      await context.events.emit('change', event);
    };

    let cpu = { user: 0, system: 0 };
    for (let r = 0; r <= rounds; r++) {
      measuring = r > 0;
      if (r === 1) cpu = process.cpuUsage();
      arrived = 0;
      const people = chats.map(({ chatId, tenantId }, i) => {
        const person = newTeamsMember({ name: `Joiner ${r}-${i}`, tenantId });
        double.directory.addMember(chatId, person);
        return person;
      });
      const allArrived = new Promise<void>((resolve) => {
        notify = () => {
          if (arrived >= chats.length) resolve();
        };
      });
      const roundStart = performance.now();
      await Promise.all(
        chats.map(async ({ chatId, tenantId }, i) => {
          const offset = (i * spreadMs) / chats.length;
          const wait = roundStart + offset - performance.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          await join(chatId, tenantId, people[i]);
        }),
      );
      await allArrived;
      // A round per chat at most every spreadMs: Teams' per-chat pacing (7 posts/s) stays out of the numbers.
      const rest = roundStart + Math.max(spreadMs, 1_000) - performance.now();
      if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
      notify = null;
      await announcements.idle();
    }
    unsubscribe();
    return summarise(samples, cpu, {
      chats: chatCount,
      tenants: tenantCount,
      rounds,
      spreadMs,
      from: 'change event for an accepted notification item (window 0)',
      to: 'post received by the Bot Connector double',
    });
  } finally {
    await herald.stop();
    await double.close();
    if (process.env.KEEP_BENCH_DATA) console.error(dataDir); else await rm(dataDir, { recursive: true, force: true });
  }
}

// Run directly: node --import tsx bench/announceLatency.ts [chats] [rounds] [spreadMs] [--announcer]
if (import.meta.url === `file://${process.argv[1]}`) {
  const announcerOnly = process.argv.includes('--announcer');
  const [chats, rounds, spreadMs] = process.argv
    .slice(2)
    .filter((a) => !a.startsWith('--'))
    .map((a) => (a === '' ? undefined : Number(a)));
  (announcerOnly ? announcerLatency : announceLatency)({ chats, rounds, spreadMs }).then(
    (result) => console.log(JSON.stringify(result, null, 2)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
