import type { ChatProblem } from '../model/chat.js';
import type { GraphFailure } from '../graph/GraphRequestError.js';
import { GraphTokenError } from '../graph/GraphRequestError.js';
import { catalogueEntry } from '../kernel/errorCatalogue.js';
import { isHeraldErrorCode, type HeraldErrorCode } from '../kernel/errors.js';

/** Problem codes this module records on a chat (and clears once Graph lets Herald in again). */
export const ACCESS_PROBLEM_CODES = ['graphAccessDenied', 'graphAppNotConsented'] as const;

export function isAccessProblemCode(code: string | undefined): boolean {
  return (ACCESS_PROBLEM_CODES as readonly string[]).includes(code ?? '');
}

/** Failures retrying cannot fix: consent missing, RSC not granted, app unknown in the tenant. */
export function isPermanentAccessFailure(error: GraphFailure): boolean {
  if (error instanceof GraphTokenError) return error.permanent;
  return error.accessDenied;
}

/** The catalogue code of a stored chat problem (records written before the catalogue have only `code`). */
export function chatProblemCode(problem: Pick<ChatProblem, 'code' | 'error'>): HeraldErrorCode {
  if (isHeraldErrorCode(problem.error)) return problem.error;
  return problem.code === 'graphAppNotConsented' ? 'herald.login.refused' : 'herald.graph.consent_missing';
}

/** The explanation posted once in the chat and shown by `status`: what happened and what the admin must do. */
export function accessProblemFor(error: GraphFailure, at: Date): ChatProblem {
  const { reason, advice } = catalogueEntry(error.code, error.context);
  const detail =
    error instanceof GraphTokenError
      ? error.aadCodes.length && !reason.includes('AADSTS')
        ? ` (AADSTS${error.aadCodes[0]})`
        : ''
      : error.status
        ? ` (${error.status}${error.graphCode ? ` ${error.graphCode}` : ''})`
        : '';
  return {
    code: error instanceof GraphTokenError ? 'graphAppNotConsented' : 'graphAccessDenied',
    error: error.code,
    message: `I can't watch this chat: ${reason}${detail}. ${advice} Until then I can't announce who joins or leaves or when the chat is renamed.`,
    at: at.toISOString(),
    announced: false,
  };
}
