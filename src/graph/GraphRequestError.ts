/** A Microsoft Graph request that failed, with enough context to decide what to do next. */
export class GraphRequestError extends Error {
  constructor(
    /** HTTP status; null when no response arrived (network failure, timeout). */
    readonly status: number | null,
    /** Graph's `error.code` (e.g. `Forbidden`, `ResourceNotFound`), null when absent. */
    readonly code: string | null,
    message: string,
    readonly tenantId: string,
    /** Method and path relative to the Graph version root, e.g. `PATCH /subscriptions/…`. */
    readonly path: string,
    /** Server-requested wait from `Retry-After`, in milliseconds, when the response carried one. */
    readonly retryAfterMs: number | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
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

/** Acquiring an app-only token for a tenant failed. */
export class GraphTokenError extends Error {
  constructor(
    readonly tenantId: string,
    /** msal's error code (`invalid_client`, `unauthorized_client`, `network_error`, …). */
    readonly errorCode: string,
    /** AADSTS numbers from the login service's answer, when it gave any. */
    readonly aadCodes: number[],
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GraphTokenError';
  }

  /**
   * The app is not usable in that tenant (not consented, unknown tenant, wrong secret): retrying soon is
   * pointless. Network trouble and login-service errors are not permanent.
   */
  get permanent(): boolean {
    if (['invalid_client', 'unauthorized_client', 'invalid_scope', 'invalid_grant'].includes(this.errorCode)) return true;
    return this.aadCodes.some((code) => [700016, 7000229, 90002, 7000215, 7000222, 500011].includes(code));
  }
}

export type GraphFailure = GraphRequestError | GraphTokenError;

export function isGraphFailure(error: unknown): error is GraphFailure {
  return error instanceof GraphRequestError || error instanceof GraphTokenError;
}

/**
 * Parses `Retry-After` (delta seconds or an HTTP date) into milliseconds from `now`; null when absent
 * or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now.getTime());
}
