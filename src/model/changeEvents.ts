import type { ChatMember } from './chat.js';

/**
 * Where a change came from: a Graph notification, a reconcile after `missed`, or Teams telling the bot
 * (`conversationUpdate` membersAdded/membersRemoved), which also names who made the change.
 */
export type ChangeSource = 'notification' | 'reconcile' | 'bot';

/** Who made a membership change, as Teams told the bot (`activity.from`); never guessed. */
export interface ChangeActor {
  /** Entra object id. */
  userId: string;
  name: string | null;
}

interface ChangeBase {
  tenantId: string;
  chatId: string;
  /** Identifies the change itself (not the delivery), for deduplication across subscriptions and retries. */
  changeKey: string;
  source: ChangeSource;
  /** When Herald received it (ISO). */
  receivedAt: string;
}

/** Chat properties as reported; a property that is `undefined` was absent from the payload (not a change). */
export interface ChatProperties {
  topic?: string | null;
  lastUpdatedDateTime?: string | null;
  chatType?: string | null;
  /** Present on user-specific payloads; such payloads never carry a topic change. */
  viewpoint?: unknown;
}

export interface ChatUpdatedEvent extends ChangeBase {
  kind: 'chatUpdated';
  chat: ChatProperties;
}

export interface MemberAddedEvent extends ChangeBase {
  kind: 'memberAdded';
  member: ChatMember;
  /** Membership time if known (visibleHistoryStartDateTime is not it; use notification time). */
  at: string | null;
  /** Who added them, when Teams said so (bot events only). */
  actor?: ChangeActor | null;
}

export interface MemberRemovedEvent extends ChangeBase {
  kind: 'memberRemoved';
  /** userId may be unknown when only the membership id was delivered; resolve it from the roster. */
  member: Partial<ChatMember> & { membershipId?: string; userId?: string };
  at: string | null;
  /** Who removed them (themselves: they left), when Teams said so (bot events only). */
  actor?: ChangeActor | null;
}

export interface MessageCreatedEvent extends ChangeBase {
  kind: 'messageCreated';
  messageId: string;
}

export type ChangeEvent = ChatUpdatedEvent | MemberAddedEvent | MemberRemovedEvent | MessageCreatedEvent;

export type LifecycleEventName = 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed';

export interface LifecycleEvent {
  kind: LifecycleEventName;
  subscriptionId: string;
  tenantId: string;
  subscriptionExpirationDateTime: string | null;
  receivedAt: string;
}
