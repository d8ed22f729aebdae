import type { Logger } from 'pino';
import type { ChatMemberList } from '../graph/CachedChatMembers.js';
import type { Store } from '../storage/Store.js';

export type MembershipSource = 'roster' | 'graph';

export type MembershipDecision =
  | { member: true; chatTenantId: string; source: MembershipSource }
  | { member: false; reason: 'tenant_mismatch' | 'not_in_roster' | 'not_in_graph' | 'graph_failed' };

export interface ChatMembershipOptions {
  store: Pick<Store, 'chats' | 'installations'>;
  /**
   * Fallback when the stored roster does not show the person as present; null when Graph is not wired.
   * Herald passes its CachedChatMembers, so outsiders cannot make it read Graph on every request.
   */
  graph: ChatMemberList | null;
  log: Logger;
}

/**
 * Decides whether a person is a member of a chat: the stored roster first (no Graph call), then Graph's
 * member list when the roster does not know them as present (it may lag behind, or Herald's install was
 * never seen by the bot).
 */
export class ChatMembership {
  constructor(private readonly options: ChatMembershipOptions) {}

  /** The chat's tenant as Herald knows it, or null for a chat Herald has no record of. */
  async chatTenant(chatId: string): Promise<string | null> {
    const { store } = this.options;
    const tenant = (await store.chats.get(chatId))?.tenantId ?? (await store.installations.get(chatId))?.tenantId;
    return tenant ? tenant.toLowerCase() : null;
  }

  async check(chatId: string, caller: { oid: string; tenantId: string }): Promise<MembershipDecision> {
    const known = await this.chatTenant(chatId);
    // A token from another tenant never grants access: Graph reads are made for the chat's tenant.
    if (known && known !== caller.tenantId) return { member: false, reason: 'tenant_mismatch' };
    const chatTenantId = known ?? caller.tenantId;
    const roster = (await this.options.store.chats.get(chatId))?.roster ?? {};
    if (roster[caller.oid]?.present === true) return { member: true, chatTenantId, source: 'roster' };
    const { graph } = this.options;
    if (!graph) return { member: false, reason: 'not_in_roster' };
    let userIds: Set<string>;
    try {
      const members = await graph.listChatMembers(chatTenantId, chatId);
      userIds = new Set(members.map((m) => m.userId?.toLowerCase()).filter((id): id is string => Boolean(id)));
    } catch (error) {
      this.options.log.warn({ err: error, chatId }, 'tab: could not read chat members from Graph');
      return { member: false, reason: 'graph_failed' };
    }
    return userIds.has(caller.oid.toLowerCase()) ? { member: true, chatTenantId, source: 'graph' } : { member: false, reason: 'not_in_graph' };
  }
}
