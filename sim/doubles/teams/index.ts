/**
 * Teams / Bot Framework double. `startTeamsDouble` gives a Bot Connector server (`serviceUrl`,
 * `connector`: posts, rosters, faults) and a channel client (`channel`: Teams-shaped activities
 * POSTed to the bot's /api/messages). Both share one view of where the bot is installed.
 */
export { startTeamsDouble, type TeamsDouble, type TeamsDoubleOptions } from './startTeamsDouble.js';
export { TeamsConnector, DEFAULT_MAX_ACTIVITY_BYTES, type ConnectorTokenVerifier } from './TeamsConnector.js';
export {
  ChannelClient,
  type ChannelTokenSigner,
  type Delivery,
  type DeliveryListener,
  type InstallInput,
  type InstallOrder,
  type MessageInput,
  type MembersInput,
  type PersonalMessageInput,
  type ChannelMessageInput,
  type ChatTarget,
  type RosterChange,
} from './ChannelClient.js';
export type { TeamsUser, TeamsConversationContext } from './channelActivities.js';
export {
  InMemoryTeamsDirectory,
  newTeamsMember,
  findMember,
  toTeamsChannelAccountJson,
  type TeamsDirectory,
  type TeamsMember,
  type NewTeamsMemberInput,
} from './TeamsDirectory.js';
export type {
  RecordedPost,
  RecordedRequest,
  AuthorizationSeen,
  ConnectorEvent,
  ConnectorListener,
  ConnectorOperation,
} from './PostLog.js';
export type { FaultSpec, FaultTarget } from './FaultPlan.js';
export type { InjectableStatus } from './connectorErrors.js';
export { BotPresence } from './BotPresence.js';
export {
  botAccountId,
  newTeamsUserId,
  newGroupChatId,
  newTeamChannelId,
  newPersonalConversationId,
} from './teamsIds.js';
export {
  WaitForPostsTimeoutError,
  TeamsDoubleClosedError,
  BotEndpointNotSetError,
  UnknownTenantError,
  BotDeliveryError,
} from './teamsDoubleErrors.js';
export type {
  ActivityJson,
  ChannelAccountJson,
  ConversationAccountJson,
  TeamsChannelAccountJson,
  TeamsChannelDataJson,
  PagedMembersJson,
  ConnectorErrorBody,
} from './activityJson.js';
