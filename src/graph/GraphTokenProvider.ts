import { AuthError, ConfidentialClientApplication, LogLevel, type Configuration } from '@azure/msal-node';
import type { Logger } from 'pino';
import { GraphTokenError } from './GraphRequestError.js';

export interface GraphTokenProviderOptions {
  clientId: string;
  clientSecret: string;
  /** e.g. `https://login.microsoftonline.com`, no trailing slash. */
  authorityHost: string;
  /** e.g. `https://graph.microsoft.com`; the token's scope is `${graphEndpoint}/.default`. */
  graphEndpoint: string;
  log: Logger;
  /** Longest wait for the login service (default 15 s); a hung authority must not stall Graph work forever. */
  timeoutMs?: number;
}

/** What the provider did for one tenant: how many tokens callers asked for and how many came over the network. */
export interface TokenStats {
  requested: number;
  fromNetwork: number;
}

/** The shape of a tenant id or domain that may be put into an authority URL (no path tricks). */
const TENANT_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9.-]{0,253}$/;

/**
 * App-only Graph tokens for the tenant of each chat (client credentials). One msal application per tenant,
 * authority `${authorityHost}/${tenantId}`, with the host listed in `knownAuthorities` so msal never asks
 * Microsoft's public host for instance discovery (national clouds, test doubles). msal keeps each token in
 * its in-memory cache until five minutes before it expires; concurrent callers share one acquisition.
 */
export class GraphTokenProvider {
  private readonly apps = new Map<string, ConfidentialClientApplication>();
  private readonly inflight = new Map<string, Promise<string>>();
  private readonly stats = new Map<string, TokenStats>();
  private readonly knownAuthority: string;
  private readonly scope: string;

  constructor(private readonly options: GraphTokenProviderOptions) {
    this.knownAuthority = new URL(options.authorityHost).host;
    this.scope = `${options.graphEndpoint.replace(/\/+$/, '')}/.default`;
  }

  async getToken(tenantId: string): Promise<string> {
    const stats = this.statsFor(tenantId);
    stats.requested++;
    const pending = this.inflight.get(tenantId);
    if (pending) return pending;
    const acquisition = this.acquire(tenantId).finally(() => this.inflight.delete(tenantId));
    this.inflight.set(tenantId, acquisition);
    return acquisition;
  }

  /** Per-tenant counts (all tenants when none is given). */
  tokenStats(tenantId?: string): TokenStats {
    if (tenantId) return { ...(this.stats.get(tenantId) ?? { requested: 0, fromNetwork: 0 }) };
    let requested = 0;
    let fromNetwork = 0;
    for (const s of this.stats.values()) {
      requested += s.requested;
      fromNetwork += s.fromNetwork;
    }
    return { requested, fromNetwork };
  }

  private async acquire(tenantId: string): Promise<string> {
    if (!TENANT_SEGMENT.test(tenantId)) {
      throw new GraphTokenError(tenantId, 'invalid_tenant', [], `"${tenantId}" is not a tenant id`);
    }
    let result;
    try {
      result = await this.withTimeout(tenantId, this.appFor(tenantId).acquireTokenByClientCredential({ scopes: [this.scope] }));
    } catch (error) {
      throw toTokenError(tenantId, error);
    }
    if (!result?.accessToken) throw new GraphTokenError(tenantId, 'no_token', [], `no access token for tenant ${tenantId}`);
    if (!result.fromCache) {
      this.statsFor(tenantId).fromNetwork++;
      this.options.log.debug({ tenantId, expiresOn: result.expiresOn?.toISOString() }, 'acquired Graph token');
    }
    return result.accessToken;
  }

  private withTimeout<T>(tenantId: string, work: Promise<T>): Promise<T> {
    const ms = this.options.timeoutMs ?? 15_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new GraphTokenError(tenantId, 'timeout', [], `token for tenant ${tenantId}: the login service did not answer within ${ms} ms`)), ms);
      timer.unref?.();
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }

  private appFor(tenantId: string): ConfidentialClientApplication {
    let app = this.apps.get(tenantId);
    if (!app) {
      const log = this.options.log;
      const authority = `${this.options.authorityHost.replace(/\/+$/, '')}/${tenantId}`;
      const config: Configuration = {
        auth: {
          clientId: this.options.clientId,
          clientSecret: this.options.clientSecret,
          authority,
          knownAuthorities: [this.knownAuthority],
          authorityMetadata: JSON.stringify(v2Endpoints(authority)),
        },
        system: {
          loggerOptions: {
            piiLoggingEnabled: false,
            logLevel: LogLevel.Warning,
            loggerCallback: (level, message) => {
              if (level <= LogLevel.Error) log.warn({ tenantId, msal: message }, 'msal');
            },
          },
        },
      };
      app = new ConfidentialClientApplication(config);
      this.apps.set(tenantId, app);
    }
    return app;
  }

  private statsFor(tenantId: string): TokenStats {
    let stats = this.stats.get(tenantId);
    if (!stats) {
      stats = { requested: 0, fromNetwork: 0 };
      this.stats.set(tenantId, stats);
    }
    return stats;
  }
}

/**
 * The identity platform's v2.0 endpoints of a tenant authority, handed to msal so it does not read the
 * tenant's OpenID metadata first. For a tenant the platform does not know, that read is refused with
 * 400 AADSTS90002 and msal reports only `endpoints_resolution_error`, losing the code that says the
 * failure is permanent; the token endpoint answers the same refusal with its AADSTS code intact.
 * (https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc#find-your-apps-openid-configuration-document-uri)
 */
function v2Endpoints(authority: string): Record<string, string> {
  return {
    token_endpoint: `${authority}/oauth2/v2.0/token`,
    authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
    end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
    jwks_uri: `${authority}/discovery/v2.0/keys`,
    issuer: `${authority}/v2.0`,
  };
}

function toTokenError(tenantId: string, error: unknown): GraphTokenError {
  if (error instanceof GraphTokenError) return error;
  if (error instanceof AuthError) {
    const text = `${error.errorMessage ?? ''} ${error.message}`;
    const aadCodes = [...new Set([...text.matchAll(/AADSTS(\d+)/g)].map((m) => Number(m[1])))];
    // The message may quote the login service's description; it never contains the secret.
    return new GraphTokenError(tenantId, error.errorCode, aadCodes, `token for tenant ${tenantId} failed: ${error.errorCode}${aadCodes.length ? ` (AADSTS${aadCodes.join(', AADSTS')})` : ''}`, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new GraphTokenError(tenantId, 'unknown', [], `token for tenant ${tenantId} failed: ${message}`, { cause: error });
}
