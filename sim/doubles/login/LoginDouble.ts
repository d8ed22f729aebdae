/**
 * Microsoft identity platform double: OpenID metadata, client-credentials token endpoint, JWKS with
 * rotation, and signing helpers for the tokens other parties mint (Graph validation tokens, Teams SSO).
 * Served over real HTTPS so msal-node (with knownAuthorities) and jose's remote JWKS use it unchanged.
 */
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SignJWT } from 'jose';
import type { Logger } from 'pino';
import { readBody, sendJson, startHttpsServer, type RunningHttpsServer } from '../tls/httpsServer.js';
import type { LoopbackCa } from '../tls/loopbackCa.js';
import type { WireLog } from '../world/WireLog.js';
import { aadErrorBody, aadErrors, type AadError } from './aadErrors.js';
import { generateSigningKey, SigningKeySet, type PublishedJwk, type SigningKey } from './signingKeys.js';
import {
  appTokenClaims,
  userTokenClaims,
  validationTokenClaims,
  withOverrides,
  type JwtClaims,
  type TokenVersion,
} from './tokenClaims.js';

export interface RegisteredApp {
  clientId: string;
  clientSecret: string;
  displayName: string;
  /** Application permissions granted (admin-consented); they appear in the token's `roles`. */
  roles: string[];
}

export interface LoginDoubleOptions {
  tls: Pick<LoopbackCa, 'certPem' | 'keyPem'>;
  clock?: () => Date;
  wire?: WireLog;
  logger?: Logger;
  host?: string;
  port?: number;
  /** Map a tenant path segment (id or domain) to a tenant id; undefined = unknown tenant. Default: any GUID is a tenant. */
  resolveTenant?: (segment: string) => string | undefined;
  /** Version of client-credentials access tokens (Graph's are v1). Default 'v1'. */
  accessTokenVersion?: TokenVersion;
  /** Access token lifetime (default 3599 s, as Entra answers). */
  accessTokenLifetimeSeconds?: number;
  /** When set, only these resources (scope without `/.default`) can be requested. */
  knownResources?: string[];
  /**
   * The signing key to publish first (default: a new one). RSA key generation costs a fifth of a second
   * of CPU; test harnesses that start many worlds hand every world the same key.
   */
  initialSigningKey?: SigningKey;
}

/**
 * How the identity platform refuses Herald in one tenant: the tenant does not exist (AADSTS90002, also
 * for its metadata), the app is unknown there (AADSTS700016), nobody consented (AADSTS65001), or the app
 * has no service principal there (AADSTS7000229).
 */
export type TenantRefusal = 'tenantNotFound' | 'appNotInTenant' | 'consentRequired' | 'servicePrincipalMissing';

/** Which key signs a helper-minted token: the published active key, or one the JWKS does not contain. */
export type SigningChoice = 'active' | 'foreign' | 'foreignWithActiveKid';

export interface SignOptions {
  key?: SigningChoice;
}

export interface ValidationTokenRequest extends SignOptions {
  tenantId: string;
  /** The subscribing app's client id (aud). */
  audience: string;
  version?: TokenVersion;
  /** Negative for an already expired token. Default 3600. */
  lifetimeSeconds?: number;
  /** Claims to add/replace; `undefined` removes a claim (e.g. `{ azp: 'someone-else' }`). */
  overrides?: JwtClaims;
}

export interface UserTokenRequest extends SignOptions {
  tenantId: string;
  /** Herald's Entra client id; aud defaults to `api://{host}/{clientId}`. */
  clientId: string;
  /** Host part of the Application ID URI (default `localhost`). */
  apiHost?: string;
  /** Use the bare client id as aud instead of the Application ID URI. */
  audienceIsClientId?: boolean;
  oid: string;
  name: string;
  preferredUsername?: string;
  scp?: string;
  lifetimeSeconds?: number;
  overrides?: JwtClaims;
}

export interface AppTokenRequest extends SignOptions {
  tenantId: string;
  clientId: string;
  audience: string;
  roles?: string[];
  version?: TokenVersion;
  lifetimeSeconds?: number;
  overrides?: JwtClaims;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TENANT_INDEPENDENT = new Set(['common', 'organizations', 'consumers']);

export class LoginDouble {
  private readonly apps = new Map<string, RegisteredApp>();
  private readonly requestCounts = new Map<string, number>();
  private readonly refusals = new Map<string, TenantRefusal>();
  private foreignKey: SigningKey | undefined;
  private server!: RunningHttpsServer;

  private constructor(
    private readonly options: LoginDoubleOptions,
    private readonly keys: SigningKeySet,
    private readonly clock: () => Date,
  ) {}

  static async start(options: LoginDoubleOptions): Promise<LoginDouble> {
    const clock = options.clock ?? (() => new Date());
    const login = new LoginDouble(options, await SigningKeySet.create(clock(), options.initialSigningKey), clock);
    login.server = await startHttpsServer(options.tls, (req, res) => login.handle(req, res), {
      host: options.host,
      port: options.port,
      onError: (error) => options.logger?.error({ err: error }, 'login double failed a request'),
    });
    return login;
  }

  /** `https://127.0.0.1:PORT` — Herald's AAD_AUTHORITY_HOST. */
  get origin(): string {
    return this.server.origin;
  }

  /** `127.0.0.1:PORT` — what msal-node's `knownAuthorities` needs. */
  get authorityHostName(): string {
    return new URL(this.server.origin).host;
  }

  async close(): Promise<void> {
    await this.server.close();
  }

  // ---- app registrations -----------------------------------------------------------------

  registerApp(input: { clientId?: string; clientSecret?: string; displayName?: string; roles?: string[] } = {}): RegisteredApp {
    const app: RegisteredApp = {
      clientId: input.clientId ?? randomUUID(),
      clientSecret: input.clientSecret ?? randomBytes(24).toString('base64url'),
      displayName: input.displayName ?? 'Herald',
      roles: [...(input.roles ?? [])],
    };
    this.apps.set(app.clientId, app);
    return { ...app, roles: [...app.roles] };
  }

  setAppRoles(clientId: string, roles: string[]): void {
    const app = this.apps.get(clientId);
    if (!app) throw new Error(`app ${clientId} is not registered`);
    app.roles = [...roles];
  }

  getApp(clientId: string): RegisteredApp | undefined {
    const app = this.apps.get(clientId);
    return app && { ...app, roles: [...app.roles] };
  }

  /** From now on, refuse every token request for the tenant the way Entra ID does (until `admitTenant`). */
  refuseTenant(tenantId: string, refusal: TenantRefusal): void {
    this.refusals.set(tenantId.toLowerCase(), refusal);
  }

  admitTenant(tenantId: string): void {
    this.refusals.delete(tenantId.toLowerCase());
  }

  /** Token endpoint requests (any outcome), optionally for one tenant and/or client. */
  tokenRequestCount(filter: { tenantId?: string; clientId?: string } = {}): number {
    let total = 0;
    for (const [key, count] of this.requestCounts) {
      const [tenantId, clientId] = key.split('|');
      if (filter.tenantId && filter.tenantId !== tenantId) continue;
      if (filter.clientId && filter.clientId !== clientId) continue;
      total += count;
    }
    return total;
  }

  resetTokenRequestCounts(): void {
    this.requestCounts.clear();
  }

  // ---- keys ------------------------------------------------------------------------------

  jwks(): { keys: PublishedJwk[] } {
    return { keys: this.keys.published().map((k) => ({ ...k.publicJwk, issuer: `${this.origin}/{tenantid}/v2.0` })) };
  }

  get activeKid(): string {
    return this.keys.active.kid;
  }

  /** Start signing with a new key. Old keys stay in the JWKS unless `keepOld` is false. Returns the new kid. */
  async rotateSigningKey(options: { keepOld?: boolean } = {}): Promise<string> {
    return (await this.keys.rotate(this.clock(), options.keepOld ?? true)).kid;
  }

  unpublishKey(kid: string): boolean {
    return this.keys.unpublish(kid);
  }

  // ---- token minting helpers -------------------------------------------------------------

  async sign(claims: JwtClaims, options: SignOptions = {}): Promise<string> {
    const choice = options.key ?? 'active';
    const key = choice === 'active' ? this.keys.active : await this.getForeignKey();
    const kid = choice === 'foreignWithActiveKid' ? this.keys.active.kid : key.kid;
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid, x5t: kid }).sign(key.privateKey);
  }

  /** A Graph change-notification validation token (aud = subscribing app, azp/appid = Graph Change Tracking). */
  async signValidationToken(request: ValidationTokenRequest): Promise<string> {
    const claims = validationTokenClaims({
      origin: this.origin,
      tenantId: request.tenantId,
      audience: request.audience,
      version: request.version ?? 'v2',
      now: this.clock(),
      lifetimeSeconds: request.lifetimeSeconds ?? 3600,
    });
    return this.sign(withOverrides(claims, request.overrides), request);
  }

  /** A Teams SSO token for Herald's tab API (v2, scp access_as_user). */
  async signUserToken(request: UserTokenRequest): Promise<string> {
    const audience = request.audienceIsClientId ? request.clientId : `api://${request.apiHost ?? 'localhost'}/${request.clientId}`;
    const claims = userTokenClaims({
      origin: this.origin,
      tenantId: request.tenantId,
      audience,
      oid: request.oid,
      name: request.name,
      preferredUsername: request.preferredUsername ?? `${request.oid.slice(0, 8)}@example.test`,
      scp: request.scp ?? 'access_as_user',
      now: this.clock(),
      lifetimeSeconds: request.lifetimeSeconds ?? 3600,
    });
    return this.sign(withOverrides(claims, request.overrides), request);
  }

  /** An app-only access token without going through the token endpoint (for negative Graph tests). */
  async signAppToken(request: AppTokenRequest): Promise<string> {
    const claims = appTokenClaims({
      origin: this.origin,
      tenantId: request.tenantId,
      clientId: request.clientId,
      appDisplayName: this.apps.get(request.clientId)?.displayName ?? 'app',
      audience: request.audience,
      roles: request.roles ?? this.apps.get(request.clientId)?.roles ?? [],
      version: request.version ?? this.options.accessTokenVersion ?? 'v1',
      now: this.clock(),
      lifetimeSeconds: request.lifetimeSeconds ?? this.options.accessTokenLifetimeSeconds ?? 3599,
    });
    return this.sign(withOverrides(claims, request.overrides), request);
  }

  private async getForeignKey(): Promise<SigningKey> {
    this.foreignKey ??= await generateSigningKey(this.clock());
    return this.foreignKey;
  }

  // ---- HTTP ------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const [tenant, ...rest] = segments;
    const route = rest.join('/');
    if (!tenant) return sendJson(res, 404, { error: 'not_found' });

    if (req.method === 'GET' && (route === 'v2.0/.well-known/openid-configuration' || route === '.well-known/openid-configuration')) {
      return this.openIdConfiguration(res, tenant, route.startsWith('v2.0') ? 'v2' : 'v1');
    }
    if (req.method === 'GET' && (route === 'discovery/v2.0/keys' || route === 'discovery/keys')) {
      if (!TENANT_INDEPENDENT.has(tenant.toLowerCase()) && !this.resolveTenant(tenant)) {
        return this.sendAadError(res, aadErrors.tenantNotFound(tenant));
      }
      return sendJson(res, 200, this.jwks(), { 'Cache-Control': 'max-age=86400, private' });
    }
    if (req.method === 'POST' && route === 'oauth2/v2.0/token') {
      return this.token(req, res, tenant);
    }
    sendJson(res, 404, { error: 'not_found', error_description: `No route for ${req.method ?? ''} ${url.pathname}` });
  }

  private openIdConfiguration(res: ServerResponse, tenant: string, version: TokenVersion): void {
    const independent = TENANT_INDEPENDENT.has(tenant.toLowerCase());
    const tenantId = independent ? '{tenantid}' : this.resolveTenant(tenant);
    if (!tenantId) return this.sendAadError(res, aadErrors.tenantNotFound(tenant));
    const o = this.origin;
    const base = `${o}/${tenant}`;
    const v2 = version === 'v2';
    sendJson(res, 200, {
      token_endpoint: v2 ? `${base}/oauth2/v2.0/token` : `${base}/oauth2/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: v2 ? `${base}/discovery/v2.0/keys` : `${base}/discovery/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: v2 ? `${o}/${tenantId}/v2.0` : `https://sts.windows.net/${tenantId}/`,
      request_uri_parameter_supported: false,
      authorization_endpoint: v2 ? `${base}/oauth2/v2.0/authorize` : `${base}/oauth2/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: v2 ? `${base}/oauth2/v2.0/logout` : `${base}/oauth2/logout`,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'name', 'oid', 'tid', 'preferred_username', 'azp', 'roles'],
      tenant_region_scope: 'WW',
      cloud_instance_name: new URL(o).hostname,
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
    });
  }

  private async token(req: IncomingMessage, res: ServerResponse, tenantSegment: string): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    const basic = parseBasicAuth(req.headers.authorization);
    const clientId = form.get('client_id') ?? basic?.clientId ?? null;
    const secret = form.get('client_secret') ?? basic?.clientSecret ?? null;
    const scope = form.get('scope');
    const resource = scope?.endsWith('/.default') ? scope.slice(0, -'/.default'.length) : null;
    const tenantId = TENANT_INDEPENDENT.has(tenantSegment.toLowerCase()) ? undefined : this.resolveTenant(tenantSegment);
    const countKey = `${tenantId ?? tenantSegment}|${clientId ?? ''}`;
    this.requestCounts.set(countKey, (this.requestCounts.get(countKey) ?? 0) + 1);

    const fail = (failure: AadError) => {
      this.options.wire?.record({
        kind: 'token',
        tenantId: tenantId ?? tenantSegment,
        clientId,
        resource,
        status: failure.status,
        error: `AADSTS${failure.code}`,
      });
      this.sendAadError(res, failure, form.get('client-request-id') ?? undefined);
    };

    const grantType = form.get('grant_type');
    if (!grantType) return fail(aadErrors.missingParameter('grant_type'));
    if (grantType !== 'client_credentials') return fail(aadErrors.unsupportedGrantType(grantType));
    if (TENANT_INDEPENDENT.has(tenantSegment.toLowerCase())) return fail(aadErrors.noTenant());
    if (!tenantId) return fail(aadErrors.tenantNotFound(tenantSegment));
    if (!clientId) return fail(aadErrors.missingParameter('client_id'));
    const app = this.apps.get(clientId);
    if (!app) return fail(aadErrors.unknownClient(clientId, tenantId));
    const refusal = this.refusals.get(tenantId);
    if (refusal === 'appNotInTenant') return fail(aadErrors.unknownClient(clientId, tenantId));
    if (refusal === 'consentRequired') return fail(aadErrors.consentRequired(clientId, app.displayName));
    if (refusal === 'servicePrincipalMissing') return fail(aadErrors.servicePrincipalMissing(clientId, tenantId));
    if (!secret) return fail(aadErrors.missingSecret());
    if (!sameSecret(secret, app.clientSecret)) return fail(aadErrors.invalidSecret(clientId));
    if (!scope) return fail(aadErrors.missingParameter('scope'));
    if (!resource || scope.trim().includes(' ')) return fail(aadErrors.invalidScope(scope));
    if (this.options.knownResources && !this.options.knownResources.includes(resource)) {
      return fail(aadErrors.unknownResource(resource, tenantId));
    }

    const lifetimeSeconds = this.options.accessTokenLifetimeSeconds ?? 3599;
    const accessToken = await this.sign(
      appTokenClaims({
        origin: this.origin,
        tenantId,
        clientId,
        appDisplayName: app.displayName,
        audience: resource,
        roles: app.roles,
        version: this.options.accessTokenVersion ?? 'v1',
        now: this.clock(),
        lifetimeSeconds,
      }),
    );
    this.options.wire?.record({ kind: 'token', tenantId, clientId, resource, status: 200 });
    sendJson(
      res,
      200,
      { token_type: 'Bearer', expires_in: lifetimeSeconds, ext_expires_in: lifetimeSeconds, access_token: accessToken },
      { 'Cache-Control': 'no-store, no-cache', Pragma: 'no-cache' },
    );
  }

  private resolveTenant(segment: string): string | undefined {
    const tenantId = this.options.resolveTenant ? this.options.resolveTenant(segment) : GUID.test(segment) ? segment.toLowerCase() : undefined;
    return tenantId && this.refusals.get(tenantId.toLowerCase()) === 'tenantNotFound' ? undefined : tenantId;
  }

  private sendAadError(res: ServerResponse, failure: AadError, correlationId?: string): void {
    sendJson(res, failure.status, aadErrorBody(this.origin, failure, this.clock(), correlationId));
  }
}

function parseBasicAuth(header: string | undefined): { clientId: string; clientSecret: string } | null {
  if (!header?.toLowerCase().startsWith('basic ')) return null;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
  const unescape = (text: string) => decodeURIComponent(text.replace(/\+/g, ' '));
  return { clientId: unescape(decoded.slice(0, colon)), clientSecret: unescape(decoded.slice(colon + 1)) };
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
