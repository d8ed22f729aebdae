/**
 * One entry point for the simulated Microsoft 365 side: loopback CA, login double, Graph double and the
 * world model, wired together. Herald talks to `loginUrl` (AAD_AUTHORITY_HOST) and `graphUrl` (GRAPH_ENDPOINT).
 */
import type { Logger } from 'pino';
import { GraphDouble, type GraphDoubleOptions } from '../graph/GraphDouble.js';
import { LoginDouble, type LoginDoubleOptions } from '../login/LoginDouble.js';
import type { TokenVersion } from '../login/tokenClaims.js';
import { createLoopbackCa, type LoopbackCa } from '../tls/loopbackCa.js';
import { trustCaForFetch } from '../tls/trustCaForFetch.js';
import { WireLog } from './WireLog.js';
import { World } from './World.js';

export interface StartGraphWorldOptions {
  clock?: () => Date;
  logger?: Logger;
  /** Reuse an existing CA/certificate (otherwise one is created, or loaded from tlsDir). */
  tls?: LoopbackCa;
  /** Persist the generated CA here so a restart reuses it. */
  tlsDir?: string;
  /** Start from an existing world (e.g. World.fromJSON of a saved playground). */
  world?: World;
  wire?: WireLog;
  host?: string;
  loginPort?: number;
  graphPort?: number;
  /** Make global fetch trust the CA (default true); undone by close(). */
  trustFetch?: boolean;
  /**
   * Version of the validation tokens in rich notifications (default 'v2': issuer `${loginUrl}/{tid}/v2.0`, azp).
   * The docs show both forms and do not say which Graph sends (reference §7); 'v1' gives sts.windows.net + appid.
   */
  validationTokenVersion?: TokenVersion;
  login?: Pick<LoginDoubleOptions, 'accessTokenVersion' | 'accessTokenLifetimeSeconds' | 'knownResources' | 'initialSigningKey'>;
  graph?: Pick<GraphDoubleOptions, 'delivery' | 'handshakeTimeoutMs' | 'evaluationMonthlyLimit' | 'subscriptionPageSize' | 'rscPermissions'>;
}

export interface AppRegistrationInput {
  clientId?: string;
  clientSecret?: string;
  /** Teams catalog id (TEAMS_APP_ID); generated when absent. */
  teamsAppId?: string;
  displayName?: string;
  /** Admin-consented application permissions (default: DEFAULT_APP_ROLES). */
  roles?: string[];
}

export interface AppRegistration {
  clientId: string;
  clientSecret: string;
  teamsAppId: string;
  displayName: string;
  roles: string[];
}

/** Permissions a Herald registration typically has: WhereInstalled chat reads plus basic user profiles. */
export const DEFAULT_APP_ROLES = ['Chat.ReadBasic.WhereInstalled', 'ChatMember.Read.WhereInstalled', 'User.ReadBasic.All'];

export interface GraphWorld {
  world: World;
  login: LoginDouble;
  graph: GraphDouble;
  wire: WireLog;
  tls: LoopbackCa;
  /** PEM of the CA to trust (already trusted by global fetch unless trustFetch was false). */
  caPem: string;
  /** AAD_AUTHORITY_HOST, e.g. https://127.0.0.1:40001 */
  loginUrl: string;
  /** GRAPH_ENDPOINT, e.g. https://127.0.0.1:40002 */
  graphUrl: string;
  /** host:port for msal-node's knownAuthorities. */
  knownAuthority: string;
  /** Register an Entra app (login) and its Teams app (catalog) in one go. */
  registerApp(input?: AppRegistrationInput): AppRegistration;
  /** Resolves once all notification deliveries and retries are done. */
  whenIdle(): Promise<void>;
  close(): Promise<void>;
}

export async function startGraphWorld(options: StartGraphWorldOptions = {}): Promise<GraphWorld> {
  const clock = options.clock ?? (() => new Date());
  const tls = options.tls ?? (await createLoopbackCa({ dir: options.tlsDir, clock }));
  const restoreTrust = options.trustFetch === false ? () => undefined : trustCaForFetch(tls.caCertPem);
  const world = options.world ?? new World({ clock });
  const wire = options.wire ?? new WireLog({ clock });
  const resolveTenant = (segment: string) => {
    const lower = segment.toLowerCase();
    return world.listTenants().find((t) => t.id.toLowerCase() === lower || t.domain.toLowerCase() === lower)?.id;
  };

  const login = await LoginDouble.start({ ...options.login, tls, clock, wire, logger: options.logger, host: options.host, port: options.loginPort, resolveTenant });
  let graph: GraphDouble;
  try {
    graph = await GraphDouble.start({
      ...options.graph,
      tls,
      world,
      wire,
      clock,
      logger: options.logger,
      host: options.host,
      port: options.graphPort,
      loginOrigin: login.origin,
      keys: () => login.jwks(),
      signValidationToken: (tenantId, audience) => login.signValidationToken({ tenantId, audience, version: options.validationTokenVersion ?? 'v2' }),
    });
  } catch (error) {
    await login.close();
    restoreTrust();
    throw error;
  }

  return {
    world,
    login,
    graph,
    wire,
    tls,
    caPem: tls.caCertPem,
    loginUrl: login.origin,
    graphUrl: graph.origin,
    knownAuthority: login.authorityHostName,
    registerApp(input = {}) {
      const app = login.registerApp({
        clientId: input.clientId,
        clientSecret: input.clientSecret,
        displayName: input.displayName,
        roles: input.roles ?? DEFAULT_APP_ROLES,
      });
      const teamsApp = world.registerTeamsApp({ id: input.teamsAppId, clientId: app.clientId, displayName: app.displayName });
      return { clientId: app.clientId, clientSecret: app.clientSecret, teamsAppId: teamsApp.id, displayName: app.displayName, roles: app.roles };
    },
    whenIdle: () => graph.whenIdle(),
    async close() {
      await graph.close();
      await login.close();
      restoreTrust();
    },
  };
}
