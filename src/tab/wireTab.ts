import type { JWTVerifyGetKey } from 'jose';
import type { Logger } from 'pino';
import type { Server } from 'restify';
import type { HeraldConfig } from '../config/HeraldConfig.js';
import type { ChatSettingsService } from '../settings/ChatSettingsService.js';
import { SettingsGate } from '../settings/SettingsGate.js';
import type { Store } from '../storage/Store.js';
import type { ChatMemberList } from '../graph/CachedChatMembers.js';
import { ChatMembership } from './ChatMembership.js';
import type { SubscriptionInsight } from './subscriptionHealth.js';
import { registerTabApiRoutes } from './tabApiRoutes.js';
import { findPublicDir } from '../http/findPublicDir.js';
import { registerTabPages } from './tabPages.js';
import { TeamsSsoVerifier } from './TeamsSsoVerifier.js';

export interface TabDeps {
  /**
   * Membership fallback when the stored roster does not know the caller, and owner roles for the settings
   * gate: Herald's CachedChatMembers (one Graph read per chat per 30 s). Omit when Graph is not wired.
   */
  chatGraph?: ChatMemberList | null;
  /** Repository `public/` folder (found from this module's location by default). */
  publicDir?: string;
  /** Serve the simulated Teams host page; default: only in the playground. */
  hostDemo?: boolean;
  /** Renewal schedule and tenant-wide problems per chat (the subscription manager's `describeChat`); null when subscriptions are not wired. */
  subscriptionInsight?: ((chatId: string) => Promise<SubscriptionInsight | null>) | null;
  /** Who may change settings (shared with the chat commands); default: one over the store and chatGraph. */
  settingsGate?: SettingsGate;
  /** Signing keys for SSO tokens; default: the remote JWKS under AAD_AUTHORITY_HOST. */
  ssoKeys?: JWTVerifyGetKey;
}

export interface TabModule {
  verifier: TeamsSsoVerifier;
  membership: ChatMembership;
}

/** The companion tab: its pages under `/tab/` and its API under `/api/tab/`. */
/** What the tab module is built from. */
export interface TabModuleInput {
  config: HeraldConfig;
  log: Logger;
  clock: () => Date;
  store: Store;
  server: Server;
  settings: ChatSettingsService;
}

export function wireTab(input: TabModuleInput, deps: TabDeps = {}): TabModule {
  const { config, log, clock, store, server, settings } = input;
  const apiHost = config.publicUrl ? new URL(config.publicUrl).host : null;
  const verifier = new TeamsSsoVerifier({ authorityHost: config.aad.authorityHost, clientId: config.aad.clientId, apiHost, clock, keys: deps.ssoKeys });
  const membership = new ChatMembership({ store, graph: deps.chatGraph ?? null, log });
  if (!config.aad.clientId) log.warn('tab: AAD_APP_CLIENT_ID is not set, so the tab API refuses every token');
  else log.debug({ audiences: verifier.acceptedAudiences }, 'tab: accepting Teams SSO tokens');

  const gate = deps.settingsGate ?? new SettingsGate({ settings, store, graph: deps.chatGraph ?? null, log });
  registerTabApiRoutes(server, { verifier, membership, settings, gate, store, subscriptionInsight: deps.subscriptionInsight ?? null, clock, log });
  registerTabPages(server, { publicDir: deps.publicDir ?? findPublicDir('tab/index.html'), hostDemo: deps.hostDemo ?? config.mode === 'playground' });
  return { verifier, membership };
}
