/** Claim sets of the tokens the login double mints, modelled on Entra ID's v1 and v2 tokens. */
import { createHash, randomBytes } from 'node:crypto';

/** "Microsoft Graph Change Tracking": the first-party app that mints change-notification validation tokens. */
export const CHANGE_TRACKING_APP_ID = '0bf30f3b-4a52-48df-9a82-234910c4a086';
/** Teams desktop/web client id: the `azp` of Teams SSO tokens. */
export const TEAMS_CLIENT_APP_ID = '1fec8e78-bce4-4aaf-ab1b-5451cc387264';

export type TokenVersion = 'v1' | 'v2';
export type JwtClaims = Record<string, unknown>;

export function v1Issuer(tenantId: string): string {
  return `https://sts.windows.net/${tenantId}/`;
}

export function v2Issuer(origin: string, tenantId: string): string {
  return `${origin}/${tenantId}/v2.0`;
}

/** Stable per (tenant, app) object id, like a service principal's oid in that tenant. */
export function servicePrincipalId(tenantId: string, clientId: string): string {
  const hex = createHash('sha256').update(`sp:${tenantId}:${clientId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function timeClaims(now: Date, lifetimeSeconds: number): JwtClaims {
  const iat = Math.floor(now.getTime() / 1000);
  return { iat, nbf: iat, exp: iat + lifetimeSeconds };
}

function uti(): string {
  return randomBytes(16).toString('base64url').slice(0, 22);
}

export interface AppTokenInput {
  origin: string;
  tenantId: string;
  clientId: string;
  appDisplayName: string;
  audience: string;
  roles: string[];
  version: TokenVersion;
  now: Date;
  lifetimeSeconds: number;
}

/** Client-credentials (app-only) access token. */
export function appTokenClaims(input: AppTokenInput): JwtClaims {
  const oid = servicePrincipalId(input.tenantId, input.clientId);
  const common: JwtClaims = {
    aud: input.audience,
    ...timeClaims(input.now, input.lifetimeSeconds),
    app_displayname: input.appDisplayName,
    idtyp: 'app',
    oid,
    sub: oid,
    tid: input.tenantId,
    uti: uti(),
    ...(input.roles.length > 0 ? { roles: [...input.roles] } : {}),
  };
  if (input.version === 'v1') {
    return { ...common, iss: v1Issuer(input.tenantId), idp: v1Issuer(input.tenantId), appid: input.clientId, appidacr: '1', ver: '1.0' };
  }
  return { ...common, iss: v2Issuer(input.origin, input.tenantId), azp: input.clientId, azpacr: '1', ver: '2.0' };
}

export interface ValidationTokenInput {
  origin: string;
  tenantId: string;
  /** The subscribing app's client id (or notificationUrlAppId). */
  audience: string;
  version: TokenVersion;
  now: Date;
  lifetimeSeconds: number;
}

/** A change-notification `validationTokens[]` entry as Graph sends it. */
export function validationTokenClaims(input: ValidationTokenInput): JwtClaims {
  const oid = servicePrincipalId(input.tenantId, CHANGE_TRACKING_APP_ID);
  const common: JwtClaims = {
    aud: input.audience,
    ...timeClaims(input.now, input.lifetimeSeconds),
    idtyp: 'app',
    oid,
    sub: oid,
    tid: input.tenantId,
    uti: uti(),
  };
  if (input.version === 'v1') {
    return { ...common, iss: v1Issuer(input.tenantId), idp: v1Issuer(input.tenantId), appid: CHANGE_TRACKING_APP_ID, appidacr: '2', ver: '1.0' };
  }
  return { ...common, iss: v2Issuer(input.origin, input.tenantId), azp: CHANGE_TRACKING_APP_ID, azpacr: '2', ver: '2.0' };
}

export interface UserTokenInput {
  origin: string;
  tenantId: string;
  audience: string;
  oid: string;
  name: string;
  preferredUsername: string;
  scp: string;
  now: Date;
  lifetimeSeconds: number;
}

/** A Teams SSO (on-behalf of the signed-in user) v2 access token for the app's own API. */
export function userTokenClaims(input: UserTokenInput): JwtClaims {
  return {
    aud: input.audience,
    iss: v2Issuer(input.origin, input.tenantId),
    ...timeClaims(input.now, input.lifetimeSeconds),
    azp: TEAMS_CLIENT_APP_ID,
    azpacr: '0',
    name: input.name,
    oid: input.oid,
    preferred_username: input.preferredUsername,
    scp: input.scp,
    sub: createHash('sha256').update(`${input.oid}:${input.audience}`).digest('base64url').slice(0, 43),
    tid: input.tenantId,
    uti: uti(),
    ver: '2.0',
  };
}

/** Apply test overrides: a key set to `undefined` removes the claim. */
export function withOverrides(claims: JwtClaims, overrides: JwtClaims | undefined): JwtClaims {
  if (!overrides) return claims;
  const merged: JwtClaims = { ...claims };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete merged[name];
    else merged[name] = value;
  }
  return merged;
}
