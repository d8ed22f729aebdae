import { catalogueEntry } from '../kernel/errorCatalogue.js';
import { HeraldError, type HeraldErrorCode } from '../kernel/errors.js';

/** The catalogue code for a Graph answer (status, Graph's own `error.code`, its message). */
export function graphErrorCode(status: number | null, message = ''): HeraldErrorCode {
  if (status === null) return 'herald.graph.no_answer';
  if (status === 401 || status === 403) return 'herald.graph.consent_missing';
  if (status === 402) return 'herald.graph.billing_missing';
  if (status === 404) return 'herald.graph.not_found';
  if (status === 409) return 'herald.graph.conflict';
  if (status === 429) return 'herald.graph.throttled';
  if (status === 408 || status >= 500) return 'herald.graph.unavailable';
  // Subscription validation failures come back as 400 with Graph's explanation in the message.
  if (/notificationUrl|validation request|validation token/i.test(message)) return 'herald.graph.notification_url_unreachable';
  return 'herald.graph.request_rejected';
}

/** A Microsoft Graph request that failed, with enough context to decide what to do next. */
export class GraphRequestError extends HeraldError {
  constructor(
    /** HTTP status; null when no response arrived (network failure, timeout). */
    readonly status: number | null,
    /** Graph's `error.code` (e.g. `Forbidden`, `ResourceNotFound`), null when absent. */
    readonly graphCode: string | null,
    message: string,
    readonly tenantId: string,
    /** Method and path relative to the Graph version root, e.g. `PATCH /subscriptions/…`. */
    readonly path: string,
    /** Server-requested wait from `Retry-After`, in milliseconds, when the response carried one. */
    readonly retryAfterMs: number | null = null,
    options?: { cause?: unknown },
  ) {
    super(graphErrorCode(status, message), message, { cause: options?.cause, context: { tenantId, status, graphCode, path } });
    this.name = 'GraphRequestError';
  }

  get notFound(): boolean {
    return this.status === 404;
  }

  /** Consent missing, RSC not granted, app removed: nothing Herald can fix by retrying. */
  get accessDenied(): boolean {
    return this.status === 401 || this.status === 403;
  }

  /** Metered API without billing or with its evaluation quota used up. */
  get paymentRequired(): boolean {
    return this.status === 402;
  }

  get conflict(): boolean {
    return this.status === 409;
  }

  /** Worth trying again later: throttling, service trouble, or no answer at all. */
  get transient(): boolean {
    return this.status === null || this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

/**
 * AADSTS codes that name what an admin must fix
 * (https://learn.microsoft.com/entra/identity-platform/reference-error-codes).
 */
const AADSTS_CODES: ReadonlyArray<[number, HeraldErrorCode]> = [
  [90002, 'herald.login.tenant_not_found'],
  [700016, 'herald.login.app_not_in_tenant'],
  [65001, 'herald.login.consent_required'],
  [7000229, 'herald.login.service_principal_missing'],
  [7000215, 'herald.login.bad_secret'],
  [7000222, 'herald.login.bad_secret'],
  [7000218, 'herald.login.bad_secret'],
  [500011, 'herald.login.refused'],
];

/** OAuth error codes (RFC 6749 §5.2) that no retry fixes. */
const REFUSING_OAUTH_ERRORS = ['invalid_client', 'unauthorized_client', 'invalid_scope', 'invalid_grant'];

/** The catalogue code for a login failure: the AADSTS code first, then the OAuth error. */
export function loginErrorCode(errorCode: string, aadCodes: readonly number[]): HeraldErrorCode {
  for (const [aad, code] of AADSTS_CODES) if (aadCodes.includes(aad)) return code;
  if (errorCode === 'invalid_client') return 'herald.login.bad_secret';
  if (REFUSING_OAUTH_ERRORS.includes(errorCode)) return 'herald.login.refused';
  return 'herald.login.unavailable';
}

/** Acquiring an app-only token for a tenant failed. */
export class GraphTokenError extends HeraldError {
  constructor(
    readonly tenantId: string,
    /** msal's error code (`invalid_client`, `unauthorized_client`, `network_error`, …). */
    readonly errorCode: string,
    /** AADSTS numbers from the login service's answer, when it gave any. */
    readonly aadCodes: number[],
    message: string,
    options?: { cause?: unknown },
  ) {
    super(loginErrorCode(errorCode, aadCodes), message, { cause: options?.cause, context: { tenantId, errorCode, aadsts: aadCodes.join(',') || null } });
    this.name = 'GraphTokenError';
  }

  /**
   * The app is not usable in that tenant (not consented, unknown tenant, wrong secret): retrying soon is
   * pointless. Network trouble and login-service errors are not permanent.
   */
  get permanent(): boolean {
    return catalogueEntry(this.code, this.context).permanent;
  }
}

export type GraphFailure = GraphRequestError | GraphTokenError;

export function isGraphFailure(error: unknown): error is GraphFailure {
  return error instanceof GraphRequestError || error instanceof GraphTokenError;
}
