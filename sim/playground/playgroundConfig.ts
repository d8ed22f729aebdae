/**
 * The only difference between the playground and a live Herald: configuration values. The pipeline
 * reads the same HeraldConfig either way; here the login host, Graph endpoint, app credentials and
 * PUBLIC_URL point at the loopback doubles and at Herald's own loopback address.
 */
import { join } from 'node:path';
import type { HeraldConfig } from '../../src/config/HeraldConfig.js';

export interface PlaygroundWiring {
  /** AAD_AUTHORITY_HOST: the login double. */
  authorityHost: string;
  /** GRAPH_ENDPOINT: the Graph double. */
  graphEndpoint: string;
  /** AAD_APP_CLIENT_ID / AAD_APP_CLIENT_SECRET: the playground's app registration. */
  clientId: string;
  clientSecret: string;
  /** AAD_APP_TENANT_ID: the app's home tenant (the chat's tenant). */
  tenantId: string;
  /** TEAMS_APP_ID, so the tenant-wide installedToChats pair is exercised too. */
  teamsAppId: string;
  /** GRAPH_BILLING_MODEL. */
  billingModel: 'B';
  /** PUBLIC_URL: Herald's own loopback URL, which the Graph double delivers to. */
  publicUrl: string;
}

/** The wiring as environment variables (the names of the runtime contract). */
export function playgroundEnv(wiring: PlaygroundWiring): Record<string, string> {
  return {
    AAD_AUTHORITY_HOST: wiring.authorityHost,
    GRAPH_ENDPOINT: wiring.graphEndpoint,
    AAD_APP_CLIENT_ID: wiring.clientId,
    AAD_APP_CLIENT_SECRET: wiring.clientSecret,
    AAD_APP_TENANT_ID: wiring.tenantId,
    TEAMS_APP_ID: wiring.teamsAppId,
    GRAPH_BILLING_MODEL: wiring.billingModel,
    PUBLIC_URL: wiring.publicUrl,
  };
}

/**
 * Where the playground's Herald keeps its storage: inside the playground's own folder, never in
 * DATA_DIR itself, so a live start on the same DATA_DIR never sees the simulated tenant's installations
 * or subscriptions (it would ask the real login for tokens and the real Graph to renew or delete them).
 */
export function playgroundHeraldDir(dataDir: string): string {
  return join(dataDir, 'playground', 'herald');
}

/**
 * Herald's configuration for the playground: the person's own settings (port, log level) with the
 * wiring laid over them, and its storage under `DATA_DIR/playground/herald/`. The bot keeps a blank BOT_ID (Bot Framework Emulator mode), since the
 * Teams double neither signs activities nor asks for connector tokens.
 */
export function playgroundConfig(base: HeraldConfig, wiring: PlaygroundWiring, port: number): HeraldConfig {
  return {
    ...base,
    mode: 'playground',
    port,
    dataDir: playgroundHeraldDir(base.dataDir),
    bot: { ...base.bot, appId: '', password: '', tenantId: null, auth: 'off' },
    aad: { ...base.aad, clientId: wiring.clientId, clientSecret: wiring.clientSecret, tenantId: wiring.tenantId, authorityHost: wiring.authorityHost },
    graph: { ...base.graph, endpoint: wiring.graphEndpoint, billingModel: wiring.billingModel },
    publicUrl: wiring.publicUrl,
    teamsAppId: wiring.teamsAppId,
  };
}
