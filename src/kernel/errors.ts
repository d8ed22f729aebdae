/**
 * The base class every error Herald raises or reports extends: a stable catalogue `code`, the `context`
 * of this occurrence, and the catalogue's reason and advice. Modelled on bolt-js `src/errors.ts`
 * (ErrorCode, CodedError, asCodedError).
 */
import { catalogueEntry, type CatalogueEntry } from './errorCatalogue.js';
import type { ErrorContext, HeraldErrorCode } from './errorCodes.js';

export { HERALD_ERROR_CODES, isHeraldErrorCode, type ErrorContext, type HeraldErrorCode } from './errorCodes.js';

/**
 * The base of Herald's errors: `code` is the catalogue code, `context` the facts of this occurrence.
 * Subclasses keep their own names (so `instanceof` and logs stay as they were).
 */
export class HeraldError extends Error {
  constructor(
    readonly code: HeraldErrorCode,
    message: string,
    options: { context?: ErrorContext; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HeraldError';
    this.context = options.context ?? {};
  }

  readonly context: ErrorContext;

  /** What happened, what to change and where, and whether retrying can help: the catalogue's entry. */
  get catalogue(): CatalogueEntry {
    return catalogueEntry(this.code, this.context);
  }

  /** What to change and where, from the catalogue. */
  get advice(): string {
    return this.catalogue.advice;
  }
}

/** Any thrown value as a HeraldError (code `herald.internal` for what Herald did not classify). */
export function asHeraldError(error: unknown): HeraldError {
  if (error instanceof HeraldError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new HeraldError('herald.internal', message, { cause: error });
}
