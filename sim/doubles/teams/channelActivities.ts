import type { Entity, Mention } from 'botbuilder';
import type { ActivityJson, ChannelAccountJson, ConversationAccountJson, TeamsChannelDataJson } from './activityJson.js';

/** Who acts in Teams: a `TeamsMember` fits, as does any `{ id: '29:…', name, aadObjectId }`. */
export interface TeamsUser {
  id: string;
  name: string;
  aadObjectId: string;
}

/** The conversation an activity comes from, with what Teams puts in `conversation` and `channelData`. */
export type TeamsConversationContext =
  | { kind: 'groupChat'; chatId: string; tenantId: string; topic?: string }
  | { kind: 'personal'; conversationId: string; tenantId: string }
  | {
      kind: 'channel';
      /** The team's id, which is its General channel's id (`19:…@thread.tacv2`). */
      teamId: string;
      channelId: string;
      tenantId: string;
      teamName?: string;
      channelName?: string;
      aadGroupId?: string;
      /** Id of the thread's root post; Teams appends `;messageid=<id>` to the conversation id. */
      rootMessageId?: string;
    };

/** Fields every activity from Teams carries. */
export interface ChannelEnvelope {
  serviceUrl: string;
  bot: { id: string; name: string };
  now: Date;
  locale: string;
  timezone: string;
}

export function conversationAccount(ctx: TeamsConversationContext): ConversationAccountJson {
  switch (ctx.kind) {
    case 'groupChat':
      return {
        id: ctx.chatId,
        conversationType: 'groupChat',
        isGroup: true,
        tenantId: ctx.tenantId,
        ...(ctx.topic ? { name: ctx.topic } : {}),
      };
    case 'personal':
      return { id: ctx.conversationId, conversationType: 'personal', tenantId: ctx.tenantId };
    case 'channel':
      return {
        id: ctx.rootMessageId ? `${ctx.channelId};messageid=${ctx.rootMessageId}` : ctx.channelId,
        conversationType: 'channel',
        isGroup: true,
        tenantId: ctx.tenantId,
        ...(ctx.channelName ? { name: ctx.channelName } : {}),
      };
  }
}

/** Group chats and 1:1 chats carry only the tenant; channels also name the team (no `eventType` outside teams). */
export function channelData(ctx: TeamsConversationContext): TeamsChannelDataJson {
  if (ctx.kind !== 'channel') return { tenant: { id: ctx.tenantId } };
  return {
    teamsChannelId: ctx.channelId,
    teamsTeamId: ctx.teamId,
    channel: { id: ctx.channelId, ...(ctx.channelName ? { name: ctx.channelName } : {}) },
    team: { id: ctx.teamId, ...(ctx.teamName ? { name: ctx.teamName } : {}), ...(ctx.aadGroupId ? { aadGroupId: ctx.aadGroupId } : {}) },
    tenant: { id: ctx.tenantId },
  };
}

export function conversationIdOf(ctx: TeamsConversationContext): string {
  return conversationAccount(ctx).id;
}

function base(env: ChannelEnvelope, ctx: TeamsConversationContext, from: TeamsUser, id: string): ActivityJson {
  const at = env.now.toISOString();
  return {
    type: 'message',
    id,
    timestamp: at,
    localTimestamp: at,
    localTimezone: env.timezone,
    channelId: 'msteams',
    serviceUrl: env.serviceUrl,
    from: userAccount(from),
    recipient: { id: env.bot.id, name: env.bot.name },
    conversation: conversationAccount(ctx),
    channelData: channelData(ctx),
    locale: env.locale,
  };
}

export function userAccount(user: TeamsUser): ChannelAccountJson & { name: string; aadObjectId: string } {
  return { id: user.id, name: user.name, aadObjectId: user.aadObjectId };
}

export function installationUpdate(
  env: ChannelEnvelope,
  ctx: TeamsConversationContext,
  by: TeamsUser,
  action: 'add' | 'add-upgrade' | 'remove' | 'remove-upgrade',
  id: string,
): ActivityJson {
  const activity = base(env, ctx, by, id);
  const conversationId = conversationIdOf(ctx);
  return {
    ...activity,
    type: 'installationUpdate',
    action,
    channelData: {
      ...activity.channelData,
      source: { name: 'message' },
      settings: { selectedChannel: { id: conversationId } },
    },
  };
}

export function conversationUpdate(
  env: ChannelEnvelope,
  ctx: TeamsConversationContext,
  by: TeamsUser,
  change: { membersAdded?: ChannelAccountJson[]; membersRemoved?: ChannelAccountJson[] },
  id: string,
): ActivityJson {
  return {
    ...base(env, ctx, by, id),
    type: 'conversationUpdate',
    ...(change.membersAdded ? { membersAdded: change.membersAdded } : {}),
    ...(change.membersRemoved ? { membersRemoved: change.membersRemoved } : {}),
  };
}

export interface MessageInput {
  text: string;
  /** Prefix the text with `<at>BotName</at>` and add the mention entity, as Teams does for @mentions. */
  mention: boolean;
  replyToId?: string;
}

export function messageActivity(
  env: ChannelEnvelope,
  ctx: TeamsConversationContext,
  from: TeamsUser,
  input: MessageInput,
  id: string,
): ActivityJson {
  const mentionText = `<at>${env.bot.name}</at>`;
  const text = input.mention ? `${mentionText} ${input.text}` : input.text;
  const mention: Mention = { type: 'mention', mentioned: { id: env.bot.id, name: env.bot.name }, text: mentionText };
  const clientInfo: Entity = { type: 'clientInfo', locale: env.locale, country: env.locale.split('-')[1] ?? 'US', platform: 'Web', timezone: env.timezone };
  const htmlMention = `<span itemscope="" itemtype="http://schema.skype.com/Mention" itemid="0">${escapeHtml(env.bot.name)}</span>`;
  return {
    ...base(env, ctx, from, id),
    type: 'message',
    text,
    textFormat: 'plain',
    attachments: [
      {
        contentType: 'text/html',
        content: `<p>${input.mention ? `${htmlMention} ` : ''}${escapeHtml(input.text)}</p>`,
      },
    ],
    entities: input.mention ? [mention, clientInfo] : [clientInfo],
    ...(input.replyToId ? { replyToId: input.replyToId } : {}),
  };
}

export interface CardActionInput {
  verb: string;
  /** The action's own data with the card's inputs merged in, as Teams sends them (strings). */
  data: Record<string, unknown>;
  /** The message that carries the card. */
  replyToId: string;
}

/** What Teams sends when someone presses an `Action.Execute` button (or a card asks to refresh). */
export function cardActionActivity(env: ChannelEnvelope, ctx: TeamsConversationContext, from: TeamsUser, input: CardActionInput, id: string): ActivityJson {
  return {
    ...base(env, ctx, from, id),
    type: 'invoke',
    name: 'adaptiveCard/action',
    replyToId: input.replyToId,
    value: { action: { type: 'Action.Execute', verb: input.verb, data: input.data }, trigger: 'manual' },
  };
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
