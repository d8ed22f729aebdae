/**
 * JSON shapes of chats, members and users as Graph returns them from GET and as it puts them
 * (encrypted) into notifications — the latter with displayName/email null (reference §10.6).
 */
import type { WorldChat, WorldMembership, WorldUser } from '../world/types.js';

export const MEMBER_ODATA_TYPE = '#microsoft.graph.aadUserConversationMember';
export const CHAT_ODATA_TYPE = '#microsoft.graph.chat';

/** `aadUserConversationMember` as GET /chats/{id}/members returns it. */
export interface GraphChatMember {
  '@odata.type': typeof MEMBER_ODATA_TYPE;
  id: string;
  roles: string[];
  displayName: string | null;
  visibleHistoryStartDateTime: string;
  userId: string;
  email: string | null;
  tenantId: string | null;
}

/** `aadUserConversationMember` inside a rich notification (decrypted). */
export interface NotifiedChatMember {
  userId: string;
  email: null;
  tenantId: string | null;
  id: string;
  roles: string[];
  displayName: null;
  visibleHistoryStartDateTime: string;
  user: null;
}

export interface GraphChat {
  id: string;
  topic: string | null;
  createdDateTime: string;
  lastUpdatedDateTime: string;
  chatType: 'group' | 'oneOnOne' | 'meeting';
  webUrl: string;
  tenantId: string;
  isHiddenForAllMembers: boolean;
  onlineMeetingInfo: null;
}

/** `chat` inside a rich notification (decrypted): members populated without names, navigation collections empty. */
export interface NotifiedChat extends GraphChat {
  lastMessagePreview: null;
  members: NotifiedChatMember[];
  messages: [];
  installedApps: [];
  tabs: [];
  permissionGrants: [];
  operations: [];
  assignedSensitivityLabel: null;
  pinnedMessages: [];
}

export interface GraphUser {
  id: string;
  displayName: string;
  userPrincipalName: string;
  mail: string | null;
  givenName: string | null;
  surname: string | null;
  jobTitle: null;
  businessPhones: string[];
  mobilePhone: null;
  officeLocation: null;
  preferredLanguage: null;
}

export type UserLookup = (userId: string) => WorldUser | undefined;

export function chatResource(chatId: string): string {
  return `chats('${chatId}')`;
}

export function memberResource(chatId: string, membershipId: string): string {
  return `chats('${chatId}')/members('${membershipId}')`;
}

export function chatWebUrl(chat: WorldChat): string {
  return `https://teams.microsoft.com/l/chat/${encodeURIComponent(chat.id)}/0?tenantId=${chat.tenantId}`;
}

export function chatForGet(chat: WorldChat): GraphChat {
  return {
    id: chat.id,
    topic: chat.topic,
    createdDateTime: chat.createdDateTime,
    lastUpdatedDateTime: chat.lastUpdatedDateTime,
    chatType: chat.chatType,
    webUrl: chatWebUrl(chat),
    tenantId: chat.tenantId,
    isHiddenForAllMembers: false,
    onlineMeetingInfo: null,
  };
}

export function memberForGet(membership: WorldMembership, lookup: UserLookup): GraphChatMember {
  const user = lookup(membership.userId);
  return {
    '@odata.type': MEMBER_ODATA_TYPE,
    id: membership.id,
    roles: [...membership.roles],
    displayName: user?.displayName ?? null,
    visibleHistoryStartDateTime: membership.visibleHistoryStartDateTime,
    userId: membership.userId,
    email: user?.mail ?? null,
    tenantId: user?.tenantId ?? null,
  };
}

export function memberForNotification(membership: WorldMembership, lookup: UserLookup): NotifiedChatMember {
  return {
    userId: membership.userId,
    email: null,
    tenantId: lookup(membership.userId)?.tenantId ?? null,
    id: membership.id,
    roles: [...membership.roles],
    displayName: null,
    visibleHistoryStartDateTime: membership.visibleHistoryStartDateTime,
    user: null,
  };
}

export function chatForNotification(chat: WorldChat, lookup: UserLookup): NotifiedChat {
  return {
    ...chatForGet(chat),
    lastMessagePreview: null,
    members: chat.members.map((m) => memberForNotification(m, lookup)),
    messages: [],
    installedApps: [],
    tabs: [],
    permissionGrants: [],
    operations: [],
    assignedSensitivityLabel: null,
    pinnedMessages: [],
  };
}

export function userForGet(user: WorldUser, upnDomain: string): GraphUser {
  const [givenName = null, ...rest] = user.displayName.split(' ');
  const local = user.mail?.split('@')[0] ?? user.id;
  return {
    id: user.id,
    displayName: user.displayName,
    // B2B guests get the #EXT# form in the inviting tenant.
    userPrincipalName: user.guest && user.mail ? `${user.mail.replace('@', '_')}#EXT#@${upnDomain}` : `${local}@${upnDomain}`,
    mail: user.mail,
    givenName,
    surname: rest.length > 0 ? rest.join(' ') : null,
    jobTitle: null,
    businessPhones: [],
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: null,
  };
}
