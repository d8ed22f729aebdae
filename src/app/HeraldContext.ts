import type { CloudAdapter } from 'botbuilder';
import type { Logger } from 'pino';
import type { Server } from 'restify';
import type { ChatPoster } from '../bot/ChatPoster.js';
import type { HeraldConfig } from '../config/HeraldConfig.js';
import type { ChatUnits } from '../events/ChatUnits.js';
import type { HeraldEvents } from '../events/HeraldEvents.js';
import type { HealthRegistry } from '../http/HealthRegistry.js';
import type { InstallationRegistry } from '../installations/InstallationRegistry.js';
import type { ChatSettingsService } from '../settings/ChatSettingsService.js';
import type { Store } from '../storage/Store.js';

/**
 * The shared services the composition root builds before wiring the feature modules. Each module's
 * `wire*` function names the few of these it needs; none receives the whole context.
 */
export interface HeraldContext {
  config: HeraldConfig;
  log: Logger;
  clock: () => Date;
  /** This instance among those sharing the store: owner of the leases it holds, shown in /healthz. */
  instanceId: string;
  store: Store;
  events: HeraldEvents;
  /** Applies a chat's changes as one unit of work (lock, transaction, handlers), whatever their source. */
  units: ChatUnits;
  health: HealthRegistry;
  server: Server;
  registry: InstallationRegistry;
  settings: ChatSettingsService;
  adapter: CloudAdapter;
  poster: ChatPoster;
}
