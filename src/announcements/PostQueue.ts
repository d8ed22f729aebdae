import { randomUUID } from 'node:crypto';
import type { Activity } from 'botbuilder';
import type { Logger } from 'pino';
import { PostError } from '../bot/ChatPoster.js';
import type { OutboxPost } from '../model/inbox.js';
import type { Installation } from '../model/installation.js';
import type { StoreContract } from '../storage/StoreContract.js';
import { DEFAULT_RETRY_POLICY, retryDelayMs, type RetryPolicy } from './retryDelay.js';
import { SlidingWindowLimiter, TEAMS_SEND_LIMITS, type PacingLimits } from './SlidingWindowLimiter.js';
import { systemTimers, type Timers } from '../kernel/timers.js';

/** Posts one activity into an installed chat (ChatPoster); throws `PostError` when the connector refuses. */
export interface AnnouncementPoster {
  post(installation: Installation, activity: Partial<Activity>): Promise<string | undefined>;
}

/** The registry calls the queue needs. */
export interface PostTargets {
  get(chatId: string): Promise<Installation | undefined>;
  markUninstalled(chatId: string, reason: string): Promise<boolean>;
}

export interface PostQueueDeps {
  store: StoreContract;
  registry: PostTargets;
  poster: AnnouncementPoster;
  clock: () => Date;
  log: Logger;
  timers?: Timers;
  random?: () => number;
  pacing?: PacingLimits;
  retry?: RetryPolicy;
}

/** What one look at a chat's next post did. */
type StepOutcome = 'sent' | 'waiting' | 'empty' | 'failed';

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
 */
export class PostQueue {
  private readonly timers: Timers;
  private readonly random: () => number;
  private readonly retry: RetryPolicy;
  private readonly perConversation: SlidingWindowLimiter;
  private readonly perTenant: SlidingWindowLimiter;
  private readonly wakeups = new Map<string, { handle: unknown; at: number }>();
  private readonly sending = new Map<string, Promise<void>>();
  /** Ids of each chat's stored posts, oldest first (the store holds the posts; listing it clones them all). */
  private readonly index = new Map<string, string[]>();
  private indexed = false;
  private sequence = 0;
  private running = false;
  readonly stats: PostQueueStats = { sent: 0, retried: 0, dropped: 0, uninstalled: 0 };

  constructor(private readonly deps: PostQueueDeps) {
    this.timers = deps.timers ?? systemTimers();
    this.random = deps.random ?? Math.random;
    this.retry = deps.retry ?? DEFAULT_RETRY_POLICY;
    const pacing = deps.pacing ?? TEAMS_SEND_LIMITS;
    this.perConversation = new SlidingWindowLimiter(pacing.perConversation);
    this.perTenant = new SlidingWindowLimiter(pacing.perTenant);
  }

  /** Starts delivering, including posts left over from before a restart. */
  async start(): Promise<void> {
    await this.buildIndex();
    this.running = true;
    for (const chatId of [...this.index.keys()]) this.schedule(chatId);
  }

  /** Stops timers and waits for sends in flight; what is left stays in the outbox for the next start. */
  async stop(): Promise<void> {
    this.running = false;
    for (const { handle } of this.wakeups.values()) this.timers.clearTimeout(handle);
    this.wakeups.clear();
    await Promise.allSettled([...this.sending.values()]);
  }

  /**
   * Persists a post and schedules it. The outbox write starts synchronously, so callers can make it
   * part of the same storage write as other changes issued in the same tick.
   */
  enqueue(chatId: string, activity: Partial<Activity>): Promise<OutboxPost> {
    const now = this.deps.clock();
    const post: OutboxPost = {
      // Sortable: creation time, then a per-process sequence for posts created in the same millisecond.
      id: `${now.getTime().toString(36).padStart(10, '0')}-${(this.sequence++).toString(36).padStart(6, '0')}-${randomUUID().slice(0, 8)}`,
      chatId,
      activity: activity as Record<string, unknown>,
      createdAt: now.toISOString(),
      attempts: 0,
      notBefore: now.toISOString(),
    };
    const written = this.deps.store.outbox.put(post.id, post);
    this.index.set(chatId, [...(this.index.get(chatId) ?? []), post.id]);
    return written.then(() => {
      this.schedule(chatId);
      return post;
    });
  }

  /** Forgets every queued post of a chat (Herald was removed from it). */
  async dropChat(chatId: string): Promise<number> {
    const wake = this.wakeups.get(chatId);
    if (wake) this.timers.clearTimeout(wake.handle);
    this.wakeups.delete(chatId);
    const ids = this.index.get(chatId) ?? [];
    this.index.delete(chatId);
    await Promise.all(ids.map((id) => this.deps.store.outbox.delete(id)));
    this.stats.dropped += ids.length;
    return ids.length;
  }

  /** Posts waiting (all chats when `chatId` is absent). */
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

  /** Resolves once no send is in flight (tests and benchmarks; scheduled retries do not count). */
  async idle(): Promise<void> {
    while (this.sending.size > 0) await Promise.allSettled([...this.sending.values()]);
  }

  /** Learns the stored posts (left over from before a restart), keeping posts enqueued meanwhile. */
  private async buildIndex(): Promise<void> {
    if (this.indexed) return;
    const stored = await this.deps.store.outbox.list();
    this.indexed = true;
    const byId = new Map<string, string>();
    for (const post of stored) byId.set(post.id, post.chatId);
    for (const [chatId, ids] of this.index) for (const id of ids) byId.set(id, chatId);
    this.index.clear();
    // Ids sort by creation time (see enqueue).
    for (const [id, chatId] of [...byId].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) this.index.set(chatId, [...(this.index.get(chatId) ?? []), id]);
  }

  /** The chat's oldest stored post (ids whose post is gone are forgotten on the way). */
  private async head(chatId: string): Promise<OutboxPost | undefined> {
    const ids = this.index.get(chatId) ?? [];
    while (ids.length > 0) {
      const id = ids[0] as string;
      const post = await this.deps.store.outbox.get(id);
      if (post) return post;
      if (ids[0] === id) ids.shift();
    }
    if (this.index.get(chatId)?.length === 0) this.index.delete(chatId);
    return undefined;
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
   * (`sending`), so a chat's posts go out one by one and in order.
   */
  private schedule(chatId: string): void {
    if (!this.running || this.sending.has(chatId)) return;
    const step = this.step(chatId)
      .catch((error: unknown): StepOutcome => {
        this.deps.log.error({ err: error, chatId }, 'post queue failed');
        return 'failed';
      })
      .then((outcome) => {
        this.sending.delete(chatId);
        if (outcome === 'failed') this.wakeLater(chatId, this.deps.clock().getTime() + STEP_RETRY_MS);
        else if (outcome === 'sent' || (outcome === 'empty' && (this.index.get(chatId)?.length ?? 0) > 0)) this.schedule(chatId);
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
    const head = await this.head(chatId);
    if (!head) return 'empty';
    const now = this.deps.clock().getTime();
    const tenantId = (await this.deps.registry.get(chatId))?.tenantId ?? '';
    const due = Math.max(
      Date.parse(head.notBefore) || now,
      this.perConversation.nextAllowedAt(chatId, now),
      this.perTenant.nextAllowedAt(tenantId, now),
    );
    if (due > now) {
      this.wakeLater(chatId, due);
      return 'waiting';
    }
    const existing = this.wakeups.get(chatId);
    if (existing) this.timers.clearTimeout(existing.handle);
    this.wakeups.delete(chatId);
    await this.send(head, tenantId);
    return 'sent';
  }

  private async send(post: OutboxPost, tenantId: string): Promise<void> {
    const { registry, log } = this.deps;
    const installation = await registry.get(post.chatId);
    if (!installation || installation.status !== 'installed' || !installation.serviceUrl) {
      log.info({ chatId: post.chatId, postId: post.id }, 'dropping post: Herald is not installed in the chat');
      await this.forget(post);
      this.stats.dropped++;
      return;
    }
    const now = this.deps.clock();
    // Refused attempts count against Teams' limits too.
    this.perConversation.record(post.chatId, now.getTime());
    this.perTenant.record(tenantId, now.getTime());
    try {
      await this.deps.poster.post(installation, post.activity as Partial<Activity>);
    } catch (error) {
      await this.failed(post, error, installation);
      return;
    }
    await this.forget(post);
    this.stats.sent++;
    log.debug({ chatId: post.chatId, postId: post.id, attempts: post.attempts + 1 }, 'announcement posted');
  }

  private async failed(post: OutboxPost, error: unknown, installation: Installation): Promise<void> {
    const { store, log, registry } = this.deps;
    const failure = error instanceof PostError ? error : new PostError(post.chatId, null, null, null, error);
    if (failure.permanent) {
      log.warn({ chatId: post.chatId, status: failure.status, code: failure.connectorCode }, 'connector says Herald is not in the chat; marking it uninstalled');
      await this.forget(post);
      this.stats.dropped++;
      this.stats.uninstalled++;
      await registry.markUninstalled(post.chatId, `connector answered ${failure.status}${failure.connectorCode ? ` ${failure.connectorCode}` : ''}`);
      await this.dropChat(post.chatId);
      return;
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
      return;
    }
    const delay = retryDelayMs(attempts, failure.retryAfterMs, this.retry, this.random);
    log.warn({ chatId: post.chatId, status: failure.status, code: failure.connectorCode, attempts, retryInMs: delay }, 'post failed; will retry');
    this.stats.retried++;
    await store.outbox.put(post.id, { ...post, attempts, notBefore: new Date(now + delay).toISOString() });
  }
}
