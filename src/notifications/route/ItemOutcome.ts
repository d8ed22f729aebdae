import { HeraldError } from '../../kernel/errors.js';
/** Why an item was refused by a check (never acted on). Each is logged and counted. */
export const DROP_REASONS = [
  'malformedItem',
  'unknownSubscription',
  'clientStateMismatch',
  'tenantMismatch',
  'resourceMismatch',
  'missingValidationToken',
  'invalidValidationToken',
  'validationTokenTenantMismatch',
  'unknownCertificate',
  'invalidEncryptedContent',
  'missingDataSignature',
  'dataSignatureMismatch',
  'decryptionFailed',
  'invalidResourceData',
  'resourceUnavailable',
  'verificationUnavailable',
  'processingFailed',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** Why an authentic item led to nothing (counted as processed). */
export const IGNORE_REASONS = ['unsupportedChangeType', 'unsupportedResource', 'unsupportedLifecycleEvent', 'stale'] as const;
export type IgnoreReason = (typeof IGNORE_REASONS)[number];

export type ItemOutcome =
  | { status: 'emitted'; event: 'change' | 'lifecycle' }
  | { status: 'duplicate' }
  | { status: 'ignored'; reason: IgnoreReason }
  | { status: 'dropped'; reason: DropReason };

/**
 * Processing cannot finish now for reasons outside the batch (signing keys or Graph unreachable): the
 * batch stays in the inbox and is tried again later. `reason` is what the items are dropped with if it
 * never succeeds within Graph's own retry window.
 */
export class RetryLaterError extends HeraldError {
  constructor(
    readonly reason: DropReason,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super('herald.notification.retry_later', detail, { cause: options?.cause, context: { reason } });
    this.name = 'RetryLaterError';
  }
}

/** Processing was stopped (shutdown) before the batch finished; it stays in the inbox. */
export class ProcessingStoppedError extends HeraldError {
  constructor() {
    super('herald.notification.processing_stopped', 'notification processing stopped');
    this.name = 'ProcessingStoppedError';
  }
}
