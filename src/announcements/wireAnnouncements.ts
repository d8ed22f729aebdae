import type { CloudAdapter } from 'botbuilder';
import type { Logger } from 'pino';
import type { ChatPoster } from '../bot/ChatPoster.js';
import type { HeraldConfig } from '../config/HeraldConfig.js';
import type { HeraldEvents } from '../events/HeraldEvents.js';
import type { InstallationRegistry } from '../installations/InstallationRegistry.js';
import type { ModuleHost } from '../kernel/ModuleHost.js';
import type { Store } from '../storage/Store.js';
import { formatWindow } from '../settings/settingChanges.js';
import { BotConnectorMembers } from '../bot/BotConnectorMembers.js';
import type { ConnectorMemberDirectory } from '../names/ConnectorMembers.js';
import { DisplayNameResolver } from '../names/DisplayNameResolver.js';
import { AnnouncementService } from './AnnouncementService.js';
import type { ChatMemberReader } from '../names/DisplayNameResolver.js';
import { ChatStateUpdater } from './ChatStateUpdater.js';
import { PostQueue, type AnnouncementPoster } from './PostQueue.js';
import type { RetryPolicy } from './retryDelay.js';
import type { PacingLimits } from './SlidingWindowLimiter.js';
import { systemTimers, type Timers } from '../kernel/timers.js';

export interface AnnouncementDeps {
  /** Graph member reads (ChatGraph / GraphApi), the second source of names after the Bot Connector. */
  chatGraph?: ChatMemberReader;
  /** Bot Connector member reads; defaults to botbuilder's TeamsInfo over the context's adapter. */
  connectorMembers?: ConnectorMemberDirectory;
  /** Defaults to the context's ChatPoster (looked up at each post, so a replaced `post` applies). */
  poster?: AnnouncementPoster;
  timers?: Timers;
  random?: () => number;
  pacing?: PacingLimits;
  retry?: RetryPolicy;
  /** Period of the sweeps for windows and posts of other (perhaps dead) instances; default 5 s. */
  sweepMs?: number;
  /** More ids that are Herald itself (beyond BOT_ID and AAD_APP_CLIENT_ID). */
  ownIds?: string[];
}

/** The announcement module as wired: for tests, benchmarks and status. */
export interface Announcements {
  service: AnnouncementService;
  queue: PostQueue;
  resolver: DisplayNameResolver;
  /** Resolves when everything started so far has been stored and sent (or scheduled for retry). */
  idle(): Promise<void>;
}

/** What the announcement module is built from. */
export interface AnnouncementModuleInput {
  config: HeraldConfig;
  log: Logger;
  clock: () => Date;
  store: Store;
  events: HeraldEvents;
  registry: InstallationRegistry;
  adapter: CloudAdapter;
  poster: ChatPoster;
}

/**
 * Wires announcements into Herald: change events → chat state → summary window → outbox → chat.
 * Also announces settings changed from the tab, takes a baseline when Herald is installed, and
 * contributes to `/healthz` and `@Herald status`.
 */
export function wireAnnouncements(host: ModuleHost, input: AnnouncementModuleInput, deps: AnnouncementDeps = {}): Announcements {
  const { config, log: parentLog, clock, store, events, registry, adapter, poster } = input;
  const log = parentLog.child({ module: 'announcements' });
  const timers = deps.timers ?? systemTimers();
  const connector = deps.connectorMembers ?? new BotConnectorMembers({ adapter, botAppId: config.bot.appId });
  const resolver = new DisplayNameResolver({ connector, graph: deps.chatGraph, clock, log });
  const queue = new PostQueue({
    store,
    registry: { get: (chatId) => registry.get(chatId), markUninstalled: (chatId, reason) => registry.markUninstalled(chatId, reason) },
    poster: deps.poster ?? { post: (installation, activity) => poster.post(installation, activity) },
    clock,
    log,
    timers,
    random: deps.random,
    pacing: deps.pacing,
    retry: deps.retry,
    sweepMs: deps.sweepMs,
  });
  const updater = new ChatStateUpdater({ ownIds: [config.bot.appId, config.aad.clientId, ...(deps.ownIds ?? [])] });
  const service = new AnnouncementService({
    store, registry: { get: (chatId, within) => registry.get(chatId, within), markUninstalled: (c, r) => registry.markUninstalled(c, r) },
    clock, log, timers, updater, resolver, queue, connector, members: deps.chatGraph, windowSweepMs: deps.sweepMs,
  });

  events.on('changes', (unit) => service.handleChanges(unit));
  events.on('settingsChanged', (event) => service.handleSettingsChanged(event));
  events.on('installed', (event) => service.handleInstalled(event));
  events.on('uninstalled', (event) => service.handleUninstalled(event));

  host.reportHealth('announcements', async () => ({
    outbox: queue.pending(),
    openWindows: await service.window.openWindows(),
    ...queue.stats,
    changes: { ...service.changeStats },
  }));
  host.addStatusLines(async (chatId, m) => {
    const lines: string[] = [];
    const now = clock().getTime();
    // A wait, not a window setting: 0 is "0s", never "(post at once)".
    const wait = (ms: number) => (ms > 0 ? formatWindow(ms, m) : m.unit(0, 'second'));
    const open = await service.window.get(chatId);
    if (open) {
      const inMs = Math.max(0, Date.parse(open.windowEndsAt) - now);
      lines.push(m.text('status.windowOpen', { count: open.changes.length, duration: wait(inMs) }));
    }
    const waiting = queue.pending(chatId);
    if (waiting > 0) {
      const next = queue.nextAttemptAt(chatId);
      lines.push(m.text('status.waiting', { count: waiting, hasNext: next !== null, duration: next === null ? '' : wait(Math.max(0, next - now)) }));
    }
    return lines;
  });

  host.onStart(() => service.start());
  host.onStop(() => service.stop());

  return { service, queue, resolver, idle: () => service.idle() };
}
