import type { Activity, ChannelAccount, ConversationAccount, TeamsChannelAccount, TeamsChannelData } from 'botbuilder';

/**
 * Bot Framework payloads as they travel as JSON. botbuilder's `Activity` types dates as `Date`
 * and marks many fields required; on the wire dates are ISO strings and most fields are optional.
 */
export type ActivityJson = Partial<
  Omit<
    Activity,
    | 'timestamp'
    | 'localTimestamp'
    | 'expiration'
    | 'channelData'
    | 'from'
    | 'recipient'
    | 'conversation'
    | 'membersAdded'
    | 'membersRemoved'
  >
> & {
  type: string;
  timestamp?: string;
  localTimestamp?: string;
  expiration?: string;
  channelData?: TeamsChannelDataJson;
  from?: ChannelAccountJson;
  recipient?: ChannelAccountJson;
  conversation?: ConversationAccountJson;
  membersAdded?: ChannelAccountJson[];
  membersRemoved?: ChannelAccountJson[];
};

/** Teams' `channelData`, plus the fields Teams sends that botbuilder's type leaves out. */
export type TeamsChannelDataJson = TeamsChannelData & {
  source?: { name: string };
  teamsChannelId?: string;
  teamsTeamId?: string;
};

export type ChannelAccountJson = Pick<ChannelAccount, 'id'> & Partial<Omit<ChannelAccount, 'id'>>;

export type TeamsConversationType = 'groupChat' | 'personal' | 'channel';

/** `conversationType` is `groupChat`, `personal` or `channel` from Teams; bots may echo anything back. */
export type ConversationAccountJson = Pick<ConversationAccount, 'id'> &
  Partial<Omit<ConversationAccount, 'id' | 'conversationType'>> & { conversationType?: TeamsConversationType | (string & {}) };

/**
 * A roster entry as the Teams connector returns it from `/members`. Teams sends the Entra object id
 * as `objectId` (botbuilder's `getMembers` copies it to `aadObjectId`); newer responses carry both.
 */
export type TeamsChannelAccountJson = Omit<TeamsChannelAccount, 'meeting' | 'conversation' | 'properties'> & {
  objectId?: string;
  userRole?: TeamsUserRole;
};

export type TeamsUserRole = 'user' | 'guest' | 'anonymous';

export interface PagedMembersJson {
  members: TeamsChannelAccountJson[];
  continuationToken?: string;
}

/** Bot Connector's error body (`ErrorResponse` in botframework-connector). */
export interface ConnectorErrorBody {
  error: { code: string; message: string };
}

export interface ResourceResponseJson {
  id: string;
}
