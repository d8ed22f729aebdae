import { TeamsInfo, type CloudAdapter, type ConversationReference, type TeamsChannelAccount, type TurnContext } from 'botbuilder';
import type { Installation } from '../model/installation.js';
import type { ConnectorMember, ConnectorMemberDirectory } from '../names/ConnectorMembers.js';

interface ConnectorErrorLike {
  statusCode?: number;
}

/** At most this many single-member reads for one activity; more people → one roster read. */
const MAX_SINGLE_READS = 2;

function toMember(account: TeamsChannelAccount): ConnectorMember | null {
  const userId = account.aadObjectId ?? (account as { objectId?: string }).objectId;
  if (!userId || account.id?.startsWith('28:')) return null;
  const role = (account.userRole ?? '').toLowerCase();
  return {
    userId,
    displayName: account.name?.trim() ? account.name : null,
    tenantId: account.tenantId ?? null,
    // Anonymous people (meeting chats) are no more members of the organization than guests are.
    guest: role === 'guest' || role === 'anonymous',
  };
}

/** The connector answers 404 (ConversationNotFound, MemberNotFoundInConversation) for someone not in the conversation. */
function isNotFound(error: unknown): boolean {
  return (error as ConnectorErrorLike).statusCode === 404;
}

/**
 * The person an activity comes from (`activity.from.id`, the `29:` id Teams addresses them by), read in
 * the turn; null when the connector says they are not in the conversation.
 */
export async function readTurnMember(context: TurnContext, memberId: string): Promise<ConnectorMember | null> {
  try {
    const account = await TeamsInfo.getMember(context, memberId);
    return toMember(account);
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

/** The connector's record of the people an activity names, by lower-case Entra object id. */
export async function readTurnMembers(context: TurnContext, accounts: ReadonlyArray<{ id: string }>): Promise<Map<string, ConnectorMember>> {
  const found = new Map<string, ConnectorMember>();
  const keep = (member: ConnectorMember | null) => {
    if (member) found.set(member.userId.toLowerCase(), member);
  };
  if (accounts.length <= MAX_SINGLE_READS) {
    for (const account of accounts) keep(await readTurnMember(context, account.id));
    return found;
  }
  for (const member of await pagedMembers(context)) keep(member);
  return found;
}

async function pagedMembers(context: TurnContext): Promise<ConnectorMember[]> {
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
}

/** Reads members with botbuilder's TeamsInfo inside a proactive turn for the chat (no activity at hand). */
export class BotConnectorMembers implements ConnectorMemberDirectory {
  constructor(private readonly deps: { adapter: CloudAdapter; botAppId: string }) {}

  getMember(installation: Installation, userId: string): Promise<ConnectorMember | null> {
    return this.inChat(installation, (context) => readTurnMember(context, userId));
  }

  listMembers(installation: Installation): Promise<ConnectorMember[]> {
    return this.inChat(installation, pagedMembers);
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
