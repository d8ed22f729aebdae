/**
 * Who may read a chat: tenant-wide application roles (`*.All`), `*.WhereInstalled` roles where the app
 * is installed, or resource-specific consent (RSC) granted by installing the app in the chat. The
 * "consent revoked" switch removes what installation granted, for one chat.
 */
import type { World } from '../world/World.js';

export interface AccessRule {
  roles: readonly string[];
  rsc: readonly string[];
}

export interface Principal {
  clientId: string;
  roles: readonly string[];
}

/** RSC permissions a Herald-like manifest requests (granted per chat on install). */
export const DEFAULT_RSC_PERMISSIONS = ['ChatSettings.Read.Chat', 'ChatMember.Read.Chat'];

export class ChatAccess {
  private readonly revoked = new Set<string>();

  constructor(
    private readonly world: World,
    private readonly rscPermissions: readonly string[] = DEFAULT_RSC_PERMISSIONS,
  ) {}

  revoke(chatId: string): void {
    this.revoked.add(chatId);
  }

  restore(chatId: string): void {
    this.revoked.delete(chatId);
  }

  isRevoked(chatId: string): boolean {
    return this.revoked.has(chatId);
  }

  /** RSC grants the principal holds in this chat (empty when not installed or consent revoked). */
  rscGrants(chatId: string, clientId: string): string[] {
    if (this.revoked.has(chatId) || !this.world.isClientInstalledIn(chatId, clientId)) return [];
    return [...this.rscPermissions];
  }

  /** Whether a specific Teams app (catalog id) is installed in the chat and its consent stands. */
  teamsAppActiveIn(chatId: string, teamsAppId: string): boolean {
    if (this.revoked.has(chatId)) return false;
    const chat = this.world.getChat(chatId);
    return !!chat?.installedApps.some((id) => id.toLowerCase() === teamsAppId.toLowerCase());
  }

  allowed(rule: AccessRule, principal: Principal, chatId: string): boolean {
    const granted = principal.roles.filter((r) => rule.roles.includes(r));
    if (granted.some((r) => r.endsWith('.All'))) return true;
    const rsc = this.rscGrants(chatId, principal.clientId);
    if (rsc.length === 0) return false;
    return granted.some((r) => r.endsWith('.WhereInstalled')) || rule.rsc.some((p) => rsc.includes(p));
  }
}
