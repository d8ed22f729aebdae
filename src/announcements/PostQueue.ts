import { randomUUID } from 'node:crypto';
import type { Activity } from 'botbuilder';
import type { Logger } from 'pino';
import { PostError } from '../bot/ChatPoster.js';
import type { OutboxPost } from '../model/inbox.js';
import type { Installation } from '../model/installation.js';
import type { HeraldStore } from '../storage/HeraldStore.js';
import { DEFAULT_RETRY_POLICY, retryDelayMs, type RetryPolicy } from './retryDelay.js';
import { SlidingWindowLimiter, TEAMS_SEND_LIMITS, type PacingLimits } from './SlidingWindowLimiter.js';
import { systemTimers, type Timers } from '../kernel/timers.js';

/** Posts one activity into an installed chat (ChatPoster); throws `PostError` when the connector refuses. */
export interface AnnouncementPoster {
  post(installation: Installation, activity: Partial<Activity>): Promise<string | undefined>;
}

/** The registry calls the queue needs. */
export interface PostTargets {
  get(chatId: string): Installation | undefined;
  markUninstalled(chatId: string, reason: string): Promise<boolean>;
}

export interface PostQueueDeps {
  store: HeraldStore;
  registry: PostTargets;
  poster: AnnouncementPoster;
  clock: () => Date;
  log: Logger;
  timers?: Timers;
  random?: () => number;
  pacing?: PacingLimits;
  retry?: RetryPolicy;
}

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
  start(): void {
    this.running = true;
    this.buildIndex();
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
    this.buildIndex();
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
    this.buildIndex();
    const ids = this.index.get(chatId) ?? [];
    this.index.delete(chatId);
    await Promise.all(ids.map((id) => this.deps.store.outbox.delete(id)));
    this.stats.dropped += ids.length;
    return ids.length;
  }

  /** Posts waiting (all chats when `chatId` is absent). */
  pending(chatId?: string): number {
    this.buildIndex();
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

  private buildIndex(): void {
    if (this.indexed) return;
    this.indexed = true;
    const posts = this.deps.store.outbox
      .list()
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const post of posts) this.index.set(post.chatId, [...(this.index.get(post.chatId) ?? []), post.id]);
  }

  /** The chat's oldest stored post (ids whose post is gone are forgotten on the way). */
  private head(chatId: string): OutboxPost | undefined {
    const ids = this.index.get(chatId) ?? [];
    while (ids.length > 0) {
      const post = this.deps.store.outbox.get(ids[0]);
      if (post) return post;
      ids.shift();
    }
    this.index.delete(chatId);
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

  private schedule(chatId: string): void {
    if (!this.running || this.sending.has(chatId)) return;
    this.buildIndex();
    const head = this.head(chatId);
    if (!head) return;
    const now = this.deps.clock().getTime();
    const tenantId = this.deps.registry.get(chatId)?.tenantId ?? '';
    const due = Math.max(
      Date.parse(head.notBefore) || now,
      this.perConversation.nextAllowedAt(chatId, now),
      this.perTenant.nextAllowedAt(tenantId, now),
    );
    const existing = this.wakeups.get(chatId);
    if (due > now) {
      if (existing && existing.at <= due) return;
      if (existing) this.timers.clearTimeout(existing.handle);
      const handle = this.timers.setTimeout(() => {
        this.wakeups.delete(chatId);
        this.schedule(chatId);
      }, due - now);
      this.wakeups.set(chatId, { handle, at: due });
      return;
    }
    if (existing) this.timers.clearTimeout(existing.handle);
    this.wakeups.delete(chatId);
    const sending = this.send(head, tenantId)
      .catch((error: unknown) => this.deps.log.error({ err: error, chatId }, 'post queue failed'))
      .finally(() => {
        this.sending.delete(chatId);
        this.schedule(chatId);
      });
    this.sending.set(chatId, sending);
  }

  private async send(post: OutboxPost, tenantId: string): Promise<void> {
    const { registry, log } = this.deps;
    const installation = registry.get(post.chatId);
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
