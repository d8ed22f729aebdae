import { pino, type Logger } from 'pino';
import { BotPresence } from './BotPresence.js';
import type { TeamsUser } from './channelActivities.js';
import { ChannelClient, type ChannelTokenSigner, type RosterChange } from './ChannelClient.js';
import { type ConnectorTokenVerifier, TeamsConnector } from './TeamsConnector.js';
import { InMemoryTeamsDirectory, newTeamsMember, type TeamsDirectory, type TeamsMember } from './TeamsDirectory.js';
import { MessageIdSequence } from './teamsIds.js';

export interface TeamsDoubleOptions<D extends TeamsDirectory = InMemoryTeamsDirectory> {
  /** The bot's Microsoft App ID; the bot is `28:<botAppId>` in activities. */
  botAppId: string;
  botName?: string;
  /** Roster source. Default: an in-memory directory kept in step with what the channel client does. */
  directory?: D;
  clock?: { now(): Date };
  log?: Logger;
  /** Herald's `/api/messages` URL; can also be set later with `channel.setBotEndpoint`. */
  botEndpoint?: string;
  /** Tenant used when a call names none and the chat was not installed with one. */
  tenantId?: string;
  /** Fixed connector port (the playground); ephemeral by default. */
  port?: number;
  /** Path of the serviceUrl, e.g. `/amer/` to look like `https://smba.trafficmanager.net/amer/`. */
  serviceUrlPath?: string;
  /** Turns on connector auth: calls without a Bearer token this accepts get 401. */
  verifyConnectorToken?: ConnectorTokenVerifier;
  /** Signs activities sent to the bot; by default none is signed (BOT_ID blank mode). */
  signChannelToken?: ChannelTokenSigner;
  /** Answer 403 BotNotInConversationRoster where the bot is not installed (off by default). */
  enforceRoster?: boolean;
  maxActivityBytes?: number;
  locale?: string;
  timezone?: string;
  fetch?: typeof fetch;
}

export interface TeamsDouble<D extends TeamsDirectory = InMemoryTeamsDirectory> {
  /** Base URL Herald must use as the conversation's serviceUrl (ends with `/`). */
  serviceUrl: string;
  botAppId: string;
  botName: string;
  /** What Herald called: records, waits, faults. */
  connector: TeamsConnector;
  /** What Teams sends to Herald. */
  channel: ChannelClient;
  directory: D;
  presence: BotPresence;
  close(): Promise<void>;
}

/** Starts the Teams / Bot Framework double: a connector server and a channel client sharing one world. */
export async function startTeamsDouble<D extends TeamsDirectory = InMemoryTeamsDirectory>(
  options: TeamsDoubleOptions<D>,
): Promise<TeamsDouble<D>> {
  const botName = options.botName ?? 'Herald';
  const clock = options.clock;
  const now = clock ? () => clock.now() : () => new Date();
  const log = options.log ?? pino({ level: 'silent' });
  const presence = new BotPresence();
  const messageIds = new MessageIdSequence(now);
  const builtIn = options.directory ? undefined : new InMemoryTeamsDirectory();
  const directory = (options.directory ?? builtIn) as D;

  const connector = await TeamsConnector.start({
    botAppId: options.botAppId,
    directory,
    presence,
    messageIds,
    now,
    log,
    verifyToken: options.verifyConnectorToken,
    enforceRoster: options.enforceRoster,
    maxActivityBytes: options.maxActivityBytes,
    basePath: options.serviceUrlPath,
    port: options.port,
  });

  const channel = new ChannelClient({
    botAppId: options.botAppId,
    botName,
    serviceUrl: connector.serviceUrl,
    presence,
    messageIds,
    now,
    log,
    botEndpoint: options.botEndpoint,
    defaultTenantId: options.tenantId,
    locale: options.locale,
    timezone: options.timezone,
    signChannelToken: options.signChannelToken,
    // An injected directory is the caller's truth (e.g. the playground world); only ours follows the channel.
    onRosterChange: builtIn ? (change) => applyRosterChange(builtIn, change) : undefined,
    fetch: options.fetch,
  });

  return {
    serviceUrl: connector.serviceUrl,
    botAppId: options.botAppId,
    botName,
    connector,
    channel,
    directory,
    presence,
    close: () => connector.close(),
  };
}

function applyRosterChange(directory: InMemoryTeamsDirectory, change: RosterChange): void {
  for (const user of change.users) {
    if (change.kind === 'removed') {
      directory.removeMember(change.rosterId, user.id);
    } else if (!directory.listMembers(change.rosterId)?.some((m) => m.id === user.id)) {
      directory.addMember(change.rosterId, asMember(user, change.tenantId));
    }
  }
}

/** Keeps a full TeamsMember as given; fills tenant, UPN and names for a bare `{ id, name, aadObjectId }`. */
function asMember(user: TeamsUser | TeamsMember, chatTenantId: string): TeamsMember {
  if ('tenantId' in user && typeof user.tenantId === 'string') return user;
  return newTeamsMember({ id: user.id, name: user.name, aadObjectId: user.aadObjectId, tenantId: chatTenantId });
}
