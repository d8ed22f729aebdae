import type { AadUserConversationMember } from '@microsoft/microsoft-graph-types';
import { LRUCache } from 'lru-cache';

/** How long Graph's member list of a chat answers membership and role questions before it is read again. */
export const CHAT_MEMBERS_TTL_MS = 30_000;
const MAX_CHATS = 1_000;

/** Graph's member list of a chat (ChatGraph / GraphApi `listChatMembers`). */
export interface ChatMemberList {
  listChatMembers(tenantId: string, chatId: string): Promise<AadUserConversationMember[]>;
}

export interface CachedChatMembersOptions {
  graph: ChatMemberList;
  ttlMs?: number;
  /** Milliseconds of a monotonic clock (lru-cache's `perf`); tests pass their own. */
  now?: () => number;
}

/**
 * Graph's member lists, kept briefly per chat: the tab asks who a caller is on every request (history,
 * settings GET and PUT) and the settings gate asks for owner roles, so without this each request would
 * read Graph. Concurrent reads of one chat share one request (lru-cache `fetch`); a failed read is not
 * kept. A membership change Herald hears of makes the chat's list stale at once (`forget`). Reads that
 * need Graph's current word (settling an ambiguous order) go to Graph directly, not through here.
 * lru-cache: TTL, size bound and in-flight coalescing in one well-kept library instead of a hand-made map.
 */
export class CachedChatMembers implements ChatMemberList {
  private readonly cache: LRUCache<string, AadUserConversationMember[], { tenantId: string; chatId: string }>;
  /** When each chat was last forgotten: a read that started before is answered but not kept. */
  private readonly forgotten = new LRUCache<string, number>({ max: MAX_CHATS });
  private readonly now: () => number;

  constructor(private readonly options: CachedChatMembersOptions) {
    this.now = options.now ?? (() => performance.now());
    this.cache = new LRUCache({
      max: MAX_CHATS,
      ttl: options.ttlMs ?? CHAT_MEMBERS_TTL_MS,
      perf: { now: this.now },
      // Read the clock on every look-up (lru-cache otherwise caches it for a millisecond).
      ttlResolution: 0,
      fetchMethod: async (_key, _stale, { context, options: set }) => {
        const startedAt = this.now();
        const members = await this.options.graph.listChatMembers(context.tenantId, context.chatId);
        if ((this.forgotten.get(context.chatId) ?? Number.NEGATIVE_INFINITY) >= startedAt) set.ttl = 1;
        return members;
      },
    });
  }

  async listChatMembers(tenantId: string, chatId: string): Promise<AadUserConversationMember[]> {
    const members = await this.cache.fetch(keyOf(tenantId, chatId), { context: { tenantId, chatId } });
    return members ?? [];
  }

  /** The chat's membership changed: its next read goes to Graph. */
  forget(chatId: string): void {
    this.forgotten.set(chatId, this.now());
    const suffix = `|${chatId}`;
    for (const key of [...this.cache.keys()]) if (key.endsWith(suffix)) this.cache.delete(key);
  }
}

function keyOf(tenantId: string, chatId: string): string {
  return `${tenantId.toLowerCase()}|${chatId}`;
}
