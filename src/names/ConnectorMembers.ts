import type { Installation } from '../model/installation.js';

/** A chat member as the Bot Connector reports them (`TeamsChannelAccount`). */
export interface ConnectorMember {
  /** Entra object id (Graph's `userId`). */
  userId: string;
  displayName: string | null;
  /** The member's home tenant, as Teams reports it. */
  tenantId: string | null;
  /** `userRole: guest` (or `anonymous`): not a member of the chat's organization. */
  guest: boolean;
}

/**
 * Member reads through the Bot Connector at the chat's serviceUrl (cheaper than Graph, and no Graph
 * permission needed). The connector knows who is in the conversation, their home tenant and whether
 * they are a guest; it does not know chat owners (Graph's member role).
 */
export interface ConnectorMemberDirectory {
  /** One member by Entra object id; null when the connector does not know them (e.g. they left). */
  getMember(installation: Installation, userId: string): Promise<ConnectorMember | null>;
  /** Everyone in the chat (people only, no bots). */
  listMembers(installation: Installation): Promise<ConnectorMember[]>;
}
