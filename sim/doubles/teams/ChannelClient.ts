import type { Logger } from 'pino';
import type { ActivityJson } from './activityJson.js';
import type { BotPresence } from './BotPresence.js';
import {
  type CardActionInput,
  cardActionActivity,
  type ChannelEnvelope,
  conversationIdOf,
  conversationUpdate,
  installationUpdate,
  messageActivity,
  type TeamsConversationContext,
  type TeamsUser,
  userAccount,
} from './channelActivities.js';
import { BotDeliveryError, BotEndpointNotSetError, UnknownTenantError } from './teamsDoubleErrors.js';
import { botAccountId, type MessageIdSequence, newEventActivityId, newPersonalConversationId } from './teamsIds.js';

/** Mints the channel's token for `/api/messages` (`iss` Bot Framework, `aud` bot app id, `serviceurl`). */
export interface ChannelTokenSigner {
  (claims: { botAppId: string; serviceUrl: string; channelId: 'msteams' }): string | Promise<string>;
}

/** One activity sent to the bot, with the bot's HTTP answer. */
export interface Delivery {
  activity: ActivityJson;
  status: number;
  bodyText: string;
  /** The answer parsed as JSON, or null when it was empty or not JSON. */
  body: unknown;
}

export type DeliveryListener = (delivery: Delivery) => void;

/** Roster changes implied by what happened in Teams (used to keep a built-in directory in step). */
export interface RosterChange {
  kind: 'added' | 'removed';
  /** The conversation whose roster changed; for channels, the team id. */
  rosterId: string;
  tenantId: string;
  users: TeamsUser[];
}

export interface ChannelClientOptions {
  botAppId: string;
  botName: string;
  serviceUrl: string;
  presence: BotPresence;
  messageIds: MessageIdSequence;
  now: () => Date;
  log: Logger;
  botEndpoint?: string;
  defaultTenantId?: string;
  locale?: string;
  timezone?: string;
  /** Default: no Authorization header (Herald with BOT_ID blank). */
  signChannelToken?: ChannelTokenSigner;
  onRosterChange?: (change: RosterChange) => void;
  fetch?: typeof fetch;
}

export type InstallOrder = 'installationUpdateFirst' | 'conversationUpdateFirst';

export interface ChatTarget {
  chatId: string;
  /** Defaults to the tenant the chat was installed with, then the double's default tenant. */
  tenantId?: string;
  /** The chat's topic, sent as `conversation.name`; remembered per chat. */
  topic?: string;
}

export interface InstallInput extends ChatTarget {
  by: TeamsUser;
  /** Which of the two activities Teams sends; both by default. */
  only?: 'installationUpdate' | 'conversationUpdate';
  order?: InstallOrder;
  /** `add-upgrade` / `remove-upgrade` instead of `add` / `remove`. */
  upgrade?: boolean;
}

export interface MessageInput extends ChatTarget {
  from: TeamsUser;
  text: string;
  /** Group chats deliver only @mentions to bots without ChatMessage.Read.Chat, hence the default. */
  mention?: boolean;
  replyToId?: string;
}

export interface MembersInput extends ChatTarget {
  members: TeamsUser[];
  /** Who added/removed them; the first member when absent. */
  by?: TeamsUser;
}

export interface PersonalMessageInput {
  from: TeamsUser;
  text: string;
  tenantId?: string;
  /** The 1:1 conversation (`a:…`); a fresh one per user when absent. */
  conversationId?: string;
}

export interface ChannelMessageInput {
  teamId: string;
  channelId?: string;
  teamName?: string;
  channelName?: string;
  tenantId?: string;
  from: TeamsUser;
  text: string;
  mention?: boolean;
}

interface KnownChat {
  tenantId: string;
  topic?: string;
}

/**
 * Plays Teams towards the bot: builds Teams-shaped activities and POSTs them to the bot's
 * `/api/messages`, returning Herald's HTTP answer.
 */
export class ChannelClient {
  private endpoint: string | undefined;
  private readonly chats = new Map<string, KnownChat>();
  private readonly personalChats = new Map<string, string>();
  private readonly sent: Delivery[] = [];
  private readonly listeners = new Set<DeliveryListener>();

  constructor(private readonly options: ChannelClientOptions) {
    this.endpoint = options.botEndpoint;
  }

  get botEndpoint(): string | undefined {
    return this.endpoint;
  }

  setBotEndpoint(url: string): void {
    this.endpoint = url;
  }

  /** The bot's own account as Teams addresses it. */
  get botAccount(): { id: string; name: string } {
    return { id: botAccountId(this.options.botAppId), name: this.options.botName };
  }

  /** Remembers a chat's tenant and topic so later calls need only the chat id. */
  registerChat(chatId: string, tenantId: string, topic?: string): void {
    this.chats.set(chatId, { tenantId, topic });
  }

  /** Teams sends no bot event for a group-chat rename; later activities just carry the new name. */
  setChatTopic(chatId: string, topic: string | undefined): void {
    const known = this.chats.get(chatId);
    if (known) this.chats.set(chatId, { ...known, topic });
  }

  /** `installationUpdate` (add) and `conversationUpdate` with the bot in `membersAdded`. */
  async installIntoChat(input: InstallInput): Promise<Delivery[]> {
    const ctx = this.groupChat(input);
    this.options.presence.join(input.chatId);
    this.rosterChange('added', ctx, [input.by]);
    const env = this.envelope();
    const install = () => installationUpdate(env, ctx, input.by, input.upgrade ? 'add-upgrade' : 'add', newEventActivityId());
    const update = () => conversationUpdate(env, ctx, input.by, { membersAdded: [this.botAccount] }, newEventActivityId());
    return this.deliverPair(install, update, input);
  }

  /** `installationUpdate` (remove) and `conversationUpdate` with the bot in `membersRemoved`. */
  async removeFromChat(input: InstallInput): Promise<Delivery[]> {
    const ctx = this.groupChat(input);
    this.options.presence.leave(input.chatId);
    const env = this.envelope();
    const install = () =>
      installationUpdate(env, ctx, input.by, input.upgrade ? 'remove-upgrade' : 'remove', newEventActivityId());
    const update = () => conversationUpdate(env, ctx, input.by, { membersRemoved: [this.botAccount] }, newEventActivityId());
    return this.deliverPair(install, update, input);
  }

  /** A group-chat message; with `mention` (default) it reads `<at>Herald</at> text` and carries the mention entity. */
  async sendMessage(input: MessageInput): Promise<Delivery> {
    const ctx = this.groupChat(input);
    this.options.presence.join(input.chatId);
    this.rosterChange('added', ctx, [input.from]);
    const activity = messageActivity(
      this.envelope(),
      ctx,
      input.from,
      { text: input.text, mention: input.mention ?? true, replyToId: input.replyToId },
      this.options.messageIds.next(),
    );
    return this.deliver(activity);
  }

  /** Someone pressed a card's `Action.Execute` button: an `adaptiveCard/action` invoke; the answer is the delivery's body. */
  async pressCardAction(input: ChatTarget & CardActionInput & { from: TeamsUser }): Promise<Delivery> {
    const ctx = this.groupChat(input);
    return this.deliver(cardActionActivity(this.envelope(), ctx, input.from, input, this.options.messageIds.next()));
  }

  /** A 1:1 message to the bot (conversationType `personal`, id `a:…`); no mention needed there. */
  async sendPersonalMessage(input: PersonalMessageInput): Promise<Delivery> {
    const tenantId = input.tenantId ?? this.options.defaultTenantId;
    if (!tenantId) throw new UnknownTenantError(input.conversationId ?? `personal chat of ${input.from.id}`);
    const conversationId = input.conversationId ?? this.personalConversationFor(input.from.id);
    const ctx: TeamsConversationContext = { kind: 'personal', conversationId, tenantId };
    this.options.presence.join(conversationId);
    this.rosterChange('added', ctx, [input.from]);
    const activity = messageActivity(this.envelope(), ctx, input.from, { text: input.text, mention: false }, this.options.messageIds.next());
    return this.deliver(activity);
  }

  /** A new post in a team channel that @mentions the bot (conversationType `channel`). */
  async sendChannelMessage(input: ChannelMessageInput): Promise<Delivery> {
    const tenantId = input.tenantId ?? this.options.defaultTenantId;
    if (!tenantId) throw new UnknownTenantError(input.channelId ?? input.teamId);
    const id = this.options.messageIds.next();
    const ctx: TeamsConversationContext = {
      kind: 'channel',
      teamId: input.teamId,
      channelId: input.channelId ?? input.teamId,
      tenantId,
      teamName: input.teamName,
      channelName: input.channelName,
      rootMessageId: id,
    };
    this.options.presence.join(ctx.channelId);
    this.rosterChange('added', ctx, [input.from]);
    return this.deliver(messageActivity(this.envelope(), ctx, input.from, { text: input.text, mention: input.mention ?? true }, id));
  }

  /** `conversationUpdate` with people (`29:` ids and `aadObjectId`, as Teams sends them) in `membersAdded`. */
  async membersAdded(input: MembersInput): Promise<Delivery> {
    const ctx = this.groupChat(input);
    this.rosterChange('added', ctx, input.members);
    const by = input.by ?? input.members[0];
    const change = { membersAdded: input.members.map(accountOnly) };
    return this.deliver(conversationUpdate(this.envelope(), ctx, by, change, newEventActivityId()));
  }

  /** `conversationUpdate` with people in `membersRemoved` (also sent when a user is deleted). */
  async membersRemoved(input: MembersInput): Promise<Delivery> {
    const ctx = this.groupChat(input);
    this.rosterChange('removed', ctx, input.members);
    const by = input.by ?? input.members[0];
    const change = { membersRemoved: input.members.map(accountOnly) };
    return this.deliver(conversationUpdate(this.envelope(), ctx, by, change, newEventActivityId()));
  }

  /** Sends any activity as is (for shapes the helpers do not build). */
  async deliver(activity: ActivityJson): Promise<Delivery> {
    const endpoint = this.endpoint;
    if (!endpoint) throw new BotEndpointNotSetError();
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
    if (activity.conversation?.id) headers['x-ms-conversation-id'] = activity.conversation.id;
    const tenantId = activity.conversation?.tenantId ?? activity.channelData?.tenant?.id;
    if (tenantId) headers['x-ms-tenant-id'] = tenantId;
    if (this.options.signChannelToken) {
      const token = await this.options.signChannelToken({
        botAppId: this.options.botAppId,
        serviceUrl: this.options.serviceUrl,
        channelId: 'msteams',
      });
      headers.authorization = `Bearer ${token}`;
    }
    const doFetch = this.options.fetch ?? fetch;
    let response: Response;
    try {
      response = await doFetch(endpoint, { method: 'POST', headers, body: JSON.stringify(activity) });
    } catch (error) {
      throw new BotDeliveryError(endpoint, activity.type, error);
    }
    const bodyText = await response.text();
    const delivery: Delivery = { activity, status: response.status, bodyText, body: parseJson(bodyText) };
    this.options.log.debug(
      { type: activity.type, conversationId: activity.conversation?.id, status: response.status },
      'teams double: activity delivered to bot',
    );
    this.sent.push(delivery);
    for (const listener of this.listeners) {
      try {
        listener(delivery);
      } catch (error) {
        this.options.log.warn({ err: error }, 'teams double: channel listener failed');
      }
    }
    return delivery;
  }

  /** Everything sent to the bot so far, oldest first. */
  deliveries(): Delivery[] {
    return [...this.sent];
  }

  subscribe(listener: DeliveryListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async deliverPair(
    install: () => ActivityJson,
    update: () => ActivityJson,
    input: InstallInput,
  ): Promise<Delivery[]> {
    if (input.only === 'installationUpdate') return [await this.deliver(install())];
    if (input.only === 'conversationUpdate') return [await this.deliver(update())];
    const [first, second] = input.order === 'conversationUpdateFirst' ? [update, install] : [install, update];
    return [await this.deliver(first()), await this.deliver(second())];
  }

  private groupChat(target: ChatTarget): Extract<TeamsConversationContext, { kind: 'groupChat' }> {
    const known = this.chats.get(target.chatId);
    const tenantId = target.tenantId ?? known?.tenantId ?? this.options.defaultTenantId;
    if (!tenantId) throw new UnknownTenantError(target.chatId);
    const topic = target.topic ?? known?.topic;
    this.chats.set(target.chatId, { tenantId, topic });
    return { kind: 'groupChat', chatId: target.chatId, tenantId, topic };
  }

  private personalConversationFor(userId: string): string {
    const existing = this.personalChats.get(userId);
    if (existing) return existing;
    const created = newPersonalConversationId();
    this.personalChats.set(userId, created);
    return created;
  }

  private rosterChange(kind: RosterChange['kind'], ctx: TeamsConversationContext, users: TeamsUser[]): void {
    const rosterId = ctx.kind === 'channel' ? ctx.teamId : conversationIdOf(ctx);
    this.options.onRosterChange?.({ kind, rosterId, tenantId: ctx.tenantId, users });
  }

  private envelope(): ChannelEnvelope {
    return {
      serviceUrl: this.options.serviceUrl,
      bot: this.botAccount,
      now: this.options.now(),
      locale: this.options.locale ?? 'en-US',
      timezone: this.options.timezone ?? 'Etc/UTC',
    };
  }
}

/** Teams lists members in conversationUpdate with id and aadObjectId only (botbuilder then calls getMember). */
function accountOnly(user: TeamsUser): { id: string; aadObjectId: string } {
  const { id, aadObjectId } = userAccount(user);
  return { id, aadObjectId };
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
