import type { Attachment } from 'botbuilder';
import type { ActivityJson } from './activityJson.js';
import { TeamsDoubleClosedError, WaitForPostsTimeoutError } from './teamsDoubleErrors.js';

/** What the double saw of the caller's `Authorization` header. */
export interface AuthorizationSeen {
  present: boolean;
  /** e.g. `Bearer`; null when absent. */
  scheme: string | null;
  /** Result of the token verifier when one is configured; null otherwise. */
  verified: boolean | null;
}

/** One activity the bot posted and the connector accepted. */
export interface RecordedPost {
  /** Order of arrival across all conversations, from 1. */
  seq: number;
  /** The id the connector assigned and answered with. */
  id: string;
  conversationId: string;
  /** `reply` when posted to `/activities/:activityId` (botbuilder's reply and proactive shape). */
  route: 'send' | 'reply';
  replyToId: string | null;
  activity: ActivityJson;
  text: string | null;
  attachments: Attachment[];
  authorization: AuthorizationSeen;
  receivedAt: string;
  updatedAt: string | null;
  deletedAt: string | null;
}

export type ConnectorOperation =
  | 'sendToConversation'
  | 'replyToActivity'
  | 'updateActivity'
  | 'deleteActivity'
  | 'getConversationMembers'
  | 'getConversationPagedMembers'
  | 'getConversationMember'
  | 'unknown';

/** Every request the connector answered, including refused and failed ones. */
export interface RecordedRequest {
  seq: number;
  method: string;
  path: string;
  operation: ConnectorOperation;
  conversationId: string | null;
  status: number;
  errorCode: string | null;
  authorization: AuthorizationSeen;
  at: string;
}

export type ConnectorEvent =
  | { type: 'posted'; post: RecordedPost }
  | { type: 'updated'; post: RecordedPost }
  | { type: 'deleted'; post: RecordedPost }
  | { type: 'request'; request: RecordedRequest };

export type ConnectorListener = (event: ConnectorEvent) => void;

interface Waiter {
  conversationId: string | undefined;
  count: number;
  resolve: (posts: RecordedPost[]) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** The connector's memory: posts, request log, live listeners and `waitForPosts` waiters. */
export class PostLog {
  private postList: RecordedPost[] = [];
  private requestList: RecordedRequest[] = [];
  private waiters: Waiter[] = [];
  private readonly listeners = new Set<ConnectorListener>();
  private postSeq = 0;
  private requestSeq = 0;

  constructor(private readonly onListenerError: (error: unknown) => void = () => {}) {}

  addPost(post: Omit<RecordedPost, 'seq'>): RecordedPost {
    const recorded: RecordedPost = { ...post, seq: ++this.postSeq };
    this.postList.push(recorded);
    this.emit({ type: 'posted', post: recorded });
    this.settleWaiters();
    return recorded;
  }

  findPost(conversationId: string, id: string): RecordedPost | undefined {
    return this.postList.find((p) => p.conversationId === conversationId && p.id === id);
  }

  /** Replaces a post with an updated copy (records are never mutated in place). */
  replacePost(previous: RecordedPost, next: RecordedPost, event: 'updated' | 'deleted'): void {
    this.postList = this.postList.map((p) => (p === previous ? next : p));
    this.emit({ type: event, post: next });
  }

  addRequest(request: Omit<RecordedRequest, 'seq'>): RecordedRequest {
    const recorded: RecordedRequest = { ...request, seq: ++this.requestSeq };
    this.requestList.push(recorded);
    this.emit({ type: 'request', request: recorded });
    return recorded;
  }

  posts(conversationId?: string): RecordedPost[] {
    return this.postList.filter((p) => conversationId === undefined || p.conversationId === conversationId);
  }

  requests(conversationId?: string): RecordedRequest[] {
    return this.requestList.filter((r) => conversationId === undefined || r.conversationId === conversationId);
  }

  clearPosts(): void {
    this.postList = [];
  }

  clearRequests(): void {
    this.requestList = [];
  }

  /** Resolves with the conversation's posts once at least `count` have arrived (counting those already there). */
  waitForPosts(conversationId: string | undefined, count: number, timeoutMs: number): Promise<RecordedPost[]> {
    const already = this.posts(conversationId);
    if (already.length >= count) return Promise.resolve(already);
    return new Promise<RecordedPost[]>((resolve, reject) => {
      const waiter: Waiter = {
        conversationId,
        count,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(new WaitForPostsTimeoutError(conversationId, count, this.posts(conversationId).length, timeoutMs));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  subscribe(listener: ConnectorListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Rejects pending waiters so no test hangs on a closed double. */
  close(): void {
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new TeamsDoubleClosedError(`waiting for ${waiter.count} post(s)`));
    }
    this.waiters = [];
    this.listeners.clear();
  }

  private settleWaiters(): void {
    for (const waiter of [...this.waiters]) {
      const posts = this.posts(waiter.conversationId);
      if (posts.length < waiter.count) continue;
      clearTimeout(waiter.timer);
      this.waiters = this.waiters.filter((w) => w !== waiter);
      waiter.resolve(posts);
    }
  }

  private emit(event: ConnectorEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        // A broken live view must not break the connector's answer to the bot.
        this.onListenerError(error);
      }
    }
  }
}
