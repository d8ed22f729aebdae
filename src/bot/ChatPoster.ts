import type { Activity, CloudAdapter, ConversationReference } from 'botbuilder';
import { HeraldError } from '../kernel/errors.js';
import { parseRetryAfter } from '../kernel/retry.js';
import type { Installation } from '../model/installation.js';

/** A post the Bot Connector refused. `permanent` failures (403/404) mean Herald is no longer in the chat. */
export class PostError extends HeraldError {
  constructor(
    readonly chatId: string,
    readonly status: number | null,
    /** The Bot Connector's `error.code`, null when absent. */
    readonly connectorCode: string | null,
    readonly retryAfterMs: number | null,
    cause: unknown,
  ) {
    super('herald.bot.post_failed', `post to ${chatId} failed${status ? ` with ${status}` : ''}${connectorCode ? ` (${connectorCode})` : ''}`, {
      cause,
      context: { chatId, status, connectorCode },
    });
    this.name = 'PostError';
  }

  get permanent(): boolean {
    return this.status === 403 || this.status === 404;
  }

  get retryable(): boolean {
    return this.status === null || this.status === 412 || this.status === 429 || this.status >= 500;
  }
}

interface ConnectorErrorShape {
  statusCode?: number;
  code?: string;
  details?: { error?: { code?: string } };
  response?: { status?: number; headers?: { get?(name: string): string | null | undefined } | Record<string, string>; bodyAsText?: string; parsedBody?: { error?: { code?: string } } };
}

function headerOf(headers: unknown, name: string): string | null {
  if (!headers || typeof headers !== 'object') return null;
  const h = headers as { get?: (n: string) => string | null | undefined } & Record<string, unknown>;
  if (typeof h.get === 'function') return h.get(name) ?? null;
  const value = h[name] ?? h[name.toLowerCase()];
  return typeof value === 'string' ? value : null;
}

/** Reads status, Bot Connector error code and Retry-After from whatever botframework-connector threw. */
export function toPostError(chatId: string, error: unknown, now: Date): PostError {
  const e = (error ?? {}) as ConnectorErrorShape;
  const status = e.statusCode ?? e.response?.status ?? null;
  let code = e.details?.error?.code ?? e.response?.parsedBody?.error?.code ?? null;
  if (!code && e.response?.bodyAsText) {
    try {
      code = (JSON.parse(e.response.bodyAsText) as { error?: { code?: string } }).error?.code ?? null;
    } catch {
      code = null;
    }
  }
  const retryAfterMs = parseRetryAfter(headerOf(e.response?.headers, 'retry-after'), now);
  return new PostError(chatId, status, code, retryAfterMs, error);
}

/** Posts an activity into a chat through the Bot Connector at the conversation's serviceUrl. */
export class ChatPoster {
  constructor(private readonly deps: { adapter: CloudAdapter; botAppId: string; clock: () => Date }) {}

  async post(installation: Installation, activity: Partial<Activity>): Promise<string | undefined> {
    const reference = {
      channelId: 'msteams',
      ...installation.conversationReference,
      serviceUrl: installation.serviceUrl,
    } as ConversationReference;
    let id: string | undefined;
    let failure: unknown = null;
    try {
      await this.deps.adapter.continueConversationAsync(this.deps.botAppId, reference, async (context) => {
        // Errors thrown inside the callback would go to onTurnError, not to us: catch them here.
        try {
          const response = await context.sendActivity(activity);
          id = response?.id;
        } catch (error) {
          failure = error ?? new Error('send failed');
        }
      });
    } catch (error) {
      failure = error ?? new Error('send failed');
    }
    if (failure !== null) throw toPostError(installation.chatId, failure, this.deps.clock());
    return id;
  }
}
