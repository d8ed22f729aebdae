/**
 * The simulated Microsoft 365 around Herald, in one process on loopback: the loopback CA (trusted by
 * global fetch, so msal-node and the Graph client use https unchanged), the login double with the
 * playground's app registration, the Graph double over the world model, and the Teams double (Bot
 * Connector + channel) whose rosters are the world's chat. Persisted under `DATA_DIR/playground/`.
 *
 * This is also the shared end-to-end harness: tests drive the same world the person sees.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { startTeamsDouble, type TeamsDouble, type TeamsMember } from '../doubles/teams/index.js';
import type { LoopbackCa } from '../doubles/tls/loopbackCa.js';
import { startGraphWorld, type AppRegistration, type GraphWorld, type StartGraphWorldOptions } from '../doubles/world/startGraphWorld.js';
import type { WorldEvent, WorldUser } from '../doubles/world/types.js';
import { World } from '../doubles/world/World.js';
import { playgroundEnv, type PlaygroundWiring } from './playgroundConfig.js';
import { PlaygroundStateFile, type PlaygroundMeta, type PlaygroundSnapshot } from './PlaygroundStateFile.js';
import { seedPlayground } from './seedPlayground.js';
import { Timeline } from './Timeline.js';
import { WorldTeamsDirectory } from './WorldTeamsDirectory.js';

export interface StartSimulatedWorldOptions {
  /** Herald's DATA_DIR; the playground keeps its world in `<dataDir>/playground/`. Without it nothing is saved. */
  dataDir?: string;
  clock?: () => Date;
  log?: Logger;
  /** Reuse a CA (tests share one: RSA key generation dominates start-up). Default: load or create under dataDir. */
  tls?: LoopbackCa;
  /** Passed to the Graph double (e.g. faster delivery retries in tests). */
  graph?: StartGraphWorldOptions['graph'];
  /** Passed to the login double (tests share one signing key: RSA key generation dominates start-up). */
  login?: StartGraphWorldOptions['login'];
}

export interface SimulatedWorld {
  graphWorld: GraphWorld;
  world: World;
  teams: TeamsDouble<WorldTeamsDirectory>;
  /** The chat the page shows, in the Contoso tenant. */
  chatId: string;
  tenantId: string;
  /** Home tenant of guests and external people. */
  otherTenantId: string;
  /** The playground's Entra app and Teams app; Herald runs as this app. */
  app: AppRegistration;
  timeline: Timeline;
  /** `<dataDir>/playground`, or null when nothing is saved. */
  stateDir: string | null;
  /** The values Herald's configuration takes in the playground (its own loopback URL as PUBLIC_URL). */
  wiring(publicUrl: string): PlaygroundWiring;
  /** The same as environment variables (what `npm start` would need to reach these doubles). */
  env(publicUrl: string): Record<string, string>;
  /** Point the Teams double at Herald (`<heraldUrl>/api/messages`). */
  connectHerald(heraldUrl: string): void;
  /** The person the page acts as, and changing it. */
  actingUser(): WorldUser;
  setActingUser(userId: string): void;
  /** How Teams addresses a world user. */
  teamsMember(userId: string): TeamsMember;
  isHeraldInstalled(): boolean;
  /** Runs a world change on behalf of `actorName`, so the chat stream says who did it. */
  asActor<T>(actorName: string | null, change: () => T): T;
  /** Saves now (coalesced) and resolves when it is on disk. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

function isAddressInUse(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
}

export async function startSimulatedWorld(options: StartSimulatedWorldOptions = {}): Promise<SimulatedWorld> {
  const clock = options.clock ?? (() => new Date());
  const log = options.log;
  const stateDir = options.dataDir ? join(options.dataDir, 'playground') : null;
  const stateFile = stateDir ? new PlaygroundStateFile(stateDir, log) : null;
  const saved = await stateFile?.load();

  let world: World;
  let meta: PlaygroundMeta;
  if (saved) {
    world = World.fromJSON(saved.world, { clock });
    meta = saved.meta;
  } else {
    const seeded = seedPlayground(clock);
    world = seeded.world;
    meta = { ...seeded.meta, connectorPort: 0 };
  }
  const timeline = new Timeline(saved?.timeline ?? []);

  const graphWorld = await startGraphWorld({
    clock,
    logger: log,
    world,
    tls: options.tls,
    tlsDir: options.tls ? undefined : stateDir ? join(stateDir, 'tls') : undefined,
    graph: options.graph,
    login: options.login,
  });
  const app = graphWorld.registerApp({ ...meta.app, displayName: 'Herald' });
  // Graph keeps subscriptions while Herald is down; so does the playground.
  graphWorld.graph.importSubscriptions(saved?.subscriptions ?? []);

  const snapshot = (): PlaygroundSnapshot => ({
    version: 1,
    meta,
    world: world.toJSON(),
    subscriptions: graphWorld.graph.exportSubscriptions(),
    timeline: timeline.entries(),
  });
  const save = () => stateFile?.save(snapshot);
  const directory = new WorldTeamsDirectory(world, meta.teamsUserIds, save);

  let teams: TeamsDouble<WorldTeamsDirectory>;
  const startTeams = (port: number) =>
    startTeamsDouble({
      botAppId: '',
      botName: 'Herald',
      directory,
      clock: { now: clock },
      log,
      tenantId: meta.tenantId,
      port,
      // Like Teams: once Herald is removed from the chat, its posts there are refused.
      enforceRoster: true,
    });
  try {
    try {
      teams = await startTeams(meta.connectorPort);
    } catch (error) {
      if (!isAddressInUse(error) || meta.connectorPort === 0) throw error;
      log?.warn(
        { port: meta.connectorPort },
        'playground: the Bot Connector double cannot have its previous port; Herald posts to the old address until the next activity from the chat',
      );
      teams = await startTeams(0);
    }
  } catch (error) {
    await graphWorld.close();
    throw error;
  }
  meta.connectorPort = Number(new URL(teams.serviceUrl).port);

  const chatOf = () => {
    const chat = world.getChat(meta.chatId);
    if (!chat) throw new Error(`the playground chat ${meta.chatId} is missing from the saved world`);
    return chat;
  };
  const isHeraldInstalled = () => chatOf().installedApps.includes(app.teamsAppId);
  // Teams' own memory of the chat, rebuilt from the world after a restart.
  teams.channel.registerChat(meta.chatId, meta.tenantId, chatOf().topic ?? undefined);
  if (isHeraldInstalled()) teams.presence.join(meta.chatId);

  // ---- the chat stream --------------------------------------------------------------------
  let actor: string | null = null;
  const nameOf = (userId: string) => world.getUser(userId)?.displayName ?? 'Someone';
  const unsubscribeWorld = world.on((event) => {
    if (event.chat.id === meta.chatId) {
      const text = describeWorldEvent(event, actor, app.teamsAppId, nameOf);
      if (text) timeline.system(event.at, text);
    }
    save();
  });
  const unsubscribeTimeline = timeline.on(() => save());
  const unsubscribeWire = graphWorld.wire.on((entry) => {
    if (entry.kind === 'subscription') save();
  });
  const unsubscribeConnector = teams.connector.subscribe((event) => {
    if (event.type === 'request') return;
    if (event.post.conversationId !== meta.chatId) return;
    if (event.type === 'posted') {
      timeline.post({ at: event.post.receivedAt, activityId: event.post.id, text: event.post.text, attachments: event.post.attachments });
    } else if (event.type === 'updated') {
      timeline.updatePost(event.post.id, { text: event.post.text, attachments: event.post.attachments });
    } else {
      timeline.updatePost(event.post.id, { deleted: true });
    }
  });
  save();

  const simulated: SimulatedWorld = {
    graphWorld,
    world,
    teams,
    chatId: meta.chatId,
    tenantId: meta.tenantId,
    otherTenantId: meta.otherTenantId,
    app,
    timeline,
    stateDir,
    wiring: (publicUrl) => ({
      authorityHost: graphWorld.loginUrl,
      graphEndpoint: graphWorld.graphUrl,
      clientId: app.clientId,
      clientSecret: app.clientSecret,
      tenantId: meta.tenantId,
      teamsAppId: app.teamsAppId,
      billingModel: 'B',
      publicUrl,
    }),
    env: (publicUrl) => playgroundEnv(simulated.wiring(publicUrl)),
    connectHerald: (heraldUrl) => teams.channel.setBotEndpoint(`${heraldUrl.replace(/\/+$/, '')}/api/messages`),
    actingUser() {
      const chat = chatOf();
      const current = world.getUser(meta.actingUserId);
      if (current && chat.members.some((m) => m.userId === current.id)) return current;
      // The acting person left: act as the first member of the chat's own tenant (or anyone left).
      const members = chat.members.map((m) => world.getUser(m.userId)).filter((u): u is WorldUser => Boolean(u));
      const next = members.find((u) => u.tenantId === meta.tenantId && !u.guest) ?? members[0] ?? current;
      if (!next) throw new Error('the playground chat has nobody to act as');
      meta.actingUserId = next.id;
      save();
      return next;
    },
    setActingUser(userId) {
      if (!chatOf().members.some((m) => m.userId === userId)) throw new Error(`${userId} is not a member of the chat`);
      meta.actingUserId = userId;
      save();
    },
    teamsMember(userId) {
      const user = world.getUser(userId);
      if (!user) throw new Error(`no user ${userId}`);
      return directory.member(user);
    },
    isHeraldInstalled,
    asActor(actorName, change) {
      const previous = actor;
      actor = actorName;
      try {
        return change();
      } finally {
        actor = previous;
      }
    },
    async flush() {
      save();
      await stateFile?.flush();
    },
    async close() {
      unsubscribeWorld();
      unsubscribeTimeline();
      unsubscribeWire();
      unsubscribeConnector();
      await simulated.flush();
      await teams.close();
      await graphWorld.close();
    },
  };
  return simulated;
}

/** The line Teams shows in the chat for a change, e.g. "Ada Lovelace added Grace Hopper to the chat." */
export function describeWorldEvent(
  event: WorldEvent,
  actor: string | null,
  heraldTeamsAppId: string,
  nameOf: (userId: string) => string,
): string | null {
  switch (event.type) {
    case 'memberAdded': {
      const who = `${event.user.displayName}${event.user.guest ? ' (Guest)' : ''}`;
      return actor && actor !== event.user.displayName ? `${actor} added ${who} to the chat.` : `${who} joined the chat.`;
    }
    case 'memberRemoved':
      return actor && actor !== event.user.displayName
        ? `${actor} removed ${nameOf(event.membership.userId)} from the chat.`
        : `${event.user.displayName} left the chat.`;
    case 'chatRenamed':
      return event.chat.topic
        ? `${actor ?? 'Someone'} changed the group name to ${event.chat.topic}.`
        : `${actor ?? 'Someone'} removed the group name.`;
    case 'appInstalled':
      return event.app.id === heraldTeamsAppId ? `${actor ?? 'Someone'} added ${event.app.displayName} to the chat.` : null;
    case 'appUninstalled':
      return event.app.id === heraldTeamsAppId ? `${actor ?? 'Someone'} removed ${event.app.displayName} from the chat.` : null;
    case 'chatCreated':
      return null;
  }
}
