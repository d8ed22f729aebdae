/**
 * In-memory simulated Microsoft 365: tenants, people, group chats and the Teams apps installed in them.
 * Every mutation emits a typed WorldEvent synchronously; the Graph double turns those into notifications.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type {
  ChatRole,
  WorldChat,
  WorldEvent,
  WorldMembership,
  WorldSnapshot,
  WorldTeamsApp,
  WorldTenant,
  WorldUser,
} from './types.js';

export type WorldErrorCode = 'NotFound' | 'Conflict' | 'Invalid';

export class WorldError extends Error {
  constructor(
    readonly code: WorldErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'WorldError';
  }
}

export type WorldListener = (event: WorldEvent) => void;

export interface WorldOptions {
  clock?: () => Date;
}

export interface NewMember {
  userId: string;
  roles?: ChatRole[];
}

/** Full history shared: what Graph reports for people added with all history. */
export const FULL_HISTORY = '1970-01-01T00:00:00Z';

/** Graph's conversationMember id for a chat member, as observed in real payloads (documented as opaque). */
export function membershipIdFor(tenantId: string, chatId: string, userId: string): string {
  return Buffer.from(`0##${tenantId}##${chatId}##${userId}`, 'utf8').toString('base64');
}

export function newGroupChatId(): string {
  return `19:${randomBytes(16).toString('hex')}@thread.v2`;
}

export class World {
  private readonly clock: () => Date;
  private readonly tenants = new Map<string, WorldTenant>();
  private readonly users = new Map<string, WorldUser>();
  private readonly chats = new Map<string, WorldChat>();
  private readonly apps = new Map<string, WorldTeamsApp>();
  private readonly listeners = new Set<WorldListener>();

  constructor(options: WorldOptions = {}) {
    this.clock = options.clock ?? (() => new Date());
  }

  /** Subscribe to change events; returns the unsubscribe function. */
  on(listener: WorldListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- directory -------------------------------------------------------------------------

  addTenant(input: { id?: string; displayName: string; domain?: string }): WorldTenant {
    const id = input.id ?? randomUUID();
    if (this.tenants.has(id)) throw new WorldError('Conflict', `Tenant ${id} already exists`);
    const domain = input.domain ?? `${slug(input.displayName) || 'tenant'}.onmicrosoft.com`;
    const tenant: WorldTenant = { id, displayName: input.displayName, domain };
    this.tenants.set(id, tenant);
    return { ...tenant };
  }

  addUser(input: { id?: string; displayName: string; tenantId: string; guest?: boolean; mail?: string | null }): WorldUser {
    const tenant = this.requireTenant(input.tenantId);
    const id = input.id ?? randomUUID();
    if (this.users.has(id)) throw new WorldError('Conflict', `User ${id} already exists`);
    const mail = input.mail === undefined ? `${slug(input.displayName) || id.slice(0, 8)}@${tenant.domain}` : input.mail;
    const user: WorldUser = { id, displayName: input.displayName, tenantId: tenant.id, guest: input.guest ?? false, mail };
    this.users.set(id, user);
    return { ...user };
  }

  /** Put a Teams app in the catalog, tied to the Entra client id its tokens carry. */
  registerTeamsApp(input: { id?: string; clientId: string; displayName?: string }): WorldTeamsApp {
    const id = input.id ?? randomUUID();
    const app: WorldTeamsApp = { id, clientId: input.clientId, displayName: input.displayName ?? 'Herald' };
    this.apps.set(id, app);
    return { ...app };
  }

  getTenant(id: string): WorldTenant | undefined {
    const tenant = this.tenants.get(id);
    return tenant && { ...tenant };
  }

  listTenants(): WorldTenant[] {
    return [...this.tenants.values()].map((t) => ({ ...t }));
  }

  getUser(id: string): WorldUser | undefined {
    const user = this.users.get(id);
    return user && { ...user };
  }

  listUsers(tenantId?: string): WorldUser[] {
    return [...this.users.values()].filter((u) => !tenantId || u.tenantId === tenantId).map((u) => ({ ...u }));
  }

  getTeamsApp(id: string): WorldTeamsApp | undefined {
    const app = this.apps.get(id);
    return app && { ...app };
  }

  listTeamsApps(): WorldTeamsApp[] {
    return [...this.apps.values()].map((a) => ({ ...a }));
  }

  teamsAppsOfClient(clientId: string): WorldTeamsApp[] {
    return this.listTeamsApps().filter((a) => a.clientId === clientId);
  }

  // ---- chats -----------------------------------------------------------------------------

  getChat(id: string): WorldChat | undefined {
    const chat = this.chats.get(id);
    return chat && cloneChat(chat);
  }

  listChats(tenantId?: string): WorldChat[] {
    return [...this.chats.values()].filter((c) => !tenantId || c.tenantId === tenantId).map(cloneChat);
  }

  /** Whether this Entra app has a Teams app installed in the chat (and so its RSC grants there). */
  isClientInstalledIn(chatId: string, clientId: string): boolean {
    const chat = this.chats.get(chatId);
    if (!chat) return false;
    return chat.installedApps.some((appId) => this.apps.get(appId)?.clientId === clientId);
  }

  createChat(input: { tenantId: string; topic?: string | null; members?: Array<string | NewMember>; id?: string }): WorldChat {
    const tenant = this.requireTenant(input.tenantId);
    const id = input.id ?? newGroupChatId();
    if (this.chats.has(id)) throw new WorldError('Conflict', `Chat ${id} already exists`);
    const now = this.now();
    const chat: WorldChat = {
      id,
      tenantId: tenant.id,
      topic: input.topic ?? null,
      chatType: 'group',
      createdDateTime: now,
      lastUpdatedDateTime: now,
      members: [],
      installedApps: [],
    };
    for (const entry of input.members ?? []) {
      const member = typeof entry === 'string' ? { userId: entry } : entry;
      if (chat.members.some((m) => m.userId === member.userId)) continue;
      chat.members.push(this.newMembership(chat, member, now));
    }
    this.chats.set(id, chat);
    this.emit({ type: 'chatCreated', at: now, chat: cloneChat(chat) });
    return cloneChat(chat);
  }

  addMember(chatId: string, userId: string, options: { roles?: ChatRole[]; visibleHistoryStartDateTime?: string } = {}): WorldMembership {
    const chat = this.requireChat(chatId);
    if (chat.members.some((m) => m.userId === userId)) {
      throw new WorldError('Conflict', `User ${userId} is already a member of ${chatId}`);
    }
    const now = this.now();
    const membership = this.newMembership(chat, { userId, roles: options.roles }, now, options.visibleHistoryStartDateTime);
    chat.members.push(membership);
    chat.lastUpdatedDateTime = now;
    this.emit({ type: 'memberAdded', at: now, chat: cloneChat(chat), membership: { ...membership }, user: this.requireUser(userId) });
    return { ...membership, roles: [...membership.roles] };
  }

  /** Remove by user id or membership id. */
  removeMember(chatId: string, userOrMembershipId: string): WorldMembership {
    const chat = this.requireChat(chatId);
    const index = chat.members.findIndex((m) => m.userId === userOrMembershipId || m.id === userOrMembershipId);
    const membership = chat.members[index];
    if (!membership) throw new WorldError('NotFound', `${userOrMembershipId} is not a member of ${chatId}`);
    chat.members.splice(index, 1);
    const now = this.now();
    chat.lastUpdatedDateTime = now;
    this.emit({ type: 'memberRemoved', at: now, chat: cloneChat(chat), membership: { ...membership }, user: this.requireUser(membership.userId) });
    return membership;
  }

  renameChat(chatId: string, topic: string | null): WorldChat {
    const chat = this.requireChat(chatId);
    const previousTopic = chat.topic;
    const now = this.now();
    chat.topic = topic === '' ? null : topic;
    chat.lastUpdatedDateTime = now;
    this.emit({ type: 'chatRenamed', at: now, chat: cloneChat(chat), previousTopic });
    return cloneChat(chat);
  }

  installApp(chatId: string, teamsAppId: string): void {
    const chat = this.requireChat(chatId);
    const app = this.apps.get(teamsAppId);
    if (!app) throw new WorldError('NotFound', `Teams app ${teamsAppId} is not in the catalog`);
    if (chat.installedApps.includes(teamsAppId)) throw new WorldError('Conflict', `App ${teamsAppId} is already installed in ${chatId}`);
    chat.installedApps.push(teamsAppId);
    this.emit({ type: 'appInstalled', at: this.now(), chat: cloneChat(chat), app: { ...app } });
  }

  uninstallApp(chatId: string, teamsAppId: string): void {
    const chat = this.requireChat(chatId);
    const app = this.apps.get(teamsAppId);
    if (!app || !chat.installedApps.includes(teamsAppId)) {
      throw new WorldError('NotFound', `App ${teamsAppId} is not installed in ${chatId}`);
    }
    chat.installedApps = chat.installedApps.filter((id) => id !== teamsAppId);
    this.emit({ type: 'appUninstalled', at: this.now(), chat: cloneChat(chat), app: { ...app } });
  }

  // ---- persistence -----------------------------------------------------------------------

  toJSON(): WorldSnapshot {
    return {
      version: 1,
      tenants: this.listTenants(),
      users: this.listUsers(),
      chats: this.listChats(),
      apps: this.listTeamsApps(),
    };
  }

  static fromJSON(snapshot: WorldSnapshot, options: WorldOptions = {}): World {
    if (snapshot.version !== 1) throw new WorldError('Invalid', `Unsupported world snapshot version ${String(snapshot.version)}`);
    const world = new World(options);
    for (const tenant of snapshot.tenants) world.tenants.set(tenant.id, { ...tenant });
    for (const user of snapshot.users) world.users.set(user.id, { ...user });
    for (const app of snapshot.apps) world.apps.set(app.id, { ...app });
    for (const chat of snapshot.chats) world.chats.set(chat.id, cloneChat(chat));
    return world;
  }

  // ---- internals -------------------------------------------------------------------------

  private newMembership(chat: WorldChat, member: NewMember, now: string, visibleHistoryStartDateTime?: string): WorldMembership {
    const user = this.requireUser(member.userId);
    return {
      id: membershipIdFor(chat.tenantId, chat.id, user.id),
      userId: user.id,
      // Group chat members are all owners in Graph's payloads; guests carry the guest role.
      roles: member.roles ? [...member.roles] : user.guest ? ['guest'] : ['owner'],
      addedDateTime: now,
      visibleHistoryStartDateTime: visibleHistoryStartDateTime ?? FULL_HISTORY,
    };
  }

  private emit(event: WorldEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }

  private now(): string {
    return this.clock().toISOString();
  }

  private requireTenant(id: string): WorldTenant {
    const tenant = this.tenants.get(id);
    if (!tenant) throw new WorldError('NotFound', `Tenant ${id} does not exist`);
    return tenant;
  }

  private requireUser(id: string): WorldUser {
    const user = this.users.get(id);
    if (!user) throw new WorldError('NotFound', `User ${id} does not exist`);
    return { ...user };
  }

  private requireChat(id: string): WorldChat {
    const chat = this.chats.get(id);
    if (!chat) throw new WorldError('NotFound', `Chat ${id} does not exist`);
    return chat;
  }
}

function cloneChat(chat: WorldChat): WorldChat {
  return {
    ...chat,
    members: chat.members.map((m) => ({ ...m, roles: [...m.roles] })),
    installedApps: [...chat.installedApps],
  };
}

function slug(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[^\w\s.-]/g, '')
    .trim()
    .toLowerCase()
    .replace(/\s+/g, '.');
}
