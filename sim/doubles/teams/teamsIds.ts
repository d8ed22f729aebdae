import { randomBytes, randomUUID } from 'node:crypto';

/**
 * Identifier formats Teams uses on the Bot Framework side. They look like the real ones so code
 * that inspects prefixes (`28:` bot, `29:` user, `19:…@thread.v2` group chat, `a:` personal) behaves
 * as it would against Teams.
 */

export function botAccountId(botAppId: string): string {
  return `28:${botAppId}`;
}

export function newTeamsUserId(): string {
  return `29:1${randomBytes(45).toString('base64url')}`;
}

export function newGroupChatId(): string {
  return `19:${randomBytes(16).toString('hex')}@thread.v2`;
}

export function newTeamChannelId(): string {
  return `19:${randomBytes(16).toString('hex')}@thread.tacv2`;
}

export function newPersonalConversationId(): string {
  return `a:1${randomBytes(60).toString('base64url')}`;
}

/** Ids of non-message activities (conversationUpdate, installationUpdate) look like `f:<guid>` in Teams. */
export function newEventActivityId(): string {
  return `f:${randomUUID()}`;
}

/**
 * Teams message ids are the message's epoch milliseconds. Bot posts and user messages share one
 * sequence per double, kept strictly increasing so two posts in the same millisecond stay distinct.
 */
export class MessageIdSequence {
  private last = 0;

  constructor(private readonly now: () => Date) {}

  next(): string {
    this.last = Math.max(this.last + 1, this.now().getTime());
    return String(this.last);
  }
}
