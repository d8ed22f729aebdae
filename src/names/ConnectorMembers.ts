import { TeamsInfo, type CloudAdapter, type ConversationReference, type TeamsChannelAccount, type TurnContext } from 'botbuilder';
import type { Installation } from '../model/installation.js';

/** A chat member as the Bot Connector reports them. */
export interface ConnectorMember {
  /** Entra object id (Graph's `userId`). */
  userId: string;
  displayName: string | null;
  tenantId: string | null;
  guest: boolean;
}

/** Member reads through the Bot Connector at the chat's serviceUrl (cheaper than Graph, no extra consent). */
export interface ConnectorMemberDirectory {
  /** One member by Entra object id; null when the connector does not know them (e.g. they left). */
  getMember(installation: Installation, userId: string): Promise<ConnectorMember | null>;
  /** Everyone in the chat (people only, no bots). */
  listMembers(installation: Installation): Promise<ConnectorMember[]>;
}

interface ConnectorErrorLike {
  statusCode?: number;
  code?: string;
}

function toMember(account: TeamsChannelAccount): ConnectorMember | null {
  const userId = account.aadObjectId ?? (account as { objectId?: string }).objectId;
  if (!userId || account.id?.startsWith('28:')) return null;
  return {
    userId,
    displayName: account.name?.trim() ? account.name : null,
    tenantId: account.tenantId ?? null,
    guest: (account.userRole ?? '').toLowerCase() === 'guest',
  };
}

/** Reads members with botbuilder's TeamsInfo inside a proactive turn for the chat. */
export class BotConnectorMembers implements ConnectorMemberDirectory {
  constructor(private readonly deps: { adapter: CloudAdapter; botAppId: string }) {}

  async getMember(installation: Installation, userId: string): Promise<ConnectorMember | null> {
    try {
      const account = await this.inChat(installation, (context) => TeamsInfo.getMember(context, userId));
      return toMember(account);
    } catch (error) {
      // The connector answers 404 (ConversationNotFound / MemberNotFoundInConversation) for non-members.
      if ((error as ConnectorErrorLike).statusCode === 404) return null;
      throw error;
    }
  }

  async listMembers(installation: Installation): Promise<ConnectorMember[]> {
    return this.inChat(installation, async (context) => {
      const members: ConnectorMember[] = [];
      let continuationToken: string | undefined;
      do {
        const page = await TeamsInfo.getPagedMembers(context, 500, continuationToken);
        for (const account of page.members ?? []) {
          const member = toMember(account);
          if (member) members.push(member);
        }
        continuationToken = page.continuationToken || undefined;
      } while (continuationToken);
      return members;
    });
  }

  private async inChat<T>(installation: Installation, work: (context: TurnContext) => Promise<T>): Promise<T> {
    const reference = {
      channelId: 'msteams',
      ...installation.conversationReference,
      serviceUrl: installation.serviceUrl,
    } as ConversationReference;
    let outcome: { ok: true; value: T } | { ok: false; error: unknown } | null = null;
    await this.deps.adapter.continueConversationAsync(this.deps.botAppId, reference, async (context) => {
      // Caught here: an error escaping the turn would go to the adapter's onTurnError and be lost.
      try {
        outcome = { ok: true, value: await work(context) };
      } catch (error) {
        outcome = { ok: false, error };
      }
    });
    const settled = outcome as { ok: true; value: T } | { ok: false; error: unknown } | null;
    if (!settled) throw new Error(`member read in ${installation.chatId} did not run`);
    if (!settled.ok) throw settled.error;
    return settled.value;
  }
}
