/** The simulated Microsoft 365 the doubles serve: plain data, no protocol shapes. */

export interface WorldTenant {
  id: string;
  displayName: string;
  /** Primary domain, used to derive people's mail addresses. */
  domain: string;
}

export interface WorldUser {
  /** Entra object id (GUID). For a guest this is the guest account id in the inviting tenant. */
  id: string;
  displayName: string;
  /** Home tenant of the person. */
  tenantId: string;
  /** B2B guest: shows up with roles ['guest'] in chats and is resolvable by GET /users in the chats' tenant. */
  guest: boolean;
  mail: string | null;
}

export type ChatRole = 'owner' | 'guest';

export interface WorldMembership {
  /** Graph conversationMember id: base64 of `0##{tenantId}##{chatId}##{userId}`. */
  id: string;
  userId: string;
  roles: ChatRole[];
  /** When the person was added (ISO). */
  addedDateTime: string;
  /** 1970-01-01T00:00:00Z means the whole history is shared. */
  visibleHistoryStartDateTime: string;
}

export interface WorldChat {
  /** `19:{32 hex}@thread.v2` for group chats. */
  id: string;
  /** Tenant that owns the chat. */
  tenantId: string;
  topic: string | null;
  chatType: 'group';
  createdDateTime: string;
  lastUpdatedDateTime: string;
  /** In join order. */
  members: WorldMembership[];
  /** Teams catalog ids of the apps installed in this chat. */
  installedApps: string[];
}

/** A Teams app in the catalog, tied to the Entra app (client id) its bot and Graph calls use. */
export interface WorldTeamsApp {
  /** Teams catalog id (what `/appCatalogs/teamsApps/{id}` means). */
  id: string;
  /** Entra application (client) id whose tokens carry this app's RSC grants. */
  clientId: string;
  displayName: string;
}

export type WorldEvent =
  | { type: 'chatCreated'; at: string; chat: WorldChat }
  | { type: 'chatRenamed'; at: string; chat: WorldChat; previousTopic: string | null }
  | { type: 'memberAdded'; at: string; chat: WorldChat; membership: WorldMembership; user: WorldUser }
  /** `membership` is the last known state of the removed member. */
  | { type: 'memberRemoved'; at: string; chat: WorldChat; membership: WorldMembership; user: WorldUser }
  | { type: 'appInstalled'; at: string; chat: WorldChat; app: WorldTeamsApp }
  | { type: 'appUninstalled'; at: string; chat: WorldChat; app: WorldTeamsApp };

export type WorldEventType = WorldEvent['type'];

export interface WorldSnapshot {
  version: 1;
  tenants: WorldTenant[];
  users: WorldUser[];
  chats: WorldChat[];
  apps: WorldTeamsApp[];
}
