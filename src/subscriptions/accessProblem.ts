import type { ChatProblem } from '../model/chat.js';
import type { GraphFailure } from '../graph/GraphRequestError.js';
import { GraphTokenError } from '../graph/GraphRequestError.js';

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

/** The explanation posted once in the chat and shown by `status`: what happened and what the admin must do. */
export function accessProblemFor(error: GraphFailure, at: Date): ChatProblem {
  if (error instanceof GraphTokenError) {
    return {
      code: 'graphAppNotConsented',
      message:
        "I can't watch this chat: Microsoft's sign-in service refused Herald for your organisation" +
        `${error.aadCodes.length ? ` (AADSTS${error.aadCodes[0]})` : ''}. ` +
        'An administrator of your organisation must consent to Herald (Microsoft Entra admin center → Enterprise applications), then remove Herald from this chat and add it again. ' +
        "Until then I can't announce who joins or leaves or when the chat is renamed.",
      at: at.toISOString(),
      announced: false,
    };
  }
  return {
    code: 'graphAccessDenied',
    message:
      "I can't watch this chat: Microsoft Graph refused access" +
      `${error.status ? ` (${error.status}${error.code ? ` ${error.code}` : ''})` : ''}. ` +
      "This usually means the chat's resource-specific consent was not granted (ChatMember.Read.Chat and Chat.Manage.Chat). " +
      'A Teams administrator must allow apps to be granted resource-specific consent in chats (Teams admin center → Permission policies / app permissions), ' +
      'then someone removes Herald from this chat and adds it again so the permissions are granted. ' +
      "Until then I can't announce who joins or leaves or when the chat is renamed.",
    at: at.toISOString(),
    announced: false,
  };
}
