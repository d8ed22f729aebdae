import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { LRUCache } from 'lru-cache';
import { HeraldError } from '../../kernel/errors.js';

/** "Microsoft Graph Change Tracking": the first-party app that mints `validationTokens`. */
export const CHANGE_TRACKING_APP_ID = '0bf30f3b-4a52-48df-9a82-234910c4a086';

export type TokenFailure = 'malformed' | 'signature' | 'expired' | 'audience' | 'issuer' | 'caller' | 'claims';

export type TokenVerdict = { ok: true; tenantId: string; expiresAt: number } | { ok: false; reason: TokenFailure; detail: string };

/** The signing keys could not be read (network, timeout, bad JWKS document): try the batch again later. */
export class SigningKeysUnavailableError extends HeraldError {
  constructor(cause: unknown) {
    super('herald.notification.signing_keys_unavailable', `validation-token signing keys are unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'SigningKeysUnavailableError';
  }
}

export interface ValidationTokenVerifierOptions {
  /** AAD_AUTHORITY_HOST without trailing slash; keys come from `${authorityHost}/common/discovery/v2.0/keys`. */
  authorityHost: string;
  /** The Graph app's client id: validation tokens are minted for it (`aud`). */
  clientId: string;
  clock: () => Date;
  /** Replaces the remote key set (tests). */
  keys?: JWTVerifyGetKey;
  /** Minimum time between two JWKS refetches caused by an unknown `kid` (jose default 30 s). */
  cooldownMs?: number;
  /** How long fetched keys are used before they are fetched again (default 1 h; Microsoft recommends about daily checks). */
  cacheMaxAgeMs?: number;
  /** JWKS request timeout (default 5 s). */
  timeoutMs?: number;
  clockToleranceSeconds?: number;
  /** Verified tokens remembered (until they expire), so repeated batches cost no signature check. */
  cacheSize?: number;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Checks Graph's `validationTokens` as the "with resource data" documentation prescribes: RS256
 * signature from the identity platform's keys (cached; refetched when an unknown `kid` shows up),
 * not expired, `aud` = Herald's Graph app, `azp` (v2) / `appid` (v1) = Graph Change Tracking, and an
 * issuer of the identity platform for the token's own tenant (v1 `https://sts.windows.net/{tid}/` or
 * v2 `${authorityHost}/{tid}/v2.0`). The caller then matches `tid` with each notification's tenant.
 */
export class ValidationTokenVerifier {
  private readonly keys: JWTVerifyGetKey;
  // Verified tokens (a token is reused across many notifications): least recently used dropped first.
  private readonly verified: LRUCache<string, { tenantId: string; expiresAt: number }>;

  constructor(private readonly options: ValidationTokenVerifierOptions) {
    this.verified = new LRUCache({ max: options.cacheSize ?? 1000 });
    const remote =
      options.keys ??
      createRemoteJWKSet(new URL(`${options.authorityHost}/common/discovery/v2.0/keys`), {
        cooldownDuration: options.cooldownMs ?? 30_000,
        cacheMaxAge: options.cacheMaxAgeMs ?? 60 * 60 * 1000,
        timeoutDuration: options.timeoutMs ?? 5_000,
      });
    this.keys = async (header, token) => {
      try {
        return await remote(header, token);
      } catch (error) {
        // Errors about the token's key (unknown kid, ambiguous kid, unsupported alg) are the token's fault.
        if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys || error instanceof errors.JOSENotSupported) throw error;
        throw new SigningKeysUnavailableError(error);
      }
    };
  }

  /**
   * `at`: when Herald received the token. A stored batch is judged as of its arrival, so one replayed
   * after a restart or a backlog keeps its items although its tokens have expired since (an attacker
   * replaying a captured POST gains nothing: its arrival time is Herald's own, and then the token is old).
   * @throws SigningKeysUnavailableError when the key set cannot be fetched.
   */
  async verify(token: string, at?: Date): Promise<TokenVerdict> {
    const now = (at ?? this.options.clock()).getTime();
    const tolerance = (this.options.clockToleranceSeconds ?? 300) * 1000;
    const cached = this.verified.get(token);
    if (cached && cached.expiresAt + tolerance > now) return { ok: true, ...cached };
    if (cached) this.verified.delete(token);

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        algorithms: ['RS256'],
        audience: this.options.clientId,
        currentDate: new Date(now),
        clockTolerance: this.options.clockToleranceSeconds ?? 300,
        requiredClaims: ['exp', 'iss', 'aud'],
      }));
    } catch (error) {
      if (error instanceof SigningKeysUnavailableError) throw error;
      return classify(error);
    }

    const tenantId = typeof payload.tid === 'string' ? payload.tid : null;
    if (!tenantId || !GUID.test(tenantId)) return { ok: false, reason: 'claims', detail: 'tid missing or not a tenant id' };
    const issuers = [`https://sts.windows.net/${tenantId}/`, `${this.options.authorityHost}/${tenantId}/v2.0`];
    if (!issuers.some((iss) => iss.toLowerCase() === String(payload.iss).toLowerCase())) {
      return { ok: false, reason: 'issuer', detail: `issuer is not the identity platform for tenant ${tenantId}` };
    }
    // v2 tokens name the caller in azp, v1 tokens in appid; whichever is present must be Graph Change Tracking.
    const callers = [payload.azp, payload.appid].filter((c): c is string => typeof c === 'string');
    if (callers.length === 0 || callers.some((c) => c.toLowerCase() !== CHANGE_TRACKING_APP_ID)) {
      return { ok: false, reason: 'caller', detail: 'azp/appid is not Microsoft Graph Change Tracking' };
    }
    const verdict = { tenantId: tenantId.toLowerCase(), expiresAt: (payload.exp ?? 0) * 1000 };
    this.remember(token, verdict);
    return { ok: true, ...verdict };
  }

  private remember(token: string, verdict: { tenantId: string; expiresAt: number }): void {
    this.verified.set(token, verdict);
  }
}

function classify(error: unknown): TokenVerdict {
  const detail = error instanceof Error ? error.message : String(error);
  if (error instanceof errors.JWTExpired) return { ok: false, reason: 'expired', detail };
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return { ok: false, reason: 'audience', detail };
    if (error.claim === 'iss') return { ok: false, reason: 'issuer', detail };
    return { ok: false, reason: 'claims', detail };
  }
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JOSEAlgNotAllowed) {
    return { ok: false, reason: 'signature', detail };
  }
  return { ok: false, reason: 'malformed', detail };
}
