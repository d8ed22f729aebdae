import type { Logger } from 'pino';
import type { ChatSettings, SettingsRule } from '../model/chat.js';
import type { ConnectorMember, ConnectorMemberDirectory } from '../names/ConnectorMembers.js';
import type { ChatMemberReader } from '../names/DisplayNameResolver.js';
import type { Store } from '../storage/Store.js';
import type { ChatSettingsService, SettingsSource } from './ChatSettingsService.js';
import { decideSettingsChange, factsFromRoles, type ChangerFacts, type RefusalReason } from './settingsPermission.js';

/** A person asking to change settings: their Entra object id (null when the channel gave none) and name. */
export interface SettingsActor {
  userId: string | null;
  name: string | null;
  /**
   * What the Bot Connector said about the person in the turn of their own message or card action (Teams
   * delivers those only from people in the conversation): their record, or null when the connector said
   * they are not in it. Absent when it was not read (the tab) or could not be.
   */
  connector?: ConnectorMember | null;
}

export interface SettingsChangeRequest {
  chatId: string;
  /** The chat's tenant as the request reported it; Herald's own record of the chat wins. */
  chatTenantId: string;
  actor: SettingsActor;
  patch: Partial<ChatSettings>;
  source: SettingsSource;
}

export type SettingsPermission = { allowed: true; rule: SettingsRule } | { allowed: false; rule: SettingsRule; reason: RefusalReason; message: string };

export type SettingsChangeOutcome =
  | { allowed: true; settings: ChatSettings; changes: string[]; by: string | null }
  | { allowed: false; settings: ChatSettings; rule: SettingsRule; reason: RefusalReason; message: string };

export interface SettingsGateDeps {
  settings: Pick<ChatSettingsService, 'get' | 'apply'>;
  store: Pick<Store, 'chats' | 'installations'>;
  /** Bot Connector member reads (tenant and guest role; no owner role), when no turn gave the person's record. */
  connector?: Pick<ConnectorMemberDirectory, 'getMember'> | null;
  /** Graph's member list (roles, tenant; Herald's CachedChatMembers): the owner role, and who someone is when nothing else can tell. */
  graph?: ChatMemberReader | null;
  log: Logger;
}

/**
 * Every change of a chat's settings by a person goes through here, from the chat commands and the tab
 * API alike: it finds out who the person is in the chat and applies the chat's rule (settingsPermission).
 */
export class SettingsGate {
  constructor(private readonly deps: SettingsGateDeps) {}

  /** Whether the person may change this chat's settings now. */
  async permission(chatId: string, chatTenantId: string, actor: SettingsActor): Promise<SettingsPermission> {
    const rule = (await this.deps.settings.get(chatId)).whoMayChange;
    const tenantId = (await this.deps.store.chats.get(chatId))?.tenantId ?? chatTenantId;
    const facts = actor.userId ? await this.facts(chatId, tenantId, { ...actor, userId: actor.userId }, rule === 'owners') : null;
    const verdict = decideSettingsChange(rule, tenantId, facts);
    return verdict.allowed ? { allowed: true, rule } : { ...verdict, rule };
  }

  /** Applies the change when the chat's rule allows the person to make it; otherwise changes nothing. */
  async change(request: SettingsChangeRequest): Promise<SettingsChangeOutcome> {
    const { chatId, chatTenantId, actor, patch, source } = request;
    const permission = await this.permission(chatId, chatTenantId, actor);
    if (!permission.allowed) {
      this.deps.log.info({ chatId, userId: actor.userId, reason: permission.reason, rule: permission.rule, source }, 'settings change refused');
      return { ...permission, settings: await this.deps.settings.get(chatId) };
    }
    const by = actor.name?.trim() ? actor.name : null;
    const tenantId = (await this.deps.store.chats.get(chatId))?.tenantId ?? chatTenantId;
    const { settings, changes } = await this.deps.settings.apply(chatId, tenantId, patch, by, source);
    return { allowed: true, settings, changes, by };
  }

  /**
   * Who the person is in the chat. Their tenant and guest role: the Bot Connector's record from their own
   * turn (Teams' word, no Graph permission needed), else the roster, else a connector read, else Graph.
   * The owner role only Graph knows (the connector has no such role): the roster's roles when Graph gave
   * them, else Graph's member list; unknown when Graph cannot be read.
   */
  private async facts(chatId: string, tenantId: string, actor: SettingsActor & { userId: string }, needOwner: boolean): Promise<ChangerFacts | null> {
    const { userId } = actor;
    const entry = rosterEntry((await this.deps.store.chats.get(chatId))?.roster, userId);
    const inRoster = entry?.present && entry.tenantId ? entry : null;
    // Roles a bot event brought say nothing about ownership.
    const rosterOwner = inRoster && inRoster.rolesSource !== 'connector' ? factsFromRoles(inRoster.tenantId, inRoster.roles).owner : null;
    let known: ChangerFacts | null;
    if (actor.connector !== undefined) {
      // Teams said the person is not in the conversation (or answered about someone else).
      if (!actor.connector || actor.connector.userId.toLowerCase() !== userId.toLowerCase()) return null;
      known = { tenantId: actor.connector.tenantId, guest: actor.connector.guest, owner: rosterOwner };
    } else if (inRoster) {
      known = { ...factsFromRoles(inRoster.tenantId, inRoster.roles), owner: rosterOwner };
    } else {
      known = await this.fromConnector(chatId, userId);
    }
    if (known && (known.guest || !needOwner || known.owner !== null)) return known;
    const graph = await this.fromGraph(chatId, tenantId, userId);
    if (!known) return graph ?? null;
    if (graph === undefined) return known;
    // Graph read, and the person not listed: Graph, the only source of owners, does not have them as one.
    return { ...known, guest: known.guest || Boolean(graph?.guest), owner: graph?.owner ?? false };
  }

  private async fromConnector(chatId: string, userId: string): Promise<ChangerFacts | null> {
    const installation = await this.deps.store.installations.get(chatId);
    if (!this.deps.connector || installation?.status !== 'installed') return null;
    try {
      const member = await this.deps.connector.getMember(installation, userId);
      return member ? { tenantId: member.tenantId, guest: member.guest, owner: null } : null;
    } catch (error) {
      this.deps.log.warn({ err: error, chatId }, 'settings: Bot Connector member read failed');
      return null;
    }
  }

  /** The person as Graph lists them; null when Graph's list does not have them; undefined when Graph could not be read. */
  private async fromGraph(chatId: string, tenantId: string, userId: string): Promise<ChangerFacts | null | undefined> {
    if (!this.deps.graph) return undefined;
    try {
      const members = await this.deps.graph.listChatMembers(tenantId, chatId);
      const member = members.find((m) => m.userId?.toLowerCase() === userId.toLowerCase());
      return member ? factsFromRoles(member.tenantId ?? null, member.roles) : null;
    } catch (error) {
      this.deps.log.warn({ err: error, chatId }, 'settings: Graph member read failed');
      return undefined;
    }
  }
}

function rosterEntry<T>(roster: Record<string, T> | undefined, userId: string): T | undefined {
  if (!roster) return undefined;
  const lower = userId.toLowerCase();
  return roster[userId] ?? Object.entries(roster).find(([id]) => id.toLowerCase() === lower)?.[1];
}
