/**
 * People joining chats in the simulated world, followed from outside Herald: the Graph double sends the
 * membership notifications (per-chat and tenant-wide subscriptions) and records Herald's answer, the
 * Bot Connector double receives the announcements. A join is accepted when the first notification about
 * it is answered 202, and announced when a post (or an edit of one) at the connector names the person.
 */
import { performance } from 'node:perf_hooks';
import type { BenchWorld, InstalledChat } from './benchWorld.js';
import { percentiles, sleep, type Percentiles } from './measure.js';

export interface Join {
  name: string;
  sentAt: number;
  acceptedAt: number | null;
  announcedAt: number | null;
}

export interface JoinTracker {
  /** Someone new joins the chat (performance.now() times in the returned record, filled in as they happen). */
  join(chat: InstalledChat): Join;
  joins(): Join[];
  /** Resolves once every one of these joins is announced; rejects after `timeoutMs` naming how many are not. */
  announced(joins: readonly Join[], timeoutMs: number): Promise<void>;
  close(): void;
}

// Unique, and never a prefix of another: "Jn000012x".
const NAME = /Jn\d{6}x/g;
let serial = 0;

export function trackJoins(world: BenchWorld): JoinTracker {
  const { world: model, graphWorld } = world.simulated;
  const byName = new Map<string, Join>();
  const byUserId = new Map<string, Join>();
  const offWire = graphWorld.wire.on((entry) => {
    if (entry.kind !== 'notification' || entry.status !== 202) return;
    const now = performance.now();
    for (const item of entry.items) {
      const userId = (item.decrypted as { userId?: unknown } | undefined)?.userId;
      const join = typeof userId === 'string' ? byUserId.get(userId) : undefined;
      if (join && join.acceptedAt === null) join.acceptedAt = now;
    }
  });
  const offPosts = world.onPost((post) => {
    const now = performance.now();
    const text = `${post.text ?? ''} ${JSON.stringify(post.attachments)}`;
    for (const name of text.match(NAME) ?? []) {
      const join = byName.get(name);
      if (join && join.announcedAt === null) join.announcedAt = now;
    }
  });
  return {
    join(chat) {
      const name = `Jn${String(++serial).padStart(6, '0')}x`;
      const user = model.addUser({ displayName: name, tenantId: chat.tenantId });
      const join: Join = { name, sentAt: performance.now(), acceptedAt: null, announcedAt: null };
      byName.set(name, join);
      byUserId.set(user.id, join);
      model.addMember(chat.chatId, user.id);
      return join;
    },
    joins: () => [...byName.values()],
    async announced(joins, timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const waiting = joins.filter((j) => j.announcedAt === null).length;
        if (waiting === 0) return;
        if (performance.now() > deadline) throw new Error(`${waiting} of ${joins.length} joins not announced within ${timeoutMs / 1000} s`);
        await sleep(20);
      }
    },
    close() {
      offWire();
      offPosts();
    },
  };
}

/**
 * Accepted → announced, at window 0, for `count` joins at a steady `perSecond`, spread round robin over
 * `chats` (kept under Teams' posting limits, so the figure is Herald's latency, not its pacing).
 */
export async function joinLatency(world: BenchWorld, chats: readonly InstalledChat[], options: { count: number; perSecond: number }): Promise<Percentiles> {
  const tracker = trackJoins(world);
  try {
    const joins: Join[] = [];
    const started = performance.now();
    for (let i = 0; i < options.count; i++) {
      const wait = started + (i * 1000) / options.perSecond - performance.now();
      if (wait > 0) await sleep(wait);
      const chat = options.count >= chats.length ? i % chats.length : Math.floor((i * chats.length) / options.count);
      joins.push(tracker.join(chats[chat] as InstalledChat));
    }
    await tracker.announced(joins, 120_000);
    // A post can reach the connector a moment before the double sees its own 202: that counts as 0 ms.
    return percentiles(joins.map((j) => Math.max(0, (j.announcedAt as number) - (j.acceptedAt ?? j.sentAt))));
  } finally {
    tracker.close();
  }
}

export interface OfferedJoins {
  joins: Join[];
  /** performance.now() when the first join was offered. */
  startedAt: number;
  /** What the doubles managed to send (they share the machine with Herald). */
  offeredPerSecond: number;
  /** When the last join was named in a post; null when some were not within the time allowed. */
  lastAnnouncedAt: number | null;
}

/**
 * `count` joins offered at a steady `perSecond` round robin over the chats, in ticks of 10 ms (a timer
 * per join would measure the timers; `duringTick` runs at each, e.g. to kill Herald mid-load), then
 * waits until every one is named in a post.
 */
export async function offerJoins(
  world: BenchWorld,
  chats: readonly InstalledChat[],
  options: { count: number; perSecond: number; timeoutMs?: number; duringTick?: (elapsedMs: number) => Promise<void> },
): Promise<OfferedJoins> {
  const tracker = trackJoins(world);
  try {
    const startedAt = performance.now();
    const joins: Join[] = [];
    for (let i = 0; i < options.count; ) {
      const elapsed = performance.now() - startedAt;
      await options.duringTick?.(elapsed);
      const due = Math.min(options.count, Math.floor((elapsed / 1000) * options.perSecond) + 1);
      for (; i < due; i++) joins.push(tracker.join(chats[i % chats.length] as InstalledChat));
      await sleep(10);
    }
    const offeredPerSecond = options.count / ((performance.now() - startedAt) / 1000);
    const complete = await tracker.announced(joins, options.timeoutMs ?? 300_000).then(
      () => true,
      () => false,
    );
    return { joins, startedAt, offeredPerSecond, lastAnnouncedAt: complete ? Math.max(...joins.map((j) => j.announcedAt as number)) : null };
  } finally {
    tracker.close();
  }
}
