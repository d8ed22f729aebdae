import type { HeraldErrorCode } from '../kernel/errors.js';
import { GraphRequestError, GraphTokenError, graphErrorCode, loginErrorCode } from './GraphRequestError.js';

/** A failed Graph call, as records, logs and retry decisions need it. */
export interface FailureDescription {
  /** HTTP status; null when no answer arrived, or the token could not be had. */
  status: number | null;
  /** Graph's own `error.code` (`Forbidden`, `ResourceNotFound`…), null when absent. */
  graphCode: string | null;
  /** Herald's catalogue code. */
  code: HeraldErrorCode;
  /** One line for a subscription's `lastError` and for status (at most 300 characters). */
  summary: string;
}

/**
 * Describes a failed Graph call: Herald's own GraphRequestError/GraphTokenError, or the Graph client
 * library's GraphError (`statusCode`, `code`) and anything shaped like it.
 */
export function describeFailure(error: unknown): FailureDescription {
  if (error instanceof GraphRequestError) {
    const { status, graphCode } = error;
    return { status, graphCode, code: error.code, summary: `${status ?? 'no answer'}${graphCode ? ` ${graphCode}` : ''}: ${error.message}`.slice(0, 300) };
  }
  if (error instanceof GraphTokenError) {
    const summary = `login failed: ${error.errorCode}${error.aadCodes.length ? ` AADSTS${error.aadCodes.join(',')}` : ''}`;
    return { status: null, graphCode: null, code: error.code, summary };
  }
  if (typeof error !== 'object' || error === null) return { status: null, graphCode: null, code: 'herald.internal', summary: String(error).slice(0, 300) };
  const shape = error as { statusCode?: unknown; status?: unknown; code?: unknown; message?: unknown };
  const status = typeof shape.statusCode === 'number' ? shape.statusCode : typeof shape.status === 'number' ? shape.status : null;
  const graphCode = typeof shape.code === 'string' ? shape.code : null;
  const message = typeof shape.message === 'string' ? shape.message : '';
  return { status, graphCode, code: graphErrorCode(status, message), summary: `${status ?? 'no answer'}${graphCode ? ` ${graphCode}` : ''}: ${message}`.slice(0, 300) };
}

/** Old records and free text: the words that identify a failure when no status or AADSTS code is given. */
const TEXT_CODES: ReadonlyArray<{ match: RegExp; code: HeraldErrorCode }> = [
  { match: /consent|forbidden|Authorization_RequestDenied|AccessDenied|insufficient privileges|permission/i, code: 'herald.graph.consent_missing' },
  { match: /throttl|too many requests/i, code: 'herald.graph.throttled' },
  { match: /notificationUrl|validation|unreachable|timed? ?out|\bECONN[A-Z]*\b|\bENOTFOUND\b|could not be reached/i, code: 'herald.graph.notification_url_unreachable' },
  { match: /not ?found|ResourceNotFound|does not exist/i, code: 'herald.graph.not_found' },
];

/**
 * The catalogue code for a stored failure text: a `summary` of describeFailure ("403 Forbidden: …",
 * "login failed: unauthorized_client AADSTS700016") or older free text, matched loosely.
 */
export function codeForFailureText(text: string): HeraldErrorCode {
  const login = /^login failed: (\S+)(?: AADSTS([\d,]+))?/.exec(text);
  if (login) return loginErrorCode(login[1] ?? '', (login[2] ?? '').split(',').filter(Boolean).map(Number));
  const status = /^(\d{3})\b/.exec(text);
  if (status) return graphErrorCode(Number(status[1]), text);
  if (/^no answer\b/.test(text)) return 'herald.graph.no_answer';
  return TEXT_CODES.find((t) => t.match.test(text))?.code ?? 'herald.internal';
}
