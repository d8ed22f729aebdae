import type { ConnectorOperation } from './PostLog.js';

export type ConnectorRoute =
  | { operation: 'sendToConversation'; conversationId: string }
  | { operation: 'replyToActivity'; conversationId: string; activityId: string }
  | { operation: 'updateActivity'; conversationId: string; activityId: string }
  | { operation: 'deleteActivity'; conversationId: string; activityId: string }
  | { operation: 'getConversationMembers'; conversationId: string }
  | { operation: 'getConversationPagedMembers'; conversationId: string; pageSize?: number; continuationToken?: string }
  | { operation: 'getConversationMember'; conversationId: string; memberId: string }
  | { operation: Extract<ConnectorOperation, 'unknown'>; conversationId: string | null };

/**
 * Maps a request to the Bot Connector operation botbuilder's ConnectorClient meant. Conversation
 * and member ids arrive percent-encoded (`19%3A…%40thread.v2`, `29%3A…`) and are decoded per segment,
 * so ids containing `:`, `@` or `;` come back intact. `basePath` is the serviceUrl's path (`/` or e.g. `/amer/`).
 */
export function matchConnectorRoute(method: string, rawUrl: string, basePath = '/'): ConnectorRoute {
  const url = new URL(rawUrl, 'http://connector.invalid');
  if (!url.pathname.startsWith(basePath)) return { operation: 'unknown', conversationId: null };
  let segments: string[];
  try {
    segments = url.pathname.slice(basePath.length).split('/').map(decodeURIComponent);
  } catch {
    return { operation: 'unknown', conversationId: null };
  }
  const [version, collection, conversationId, sub, subId, ...rest] = segments;
  if (version !== 'v3' || collection !== 'conversations' || !conversationId || rest.length > 0) {
    return { operation: 'unknown', conversationId: conversationId || null };
  }
  const verb = method.toUpperCase();
  if (sub === 'activities' && subId === undefined && verb === 'POST') {
    return { operation: 'sendToConversation', conversationId };
  }
  if (sub === 'activities' && subId) {
    if (verb === 'POST') return { operation: 'replyToActivity', conversationId, activityId: subId };
    if (verb === 'PUT') return { operation: 'updateActivity', conversationId, activityId: subId };
    if (verb === 'DELETE') return { operation: 'deleteActivity', conversationId, activityId: subId };
  }
  if (verb === 'GET' && sub === 'members' && subId === undefined) {
    return { operation: 'getConversationMembers', conversationId };
  }
  if (verb === 'GET' && sub === 'members' && subId) {
    return { operation: 'getConversationMember', conversationId, memberId: subId };
  }
  if (verb === 'GET' && sub === 'pagedmembers' && subId === undefined) {
    const pageSize = Number(url.searchParams.get('pageSize'));
    return {
      operation: 'getConversationPagedMembers',
      conversationId,
      pageSize: Number.isFinite(pageSize) && pageSize > 0 ? pageSize : undefined,
      continuationToken: url.searchParams.get('continuationToken') ?? undefined,
    };
  }
  return { operation: 'unknown', conversationId };
}
