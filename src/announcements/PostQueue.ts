import { randomUUID } from 'node:crypto';
import type { Activity } from 'botbuilder';
import type { Logger } from 'pino';
import { PostError } from '../bot/ChatPoster.js';
import { chatLockKey } from '../events/ChatUnits.js';
import type { ChatChangesEvent } from '../events/HeraldEvents.js';
import type { OutboxPost } from '../model/inbox.js';
import type { Installation } from '../model/installation.js';
import type { Store, StoreData } from '../storage/Store.js';
import { DEFAULT_RETRY_POLICY, retryDelayMs, type RetryPolicy } from './retryDelay.js';
import { mergeStamps, nextAllowedAt, SlidingWindowLimiter, stampsThatCount, TEAMS_SEND_LIMITS, type PacingLimits } from './SlidingWindowLimiter.js';
import { systemTimers, type Timers } from '../kernel/timers.js';

/** Posts one activity into an installed chat (ChatPoster); throws `PostError` when the connector refuses. */
export interface AnnouncementPoster {
  post(installation: Installation, activity: Partial<Activity>): Promise<string | undefined>;
}

/** The registry calls the queue needs. */
export interface PostTargets {
  /** The chat's installation, read through `within` (a unit's transaction) when given. */
  get(chatId: string, within?: StoreData): Promise<Installation | undefined>;
  markUninstalled(chatId: string, reason: string): Promise<boolean>;
}

export interface PostQueueDeps {
  store: Store;
  registry: PostTargets;
  poster: AnnouncementPoster;
  clock: () => Date;
  log: Logger;
  timers?: Timers;
  random?: () => number;
  pacing?: PacingLimits;
  retry?: RetryPolicy;
  /** Period of the sweep for chats with posts this instance does not know of; default OUTBOX_SWEEP_MS. */
  sweepMs?: number;
  /** Chats this instance sends to at once (each holds a key lock, i.e. a database connection); default 8. */
  maxConcurrentChats?: number;
}

/**
 * The key a chat's announcement work (AnnouncementService) and its sends run under, on every instance.
 * Apart from the subscription manager's `chat:` keys, so the two never wait for each other.
 */
/**
 * The shortest a chat's changes wait to be summarised in one post while its earlier posts are still
 * waiting: what piles up under Teams' limits (50 posts a second per tenant) goes out together.
 */
export const PILE_UP_MS = 1_000;

/** A chat's unit of work as a writer sees it: its transaction, and what runs once that has committed. */
export type StoreUnit = Pick<ChatChangesEvent, 'tx' | 'afterCommit'>;

/** How often every instance looks for chats with posts it does not know of (enqueued by another, perhaps dead, instance). */
export const OUTBOX_SWEEP_MS = 5_000;

/** What one look at a chat's next post did. */
type StepOutcome = 'sent' | 'waiting' | 'empty' | 'failed';

/** A look under the chat's lock; `uninstalled` is told to the registry once the lock is released. */
interface LockedStep {
  outcome: StepOutcome;
  uninstalled?: string;
}

/** How soon a chat whose post could not be looked at (the store was unreachable) is looked at again. */
const STEP_RETRY_MS = 1_000;

export interface PostQueueStats {
  sent: number;
  retried: number;
  /** Given up: refused for good (4xx other than 403/404), too old, or the chat was gone. */
  dropped: number;
  /** Chats marked uninstalled because the connector answered 403/404. */
  uninstalled: number;
}

/**
 * Herald's outbox. Posts are persisted before anything is sent, so they survive a restart. Per chat
 * they go out one at a time and in order, paced under Teams' per-conversation and per-tenant limits;
 * 429/412/5xx are retried with exponential backoff and jitter (never sooner than Retry-After); a 403
 * or 404 means Herald is no longer in the chat: the chat is marked uninstalled and its posts dropped.
 *
 * Several instances may share the outbox: a chat's posts are sent under the chat's key lock, each
 * send re-reading the chat's oldest post from the store and deleting it once the connector accepted
 * it, so a post goes out once and in order whichever instance sends it. Every instance sweeps the
 * outbox periodically, so posts a dead instance enqueued still go out. The per-conversation send times
 * are kept on the chat's state, where every instance sees them; the per-tenant limit is per instance.
 */
export class PostQueue {
  private readonly timers: Timers;
  private readonly random: () => number;
  private readonly retry: RetryPolicy;
  private readonly pacing: PacingLimits;
  private readonly perConversation: SlidingWindowLimiter;
  private readonly perTenant: SlidingWindowLimiter;
  private readonly maxConcurrent: number;
  private readonly wakeups = new Map<string, { handle: unknown; at: number }>();
  private readonly sending = new Map<string, Promise<void>>();
  /** Chats asked to be looked at while a look was in flight: looked at again when it ends. */
  private readonly again = new Set<string>();
  /** Chats waiting for a turn (no more than `maxConcurrent` chats are looked at at once). */
  private readonly turns = new Set<string>();
  /** Ids of each chat's stored posts as this instance last saw them, oldest first (for status; the store decides). */
  private readonly index = new Map<string, string[]>();
  private sweepHandle: unknown = null;
  private sequence = 0;
  private running = false;
  readonly stats: PostQueueStats = { sent: 0, retried: 0, dropped: 0, uninstalled: 0 };

  constructor(private readonly deps: PostQueueDeps) {
    this.timers = deps.timers ?? systemTimers();
    this.random = deps.random ?? Math.random;
    this.retry = deps.retry ?? DEFAULT_RETRY_POLICY;
    this.pacing = deps.pacing ?? TEAMS_SEND_LIMITS;
    this.perConversation = new SlidingWindowLimiter(this.pacing.perConversation);
    this.perTenant = new SlidingWindowLimiter(this.pacing.perTenant);
    this.maxConcurrent = Math.max(1, deps.maxConcurrentChats ?? 8);
  }

  /** Starts delivering, including posts left over from before a restart (or by another instance). */
  async start(): Promise<void> {
    this.running = true;
    await this.sweep();
    this.scheduleSweep();
  }

  /** Stops timers and waits for sends in flight; what is left stays in the outbox for the next start. */
  async stop(): Promise<void> {
    this.running = false;
    for (const { handle } of this.wakeups.values()) this.timers.clearTimeout(handle);
    this.wakeups.clear();
    this.turns.clear();
    if (this.sweepHandle !== null) this.timers.clearTimeout(this.sweepHandle);
    this.sweepHandle = null;
    await this.idle();
  }

  /**
   * Persists a post and schedules it. Inside a chat's unit of work (`within`), the post is written through
   * its transaction and scheduled once that has committed; otherwise it is written on its own.
   */
  async enqueue(chatId: string, activity: Partial<Activity>, within?: StoreUnit): Promise<OutboxPost> {
    const now = this.deps.clock();
    const post: OutboxPost = {
      // Sortable: creation time, then a per-process sequence for posts created in the same millisecond.
      // Callers enqueue under the chat's lock, so a chat's posts are created one after the other.
      id: `${now.getTime().toString(36).padStart(10, '0')}-${(this.sequence++).toString(36).padStart(6, '0')}-${randomUUID().slice(0, 8)}`,
      chatId,
      activity: activity as Record<string, unknown>,
      createdAt: now.toISOString(),
      attempts: 0,
      notBefore: now.toISOString(),
    };
    const scheduled = () => {
      this.index.set(chatId, [...(this.index.get(chatId) ?? []), post.id]);
      this.schedule(chatId);
    };
    if (within) {
      await within.tx.outbox.put(post.id, post);
      within.afterCommit(scheduled);
    } else {
      await this.deps.store.outbox.put(post.id, post);
      scheduled();
    }
    return post;
  }

  /** Forgets every queued post of a chat (Herald was removed from it). */
  async dropChat(chatId: string): Promise<number> {
    return this.deps.store.locks.run(chatLockKey(chatId), () => this.dropChatLocked(chatId));
  }

  /** Posts waiting, as this instance last saw the outbox (all chats when `chatId` is absent). */
  pending(chatId?: string): number {
    if (chatId !== undefined) return this.index.get(chatId)?.length ?? 0;
    let total = 0;
    for (const ids of this.index.values()) total += ids.length;
    return total;
  }

  /** When the next attempt for a chat is due (ms), if one is scheduled. */
  nextAttemptAt(chatId: string): number | null {
    return this.wakeups.get(chatId)?.at ?? null;
  }

  /**
   * While a chat's posts wait for Teams' limits (a later attempt is scheduled) or for their turn: how
   * long until it may post again, at least PILE_UP_MS. Null when nothing of the chat waits (or it is
   * being sent now).
   */
  busyFor(chatId: string): number | null {
    if (this.pending(chatId) === 0) return null;
    const next = this.nextAttemptAt(chatId);
    // Waiting for a wake-up (pacing) or for a turn among the chats being sent to.
    if (next === null && !this.turns.has(chatId)) return null;
    return Math.max(PILE_UP_MS, (next ?? 0) - this.deps.clock().getTime());
  }

  /** Resolves once no send is in flight (tests and benchmarks; scheduled retries do not count). */
  async idle(): Promise<void> {
    while (this.sending.size > 0) await Promise.allSettled([...this.sending.values()]);
  }

  private async dropChatLocked(chatId: string): Promise<number> {
    const wake = this.wakeups.get(chatId);
    if (wake) this.timers.clearTimeout(wake.handle);
    this.wakeups.delete(chatId);
    const posts = await this.deps.store.outbox.ofChat(chatId);
    this.index.delete(chatId);
    await Promise.all(posts.map((post) => this.deps.store.outbox.delete(post.id)));
    this.stats.dropped += posts.length;
    return posts.length;
  }

  /**
   * Learns which chats have posts (the whole outbox, which is small: posts leave it once delivered) and
   * looks at every chat this instance has no wake-up for: posts enqueued by another instance, which
   * may have died, or left over from before a restart.
   */
  private async sweep(): Promise<void> {
    const byChat = await this.deps.store.outbox.idsByChat();
    this.index.clear();
    for (const [chatId, ids] of byChat) this.index.set(chatId, ids.sort());
    for (const chatId of byChat.keys()) if (!this.wakeups.has(chatId)) this.schedule(chatId);
  }

  private scheduleSweep(): void {
    if (!this.running || this.sweepHandle !== null) return;
    this.sweepHandle = this.timers.setTimeout(() => {
      this.sweepHandle = null;
      void this.sweep()
        .catch((error: unknown) => this.deps.log.warn({ err: error }, 'outbox sweep failed; trying again at the next one'))
        .finally(() => this.scheduleSweep());
    }, this.deps.sweepMs ?? OUTBOX_SWEEP_MS);
  }

  private forget(post: OutboxPost): Promise<void> {
    const ids = this.index.get(post.chatId);
    if (ids) {
      const remaining = ids.filter((id) => id !== post.id);
      if (remaining.length > 0) this.index.set(post.chatId, remaining);
      else this.index.delete(post.chatId);
    }
    return this.deps.store.outbox.delete(post.id);
  }

  /**
   * Looks at the chat's next post: sends it when due, or sets a wake-up. One look per chat at a time
   * (`sending`; across instances, the chat's lock), so a chat's posts go out one by one and in order.
   */
  private schedule(chatId: string): void {
    if (!this.running) return;
    if (this.sending.has(chatId)) {
      this.again.add(chatId);
      return;
    }
    if (this.sending.size >= this.maxConcurrent) {
      this.turns.add(chatId);
      return;
    }
    this.turns.delete(chatId);
    const step = this.step(chatId)
      .catch((error: unknown): StepOutcome => {
        this.deps.log.error({ err: error, chatId }, 'post queue failed');
        return 'failed';
      })
      .then((outcome) => {
        const asked = this.again.delete(chatId);
        this.sending.delete(chatId);
        if (outcome === 'failed') this.wakeLater(chatId, this.deps.clock().getTime() + STEP_RETRY_MS);
        else if (outcome === 'sent' || asked) this.schedule(chatId);
        // Started before this look is forgotten by `idle`: the next chat in line takes the freed turn.
        const next = this.turns.values().next();
        if (!next.done) this.schedule(next.value);
      });
    this.sending.set(chatId, step);
  }

  private wakeLater(chatId: string, due: number): void {
    if (!this.running) return;
    const existing = this.wakeups.get(chatId);
    if (existing && existing.at <= due) return;
    if (existing) this.timers.clearTimeout(existing.handle);
    const handle = this.timers.setTimeout(() => {
      this.wakeups.delete(chatId);
      this.schedule(chatId);
    }, Math.max(0, due - this.deps.clock().getTime()));
    this.wakeups.set(chatId, { handle, at: due });
  }

  private async step(chatId: string): Promise<StepOutcome> {
    const result = await this.deps.store.locks.run(chatLockKey(chatId), () => this.stepLocked(chatId));
    // Told after the lock is released: the registry's `uninstalled` event runs work under the same lock.
    if (result.uninstalled !== undefined) await this.deps.registry.markUninstalled(chatId, result.uninstalled);
    return result.outcome;
  }

  private async stepLocked(chatId: string): Promise<LockedStep> {
    const { store, registry } = this.deps;
    // Read under the lock: another instance may have sent (and deleted) posts since this one last looked.
    const posts = await store.outbox.ofChat(chatId);
    if (posts.length > 0) this.index.set(chatId, posts.map((p) => p.id));
    else this.index.delete(chatId);
    const head = posts[0];
    if (!head) return { outcome: 'empty' };
    const now = this.deps.clock().getTime();
    const installation = await registry.get(chatId);
    const tenantId = installation?.tenantId ?? '';
    const shared = (await store.chats.get(chatId))?.postsSentAt ?? [];
    const sentAt = mergeStamps(shared, this.perConversation.stampsOf(chatId, now));
    const due = Math.max(
      Date.parse(head.notBefore) || now,
      nextAllowedAt(sentAt, this.pacing.perConversation, now),
      this.perTenant.nextAllowedAt(tenantId, now),
    );
    if (due > now) {
      this.wakeLater(chatId, due);
      return { outcome: 'waiting' };
    }
    const existing = this.wakeups.get(chatId);
    if (existing) this.timers.clearTimeout(existing.handle);
    this.wakeups.delete(chatId);
    return this.send(head, installation, tenantId);
  }

  private async send(post: OutboxPost, installation: Installation | undefined, tenantId: string): Promise<LockedStep> {
    const { log, store } = this.deps;
    if (!installation || installation.status !== 'installed' || !installation.serviceUrl) {
      log.info({ chatId: post.chatId, postId: post.id }, 'dropping post: Herald is not installed in the chat');
      await this.forget(post);
      this.stats.dropped++;
      return { outcome: 'sent' };
    }
    const now = this.deps.clock().getTime();
    // Refused attempts count against Teams' limits too. Stored before sending, for every instance to see.
    this.perConversation.record(post.chatId, now);
    this.perTenant.record(tenantId, now);
    const windows = this.pacing.perConversation;
    await store.chats.update(post.chatId, (current) => current && { ...current, postsSentAt: stampsThatCount([...(current.postsSentAt ?? []), now], windows, now) });
    try {
      await this.deps.poster.post(installation, post.activity as Partial<Activity>);
    } catch (error) {
      return this.failed(post, error, installation);
    }
    await this.forget(post);
    this.stats.sent++;
    log.debug({ chatId: post.chatId, postId: post.id, attempts: post.attempts + 1 }, 'announcement posted');
    return { outcome: 'sent' };
  }

  private async failed(post: OutboxPost, error: unknown, installation: Installation): Promise<LockedStep> {
    const { store, log } = this.deps;
    const failure = error instanceof PostError ? error : new PostError(post.chatId, null, null, null, error);
    if (failure.permanent) {
      log.warn({ chatId: post.chatId, status: failure.status, code: failure.connectorCode }, 'connector says Herald is not in the chat; marking it uninstalled');
      await this.forget(post);
      this.stats.dropped++;
      this.stats.uninstalled++;
      await this.dropChatLocked(post.chatId);
      return { outcome: 'sent', uninstalled: `connector answered ${failure.status}${failure.connectorCode ? ` ${failure.connectorCode}` : ''}` };
    }
    const now = this.deps.clock().getTime();
    const attempts = post.attempts + 1;
    const tooOld = now - Date.parse(post.createdAt) > this.retry.maxAgeMs;
    if (!failure.retryable || tooOld) {
      log.error(
        { err: failure, chatId: post.chatId, tenantId: installation.tenantId, status: failure.status, code: failure.connectorCode, attempts },
        tooOld ? 'giving up a post that could not be delivered in time' : 'connector refused a post; not retrying',
      );
      await this.forget(post);
      this.stats.dropped++;
      return { outcome: 'sent' };
    }
    const delay = retryDelayMs(attempts, failure.retryAfterMs, this.retry, this.random);
    log.warn({ chatId: post.chatId, status: failure.status, code: failure.connectorCode, attempts, retryInMs: delay }, 'post failed; will retry');
    this.stats.retried++;
    await store.outbox.put(post.id, { ...post, attempts, notBefore: new Date(now + delay).toISOString() });
    return { outcome: 'sent' };
  }
}
