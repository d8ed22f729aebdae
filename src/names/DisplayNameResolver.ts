import type { AadUserConversationMember } from '@microsoft/microsoft-graph-types';
import type { Logger } from 'pino';
import type { Installation } from '../model/installation.js';
import type { ConnectorMemberDirectory } from './ConnectorMembers.js';
import { LRUCache } from 'lru-cache';

/** What Herald knows about a person in a chat's tenant. */
export interface PersonInfo {
  displayName: string | null;
  /** Home tenant, when a source reported it. */
  tenantId: string | null;
  guest: boolean;
}

/** The chat whose members are being named. */
export interface NameTarget {
  tenantId: string;
  chatId: string;
  /** Needed for Bot Connector reads; without an installed one only Graph is asked. */
  installation: Installation | undefined;
}

/** The Graph read the resolver needs (ChatGraph.listChatMembers). */
export interface ChatMemberReader {
  listChatMembers(tenantId: string, chatId: string): Promise<AadUserConversationMember[]>;
}

export interface DisplayNameResolverDeps {
  connector?: ConnectorMemberDirectory;
  graph?: ChatMemberReader;
  clock: () => Date;
  log: Logger;
  /** Entries kept in memory (least recently used dropped first). */
  cacheSize?: number;
  /** How long a person nobody could name is not asked about again. */
  missTtlMs?: number;
  /** At most this many single-member connector reads per call; more unknown people → one roster read. */
  maxSingleReads?: number;
}

const DEFAULT_CACHE_SIZE = 20_000;
const DEFAULT_MISS_TTL_MS = 10 * 60_000;

function hasName(info: PersonInfo | undefined): info is PersonInfo & { displayName: string } {
  return Boolean(info?.displayName && info.displayName.trim());
}

/**
 * Names people for announcements. Payloads mostly carry `displayName: null`, so names come from, in
 * order: the in-memory cache (which also holds names remembered from the roster, so people who left
 * keep theirs), a Bot Connector member read, then Graph `GET /chats/{id}/members`. People nobody can
 * name are returned with a null name; callers fall back to a neutral label, never an id.
 */
export class DisplayNameResolver {
  // Least recently used names go first; misses (person → retry-after time) are bounded the same way.
  private readonly cache: LRUCache<string, PersonInfo>;
  private readonly misses: LRUCache<string, number>;
  private readonly graphReads = new Map<string, Promise<AadUserConversationMember[]>>();
  private readonly missTtlMs: number;
  private readonly maxSingleReads: number;

  constructor(private readonly deps: DisplayNameResolverDeps) {
    const max = deps.cacheSize ?? DEFAULT_CACHE_SIZE;
    this.cache = new LRUCache({ max });
    this.misses = new LRUCache({ max });
    this.missTtlMs = deps.missTtlMs ?? DEFAULT_MISS_TTL_MS;
    this.maxSingleReads = deps.maxSingleReads ?? 2;
  }

  /** Records what Herald learnt elsewhere (roster, baseline, payloads that did carry a name). */
  remember(tenantId: string, userId: string, info: PersonInfo): void {
    if (!hasName(info)) return;
    const key = keyOf(tenantId, userId);
    this.cache.set(key, { ...info });
    this.misses.delete(key);
  }

  cached(tenantId: string, userId: string): PersonInfo | undefined {
    const info = this.cache.get(keyOf(tenantId, userId));
    return info ? { ...info } : undefined;
  }

  /** Names as many of `userIds` as the sources allow; every id gets an entry (name null when unknown). */
  async resolve(target: NameTarget, userIds: readonly string[]): Promise<Map<string, PersonInfo>> {
    const result = new Map<string, PersonInfo>();
    const unknown: string[] = [];
    const now = this.deps.clock().getTime();
    for (const userId of new Set(userIds)) {
      const hit = this.cached(target.tenantId, userId);
      if (hasName(hit)) result.set(userId, hit);
      else if ((this.misses.get(keyOf(target.tenantId, userId)) ?? 0) > now) result.set(userId, unnamed());
      else unknown.push(userId);
    }
    let remaining = unknown;
    if (remaining.length > 0) remaining = await this.fromConnector(target, remaining, result);
    if (remaining.length > 0) remaining = await this.fromGraph(target, remaining, result);
    for (const userId of remaining) {
      this.misses.set(keyOf(target.tenantId, userId), now + this.missTtlMs);
      result.set(userId, unnamed());
    }
    return result;
  }

  private async fromConnector(target: NameTarget, userIds: string[], into: Map<string, PersonInfo>): Promise<string[]> {
    const { connector } = this.deps;
    const installation = target.installation;
    if (!connector || !installation || installation.status !== 'installed') return userIds;
    try {
      if (userIds.length <= this.maxSingleReads) {
        for (const userId of userIds) {
          const member = await connector.getMember(installation, userId);
          if (member) this.remember(target.tenantId, member.userId, member);
        }
      } else {
        for (const member of await connector.listMembers(installation)) this.remember(target.tenantId, member.userId, member);
      }
    } catch (error) {
      this.deps.log.warn({ err: error, chatId: target.chatId }, 'Bot Connector member read failed; trying Graph');
    }
    return this.collect(target.tenantId, userIds, into);
  }

  private async fromGraph(target: NameTarget, userIds: string[], into: Map<string, PersonInfo>): Promise<string[]> {
    const { graph } = this.deps;
    if (!graph) return userIds;
    const key = keyOf(target.tenantId, target.chatId);
    // One Graph read per chat at a time: a burst of joins shares it.
    let read = this.graphReads.get(key);
    if (!read) {
      read = graph.listChatMembers(target.tenantId, target.chatId).finally(() => this.graphReads.delete(key));
      this.graphReads.set(key, read);
    }
    try {
      for (const member of await read) {
        if (!member.userId) continue;
        this.remember(target.tenantId, member.userId, {
          displayName: member.displayName ?? null,
          tenantId: member.tenantId ?? null,
          guest: (member.roles ?? []).some((r) => r.toLowerCase() === 'guest'),
        });
      }
    } catch (error) {
      this.deps.log.warn({ err: error, chatId: target.chatId }, 'Graph member list failed; names fall back to neutral labels');
    }
    return this.collect(target.tenantId, userIds, into);
  }

  private collect(tenantId: string, userIds: string[], into: Map<string, PersonInfo>): string[] {
    const remaining: string[] = [];
    for (const userId of userIds) {
      const hit = this.cached(tenantId, userId);
      if (hasName(hit)) into.set(userId, hit);
      else remaining.push(userId);
    }
    return remaining;
  }
}

function keyOf(tenantId: string, id: string): string {
  return `${tenantId}|${id}`;
}

function unnamed(): PersonInfo {
  return { displayName: null, tenantId: null, guest: false };
}
