/** Bearer-token check of the Graph double: signature from the login double's keys, audience, lifetime, issuer. */
import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JSONWebKeySet } from 'jose';
import { graphErrors } from './graphErrors.js';

export interface GraphCaller {
  tenantId: string;
  clientId: string;
  roles: string[];
  /** Service principal object id (creatorId of subscriptions). */
  objectId: string;
}

export interface GraphAuthOptions {
  /** The login double's published keys (read on every call, so rotation applies at once). */
  keys: () => JSONWebKeySet;
  loginOrigin: string;
  /** Accepted `aud` values (the Graph double's base URL and Graph's app id). */
  audiences: string[];
  clock: () => Date;
}

/** Graph's first-party app id, also accepted as audience. */
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

export async function authenticate(header: string | undefined, options: GraphAuthOptions): Promise<GraphCaller> {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  const token = match?.[1]?.trim();
  if (!token) throw graphErrors.unauthorized('Access token is empty.');
  let payload;
  try {
    ({ payload } = await jwtVerify(token, createLocalJWKSet(options.keys()), {
      algorithms: ['RS256'],
      audience: options.audiences,
      currentDate: options.clock(),
      clockTolerance: 300,
    }));
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw graphErrors.unauthorized('Lifetime validation failed, the token is expired.');
    if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'aud') {
      throw graphErrors.unauthorized('Access token validation failure. Invalid audience.');
    }
    if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'nbf') {
      throw graphErrors.unauthorized('Lifetime validation failed, the token is not yet valid.');
    }
    if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid) {
      throw graphErrors.unauthorized('IDX14100: JWT is not well formed.');
    }
    throw graphErrors.unauthorized('Access token validation failure. Invalid signature.');
  }
  const tenantId = typeof payload.tid === 'string' ? payload.tid : '';
  const issuerOk = payload.iss === `https://sts.windows.net/${tenantId}/` || payload.iss === `${options.loginOrigin}/${tenantId}/v2.0`;
  if (!tenantId || !issuerOk) throw graphErrors.unauthorized('Access token validation failure. Invalid issuer.');
  const clientId = typeof payload.appid === 'string' ? payload.appid : typeof payload.azp === 'string' ? payload.azp : '';
  if (!clientId) throw graphErrors.unauthorized('Access token validation failure. The token has no application id.');
  const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
  return { tenantId, clientId, roles, objectId: typeof payload.oid === 'string' ? payload.oid : clientId };
}
