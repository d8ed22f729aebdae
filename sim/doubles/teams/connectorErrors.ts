import type { ConnectorErrorBody } from './activityJson.js';

/** Statuses the double can be told to answer with, and what Teams says for each by default. */
export type InjectableStatus = 401 | 403 | 404 | 412 | 413 | 429 | 500 | 502 | 503 | 504;

const DEFAULTS: Record<InjectableStatus, { code: string; message: string }> = {
  401: { code: 'Unauthorized', message: 'Authorization has been denied for this request.' },
  403: { code: 'BotNotInConversationRoster', message: 'The bot is not part of the conversation roster.' },
  404: { code: 'ConversationNotFound', message: 'Conversation not found.' },
  412: { code: 'PreconditionFailed', message: 'The precondition for the operation failed.' },
  413: { code: 'MessageSizeTooBig', message: 'Message size too large.' },
  429: { code: 'Throttled', message: 'Too many requests; slow down.' },
  500: { code: 'ServiceError', message: 'An internal service error occurred.' },
  502: { code: 'BadGateway', message: 'Bad gateway.' },
  503: { code: 'ServiceUnavailable', message: 'The service is unavailable.' },
  504: { code: 'GatewayTimeout', message: 'Gateway timeout.' },
};

export function defaultErrorFor(status: InjectableStatus): { code: string; message: string } {
  return DEFAULTS[status];
}

export function connectorErrorBody(code: string, message: string): ConnectorErrorBody {
  return { error: { code, message } };
}
