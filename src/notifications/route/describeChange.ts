import { createHash } from 'node:crypto';
import type { ChatMember } from '../../model/chat.js';
import type { ChangeEvent, ChatProperties } from '../../model/changeEvents.js';
import { LooseObject } from '../decode/caseInsensitive.js';
import type { ChangeType } from '../decode/normalizeNotification.js';
import type { ResourceTarget } from '../decode/parseResource.js';

/** A change event without the fields the pipeline fills in once it knows the change is new. */
export type ChangeDraft = DistributiveOmit<ChangeEvent, 'changeKey' | 'source' | 'receivedAt'>;
type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

export interface DescribedChange {
  draft: ChangeDraft;
  /** Canonical resource key for deduplication. */
  resource: string;
  contentHash: string;
  /** Chat `lastUpdatedDateTime`, for ordering. */
  stamp: string | null;
}

export type DescribeResult =
  | { ok: true; change: DescribedChange }
  | { ok: false; outcome: 'ignored'; reason: 'unsupportedChangeType' | 'unsupportedResource' }
  | { ok: false; outcome: 'dropped'; reason: 'invalidResourceData'; detail: string };

/**
 * Turns a verified notification (its target, change type and, when known, the resource's JSON — decrypted
 * or fetched) into a typed change. Only what the payload contains is reported: an absent chat property
 * means "not included", not "changed" (user-specific `viewpoint` payloads are partial).
 */
export function describeChange(input: {
  tenantId: string;
  target: ResourceTarget;
  changeType: ChangeType;
  /** Resource JSON, or null when only the notification is known (basic notifications of deletions). */
  content: unknown;
  /** When Herald received the notification (ISO): the best membership time available. */
  receivedAt: string;
}): DescribeResult {
  const { tenantId, target, changeType, receivedAt } = input;
  const content = LooseObject.from(input.content);
  switch (target.kind) {
    case 'chat': {
      if (changeType === 'deleted') return { ok: false, outcome: 'ignored', reason: 'unsupportedChangeType' };
      if (!content) return { ok: false, outcome: 'dropped', reason: 'invalidResourceData', detail: 'chat change without chat data' };
      const chat = chatProperties(content);
      return {
        ok: true,
        change: {
          draft: { kind: 'chatUpdated', tenantId, chatId: target.chatId, chat },
          resource: `chat:${target.chatId}`,
          contentHash: hash([chat.topic, chat.lastUpdatedDateTime, chat.chatType, chat.viewpoint]),
          stamp: typeof chat.lastUpdatedDateTime === 'string' ? chat.lastUpdatedDateTime : null,
        },
      };
    }
    case 'chatMember': {
      const resource = `member:${target.chatId}:${target.membershipId}`;
      if (changeType === 'updated') return { ok: false, outcome: 'ignored', reason: 'unsupportedChangeType' };
      if (changeType === 'created') {
        const member = content ? memberFrom(content, target.membershipId) : null;
        if (!member) return { ok: false, outcome: 'dropped', reason: 'invalidResourceData', detail: 'member payload without userId' };
        return { ok: true, change: { draft: { kind: 'memberAdded', tenantId, chatId: target.chatId, member, at: receivedAt }, resource, contentHash: '', stamp: null } };
      }
      const known = content ? memberFrom(content, target.membershipId) : null;
      const userId = known?.userId ?? userIdFromMembershipId(target.membershipId, target.chatId);
      const member = known ?? { membershipId: target.membershipId, ...(userId ? { userId } : {}) };
      return { ok: true, change: { draft: { kind: 'memberRemoved', tenantId, chatId: target.chatId, member, at: receivedAt }, resource, contentHash: '', stamp: null } };
    }
    case 'chatMessage':
      if (changeType !== 'created') return { ok: false, outcome: 'ignored', reason: 'unsupportedChangeType' };
      return {
        ok: true,
        change: {
          draft: { kind: 'messageCreated', tenantId, chatId: target.chatId, messageId: target.messageId },
          resource: `message:${target.chatId}:${target.messageId}`,
          contentHash: '',
          stamp: null,
        },
      };
    case 'channelMessage':
      // Herald works in group chats; channel messages have no chat to report to.
      return { ok: false, outcome: 'ignored', reason: 'unsupportedResource' };
  }
}

function chatProperties(content: LooseObject): ChatProperties {
  const chat: ChatProperties = {};
  const text = (name: string): string | null | undefined => {
    if (!content.has(name)) return undefined;
    const value = content.get(name);
    return typeof value === 'string' ? value : null;
  };
  const topic = text('topic');
  if (topic !== undefined) chat.topic = topic;
  const lastUpdatedDateTime = text('lastUpdatedDateTime');
  if (lastUpdatedDateTime !== undefined) chat.lastUpdatedDateTime = lastUpdatedDateTime;
  const chatType = text('chatType');
  if (chatType !== undefined) chat.chatType = chatType;
  if (content.has('viewpoint')) chat.viewpoint = content.get('viewpoint');
  return chat;
}

function memberFrom(content: LooseObject, membershipId: string): ChatMember | null {
  const userId = content.string('userId');
  if (!userId) return null;
  const roles = content.get('roles');
  return {
    membershipId: content.string('id') ?? membershipId,
    userId,
    // Notifications carry displayName: null; names are resolved later by the announcer.
    displayName: content.string('displayName'),
    tenantId: content.string('tenantId'),
    roles: Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : [],
  };
}

/**
 * Graph documents membership ids as opaque, but observed ids are base64 of
 * `0##{tenantId}##{chatId}##{userId}`. Used only as a fallback for deletions that carry no data, and only
 * when the decoded chat matches the notification's chat.
 */
export function userIdFromMembershipId(membershipId: string, chatId: string): string | null {
  let decoded: string;
  try {
    decoded = Buffer.from(membershipId, 'base64').toString('utf8');
  } catch {
    return null;
  }
  const parts = decoded.split('##');
  if (parts.length !== 4 || parts[2] !== chatId) return null;
  const userId = parts[3] ?? '';
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(userId) ? userId : null;
}

function hash(parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 16);
}
