import type { AadUserConversationMember, Chat } from '@microsoft/microsoft-graph-types';

/**
 * The chat reads Herald needs from Microsoft Graph, always on behalf of the chat's tenant (app-only
 * token for that tenant). Implemented over @microsoft/microsoft-graph-client in graph/.
 */
export interface ChatGraph {
  getChat(tenantId: string, chatId: string): Promise<Chat>;
  listChatMembers(tenantId: string, chatId: string): Promise<AadUserConversationMember[]>;
  /** GET of a resource path relative to the Graph root (e.g. `chats('…')/members('…')`), for notifications without resource data. */
  getResource(tenantId: string, path: string): Promise<unknown>;
}
