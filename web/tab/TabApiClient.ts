import type {
  TabErrorResponse,
  TabHistoryResponse,
  TabSettingsPatch,
  TabSettingsResponse,
  TabSubscriptionsResponse,
} from '../../src/tab/tabApiTypes.js';
import { ENGLISH, type Messages } from './i18n.js';

/** A non-2xx answer from Herald's tab API (or no answer at all: status 0). */
export class TabApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: TabErrorResponse | null,
  ) {
    super(`tab API answered ${status}${body ? ` (${body.error})` : ''}`);
    this.name = 'TabApiError';
  }
}

/** Supplies the Teams SSO token; `fresh` asks for a new one after a 401. */
export type TokenSource = (fresh: boolean) => Promise<string>;

/** Herald's tab API for one chat, called with the Teams SSO token of the person looking at the tab. */
export class TabApiClient {
  private readonly base: string;

  constructor(
    chatId: string,
    private readonly token: TokenSource,
    private readonly fetchFn: typeof fetch = (input, init) => fetch(input, init),
  ) {
    this.base = `/api/tab/chats/${encodeURIComponent(chatId)}`;
  }

  history(query: { limit?: number; before?: string | null; kinds?: string | null } = {}): Promise<TabHistoryResponse> {
    const params = new URLSearchParams();
    if (query.limit) params.set('limit', String(query.limit));
    if (query.before) params.set('before', query.before);
    if (query.kinds) params.set('kinds', query.kinds);
    const qs = params.toString();
    return this.call<TabHistoryResponse>('GET', `/history${qs ? `?${qs}` : ''}`);
  }

  settings(): Promise<TabSettingsResponse> {
    return this.call<TabSettingsResponse>('GET', '/settings');
  }

  saveSettings(patch: TabSettingsPatch): Promise<TabSettingsResponse> {
    return this.call<TabSettingsResponse>('PUT', '/settings', patch);
  }

  subscriptions(): Promise<TabSubscriptionsResponse> {
    return this.call<TabSubscriptionsResponse>('GET', '/subscriptions');
  }

  private async call<T>(method: 'GET' | 'PUT', path: string, body?: unknown): Promise<T> {
    let response = await this.send(method, path, body, false);
    // Teams caches tokens; one that just expired earns one retry with a fresh token.
    if (response.status === 401) response = await this.send(method, path, body, true);
    if (!response.ok) throw new TabApiError(response.status, await readError(response));
    return (await response.json()) as T;
  }

  private async send(method: string, path: string, body: unknown, freshToken: boolean): Promise<Response> {
    const token = await this.token(freshToken);
    try {
      return await this.fetchFn(`${this.base}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: 'application/json',
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
      });
    } catch {
      throw new TabApiError(0, null);
    }
  }
}

async function readError(response: Response): Promise<TabErrorResponse | null> {
  try {
    const body: unknown = await response.json();
    return body && typeof body === 'object' && 'error' in body ? (body as TabErrorResponse) : null;
  } catch {
    return null;
  }
}

/** What to tell a person about a failed call. */
export function describeApiError(error: unknown, m: Messages = ENGLISH): string {
  if (!(error instanceof TabApiError)) return m.text('tab.error.generic');
  switch (error.status) {
    case 0:
      return m.text('tab.error.unreachable');
    case 401:
      return m.text('tab.error.signIn');
    case 403:
      // A member whom the chat's rule does not let change settings is told why and who may (in the chat's language, by Herald).
      if (error.body?.error === 'not_allowed') return error.body.message;
      return m.text('tab.error.forbidden');
    case 400:
      return error.body && 'message' in error.body ? error.body.message : m.text('tab.error.notAccepted');
    case 503:
      return m.text('tab.error.unavailable');
    default:
      return m.text('tab.error.server');
  }
}
