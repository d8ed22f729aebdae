import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { HeraldError } from '../kernel/errors.js';

/** The person behind a verified Teams SSO token. */
export interface TabCaller {
  /** Entra object id (`oid`): the key of the stored roster. */
  oid: string;
  /** Tenant the token was issued in (`tid`). */
  tenantId: string;
  name: string | null;
  username: string | null;
}

export type SsoRejectReason =
  | 'missing'
  | 'malformed'
  | 'signature'
  | 'expired'
  | 'not_yet_valid'
  | 'audience'
  | 'issuer'
  | 'scope'
  | 'claims'
  | 'keys_unavailable';

/** A token Herald refuses. The reason is for logs only; callers answer a bare 401. */
export class SsoTokenError extends HeraldError {
  constructor(
    readonly reason: SsoRejectReason,
    detail: string,
  ) {
    super('herald.tab.sso_token_rejected', `Teams SSO token rejected (${reason}): ${detail}`, { context: { reason } });
    this.name = 'SsoTokenError';
  }
}

export interface TeamsSsoVerifierOptions {
  /** AAD_AUTHORITY_HOST without trailing slash. */
  authorityHost: string;
  /** Herald's Entra client id (`webApplicationInfo.id`). */
  clientId: string;
  /** Host part of the Application ID URI `api://<host>/<clientId>` (the host of PUBLIC_URL); null accepts only the bare client id. */
  apiHost: string | null;
  clock: () => Date;
  /** Allowed clock skew for exp/nbf, in seconds (default 120). */
  clockToleranceSeconds?: number;
  /** Key source; defaults to the remote JWKS at `${authorityHost}/common/discovery/v2.0/keys`. */
  keys?: JWTVerifyGetKey;
}

const REQUIRED_SCOPE = 'access_as_user';
const V1_ISSUER_HOST = 'https://sts.windows.net';
const TENANT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Validates the Teams SSO access tokens the tab sends (`authentication.getAuthToken`): RS256 signature
 * from the authority's keys, audience = Herald's API, issuer of the Microsoft identity platform for the
 * token's own tenant (v2 or v1 form), `scp` with access_as_user, and expiry with a little skew.
 * Whether that tenant is the chat's tenant is the caller's (authorization) decision.
 */
export class TeamsSsoVerifier {
  private readonly keys: JWTVerifyGetKey;
  private readonly audiences: string[];

  constructor(private readonly options: TeamsSsoVerifierOptions) {
    this.keys = options.keys ?? createRemoteJWKSet(new URL(`${options.authorityHost}/common/discovery/v2.0/keys`));
    this.audiences = [options.clientId];
    if (options.apiHost) this.audiences.push(`api://${options.apiHost}/${options.clientId}`);
  }

  /** The audiences accepted (for diagnostics and docs). */
  get acceptedAudiences(): readonly string[] {
    return this.audiences;
  }

  async verify(token: string | null | undefined): Promise<TabCaller> {
    if (!token) throw new SsoTokenError('missing', 'no bearer token');
    if (!this.options.clientId) throw new SsoTokenError('audience', 'Herald has no AAD_APP_CLIENT_ID to compare the audience with');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        algorithms: ['RS256'],
        audience: this.audiences,
        currentDate: this.options.clock(),
        clockTolerance: this.options.clockToleranceSeconds ?? 120,
        requiredClaims: ['exp', 'iss', 'tid', 'oid'],
      }));
    } catch (error) {
      throw toSsoError(error);
    }
    const tenantId = typeof payload.tid === 'string' ? payload.tid : '';
    if (!TENANT_ID.test(tenantId)) throw new SsoTokenError('claims', 'tid is not a tenant id');
    const expectedIssuers = [`${this.options.authorityHost}/${tenantId}/v2.0`, `${V1_ISSUER_HOST}/${tenantId}/`];
    if (!expectedIssuers.includes(String(payload.iss))) throw new SsoTokenError('issuer', `unexpected issuer ${String(payload.iss)}`);
    const scopes = typeof payload.scp === 'string' ? payload.scp.split(' ') : [];
    if (!scopes.includes(REQUIRED_SCOPE)) throw new SsoTokenError('scope', `scp lacks ${REQUIRED_SCOPE}`);
    const oid = typeof payload.oid === 'string' ? payload.oid : '';
    if (!oid) throw new SsoTokenError('claims', 'oid missing');
    return {
      oid,
      tenantId: tenantId.toLowerCase(),
      name: typeof payload.name === 'string' ? payload.name : null,
      username: stringClaim(payload.preferred_username) ?? stringClaim(payload.upn),
    };
  }
}

function stringClaim(value: unknown): string | null {
  return typeof value === 'string' && value ? value : null;
}

function toSsoError(error: unknown): SsoTokenError {
  if (error instanceof joseErrors.JWTExpired) return new SsoTokenError('expired', error.message);
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return new SsoTokenError('audience', error.message);
    if (error.claim === 'nbf' || error.claim === 'iat') return new SsoTokenError('not_yet_valid', error.message);
    return new SsoTokenError('claims', error.message);
  }
  if (error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return new SsoTokenError('signature', error instanceof Error ? error.message : String(error));
  }
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid || isFetchFailure(error)) {
    return new SsoTokenError('keys_unavailable', error instanceof Error ? error.message : String(error));
  }
  if (error instanceof joseErrors.JOSEError) return new SsoTokenError('malformed', error.message);
  return new SsoTokenError('malformed', error instanceof Error ? error.message : String(error));
}

function isFetchFailure(error: unknown): boolean {
  return error instanceof TypeError && /fetch/i.test(error.message);
}
