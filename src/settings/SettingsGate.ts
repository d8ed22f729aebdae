import type { Logger } from 'pino';
import type { ChatSettings, SettingsRule } from '../model/chat.js';
import type { ConnectorMemberDirectory } from '../names/ConnectorMembers.js';
import type { ChatMemberReader } from '../names/DisplayNameResolver.js';
import type { Store } from '../storage/Store.js';
import type { ChatSettingsService, SettingsSource } from './ChatSettingsService.js';
import { decideSettingsChange, factsFromRoles, type ChangerFacts, type RefusalReason } from './settingsPermission.js';

/** A person asking to change settings: their Entra object id (null when the channel gave none) and name. */
export interface SettingsActor {
  userId: string | null;
  name: string | null;
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
  /** Bot Connector member reads (tenant and guest role; no owner role). */
  connector?: Pick<ConnectorMemberDirectory, 'getMember'> | null;
  /** Graph's member list (roles, tenant), asked when the roster and the connector cannot tell. */
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
    const facts = actor.userId ? await this.facts(chatId, tenantId, actor.userId, rule === 'owners') : null;
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

  /** Roster first (no call), then the Bot Connector, then Graph (the only source of the owner role besides the roster). */
  private async facts(chatId: string, tenantId: string, userId: string, needOwner: boolean): Promise<ChangerFacts | null> {
    const entry = rosterEntry((await this.deps.store.chats.get(chatId))?.roster, userId);
    if (entry?.present && entry.tenantId) return factsFromRoles(entry.tenantId, entry.roles);
    let known: ChangerFacts | null = null;
    const installation = await this.deps.store.installations.get(chatId);
    if (this.deps.connector && installation?.status === 'installed') {
      try {
        const member = await this.deps.connector.getMember(installation, userId);
        if (member) known = { tenantId: member.tenantId, guest: member.guest, owner: null };
      } catch (error) {
        this.deps.log.warn({ err: error, chatId }, 'settings: Bot Connector member read failed');
      }
    }
    if (known && (known.guest || !needOwner)) return known;
    if (this.deps.graph) {
      try {
        const members = await this.deps.graph.listChatMembers(tenantId, chatId);
        const member = members.find((m) => m.userId?.toLowerCase() === userId.toLowerCase());
        if (member) return factsFromRoles(member.tenantId ?? null, member.roles);
      } catch (error) {
        this.deps.log.warn({ err: error, chatId }, 'settings: Graph member read failed');
      }
    }
    return known;
  }
}

function rosterEntry<T>(roster: Record<string, T> | undefined, userId: string): T | undefined {
  if (!roster) return undefined;
  const lower = userId.toLowerCase();
  return roster[userId] ?? Object.entries(roster).find(([id]) => id.toLowerCase() === lower)?.[1];
}
