import type { Logger } from 'pino';
import type { Request, Response, Server } from 'restify';
import type { ChatSettings } from '../model/chat.js';
import { readSettingChanges } from '../settings/settingChanges.js';
import type { HistoryEntry, HistoryKind } from '../model/history.js';
import { changeSentence, SettingsError, validateSettingsPatch, type ChatSettingsService } from '../settings/ChatSettingsService.js';
import type { SettingsGate, SettingsActor } from '../settings/SettingsGate.js';
import { refusalMessage } from '../settings/settingsPermission.js';
import { messagesFor, type Messages } from '../i18n/Messages.js';
import type { Store } from '../storage/Store.js';
import type { ChatMembership } from './ChatMembership.js';
import { chatSubscriptionsView, type SubscriptionInsight } from './subscriptionHealth.js';
import type { TabErrorResponse, TabHistoryEntry, TabHistoryResponse, TabSettingsResponse } from './tabApiTypes.js';
import { SsoTokenError, type TabCaller, type TeamsSsoVerifier } from './TeamsSsoVerifier.js';

export interface TabApiDeps {
  verifier: Pick<TeamsSsoVerifier, 'verify'>;
  membership: Pick<ChatMembership, 'check'>;
  settings: Pick<ChatSettingsService, 'get'>;
  /** Who may change settings: the same rule as the chat commands. */
  gate: Pick<SettingsGate, 'permission' | 'change'>;
  store: Pick<Store, 'history' | 'subscriptions' | 'installations' | 'chats'>;
  /** The subscription manager's view of a chat (renewal schedule, tenant-wide problems), when it runs. */
  subscriptionInsight?: ((chatId: string) => Promise<SubscriptionInsight | null>) | null;
  clock: () => Date;
  log: Logger;
}

export const HISTORY_PAGE_DEFAULT = 25;
export const HISTORY_PAGE_MAX = 100;
const HISTORY_KINDS: readonly HistoryKind[] = ['joined', 'left', 'renamed', 'installed', 'uninstalled', 'settingsChanged', 'problem'];
// Graph chat ids look like `19:…@thread.v2` / `19:…@unq.gbl.spaces`; refuse anything else before touching storage.
const CHAT_ID = /^[0-9]{2}:[A-Za-z0-9_.\-=]{1,200}@[A-Za-z0-9.]{1,40}$/;

type Access = { caller: TabCaller; chatTenantId: string };

/**
 * The tab's API. Every route verifies the Teams SSO token (401) and the caller's membership of the chat
 * in the path (403) before it reads or changes anything; refusals carry no detail.
 */
export function registerTabApiRoutes(server: Server, deps: TabApiDeps): void {
  const { log } = deps;

  // Refusals and change sentences in the chat's language, as in the chat.
  const chatMessages = async (chatId: string) => messagesFor((await deps.settings.get(chatId)).language);
  const send = (res: Response, status: number, body: TabErrorResponse | TabHistoryResponse | TabSettingsResponse | object) => {
    res.header('Cache-Control', 'no-store');
    if (status === 401) res.header('WWW-Authenticate', 'Bearer');
    res.json(status, body);
  };

  /** Resolves the caller's access to the chat, or answers the request and returns null. */
  async function authorize(req: Request, res: Response): Promise<(Access & { chatId: string }) | null> {
    let caller: TabCaller;
    try {
      caller = await deps.verifier.verify(bearerToken(req));
    } catch (error) {
      if (error instanceof SsoTokenError && error.reason === 'keys_unavailable') {
        log.error({ err: error }, 'tab: signing keys unavailable; cannot check Teams SSO tokens');
        send(res, 503, { error: 'unavailable' });
        return null;
      }
      log.info({ reason: error instanceof SsoTokenError ? error.reason : 'error', detail: error instanceof Error ? error.message : String(error) }, 'tab: request without a valid token');
      send(res, 401, { error: 'unauthorized' });
      return null;
    }
    const chatId = String(req.params?.chatId ?? '');
    if (!CHAT_ID.test(chatId)) {
      send(res, 403, { error: 'forbidden' });
      return null;
    }
    const decision = await deps.membership.check(chatId, caller);
    if (!decision.member) {
      log.info({ chatId, oid: caller.oid, reason: decision.reason }, 'tab: caller is not a member of the chat');
      send(res, 403, { error: 'forbidden' });
      return null;
    }
    return { caller, chatTenantId: decision.chatTenantId, chatId };
  }

  server.get('/api/tab/chats/:chatId/history', async (req, res) => {
    const access = await authorize(req, res);
    if (!access) return;
    const query = parseHistoryQuery(req.query as Record<string, unknown> | undefined);
    if ('error' in query) return send(res, 400, { error: 'invalid_request', message: query.error });
    const page = await deps.store.history.page(access.chatId, { limit: query.limit + 1, before: query.before, kinds: query.kinds });
    const entries = page.slice(0, query.limit).map(toTabEntry);
    const hasMore = page.length > query.limit;
    const body: TabHistoryResponse = { chatId: access.chatId, entries, nextBefore: hasMore ? (entries.at(-1)?.id ?? null) : null };
    send(res, 200, body);
  });

  server.get('/api/tab/chats/:chatId/settings', async (req, res) => {
    const access = await authorize(req, res);
    if (!access) return;
    const permission = await deps.gate.permission(access.chatId, access.chatTenantId, actorOf(access.caller));
    const body: TabSettingsResponse = {
      chatId: access.chatId, settings: await deps.settings.get(access.chatId), changes: [], message: null,
      mayChange: permission.allowed ? { allowed: true, message: null } : { allowed: false, message: refusalMessage(permission.rule, permission.reason, await chatMessages(access.chatId)) },
    };
    send(res, 200, body);
  });

  server.put('/api/tab/chats/:chatId/settings', async (req, res) => {
    const access = await authorize(req, res);
    if (!access) return;
    const parsed = parseSettingsBody(req.body, await chatMessages(access.chatId));
    if ('error' in parsed) return send(res, 400, parsed.error);
    const outcome = await deps.gate.change({ chatId: access.chatId, chatTenantId: access.chatTenantId, actor: actorOf(access.caller), patch: parsed.patch, source: 'tab' });
    if (!outcome.allowed) return send(res, 403, { error: 'not_allowed', rule: outcome.rule, message: refusalMessage(outcome.rule, outcome.reason, messagesFor(outcome.settings.language)) });
    const { settings, changes, by } = outcome;
    if (changes.length > 0) log.info({ chatId: access.chatId, oid: access.caller.oid, changes }, 'tab: settings changed');
    const message = changes.length > 0 ? changeSentence(by, changes, messagesFor(settings.language)) : null;
    const body: TabSettingsResponse = { chatId: access.chatId, settings, changes, message, mayChange: { allowed: true, message: null } };
    send(res, 200, body);
  });

  server.get('/api/tab/chats/:chatId/subscriptions', async (req, res) => {
    const access = await authorize(req, res);
    if (!access) return;
    send(res, 200, await chatSubscriptionsView({ store: deps.store, insight: deps.subscriptionInsight }, access.chatId, access.chatTenantId, deps.clock(), await chatMessages(access.chatId)));
  });
}

function actorOf(caller: TabCaller): SettingsActor {
  return { userId: caller.oid, name: caller.name ?? caller.username ?? null };
}

function bearerToken(req: Request): string | null {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+([A-Za-z0-9\-_.]+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

function toTabEntry(entry: HistoryEntry): TabHistoryEntry {
  return {
    id: entry.id,
    at: entry.at,
    kind: entry.kind,
    actor: entry.actor ?? null,
    userId: entry.userId ?? null,
    guest: entry.guest === true,
    external: entry.external === true,
    from: entry.from ?? null,
    to: entry.to ?? null,
    detail: entry.detail ?? null,
    settings: readSettingChanges(entry.settings),
    by: entry.by?.trim() || null,
    source: entry.source ?? null,
  };
}

type HistoryQueryResult = { limit: number; before?: string; kinds?: HistoryKind[] } | { error: string };

function parseHistoryQuery(query: Record<string, unknown> | undefined): HistoryQueryResult {
  const single = (name: string): string | undefined => {
    const value = query?.[name];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  let limit = HISTORY_PAGE_DEFAULT;
  const limitRaw = single('limit');
  if (limitRaw !== undefined) {
    limit = Number(limitRaw);
    if (!/^\d+$/.test(limitRaw) || limit < 1 || limit > HISTORY_PAGE_MAX) return { error: `limit must be a whole number from 1 to ${HISTORY_PAGE_MAX}` };
  }
  const before = single('before');
  if (before !== undefined && before.length > 200) return { error: 'before is not an entry id' };
  const kindsRaw = single('kinds');
  let kinds: HistoryKind[] | undefined;
  if (kindsRaw !== undefined) {
    const names = kindsRaw.split(',').map((k) => k.trim()).filter(Boolean);
    const unknown = names.find((k) => !(HISTORY_KINDS as readonly string[]).includes(k));
    if (unknown) return { error: `kinds: unknown kind "${unknown.slice(0, 40)}" (one of ${HISTORY_KINDS.join(', ')})` };
    kinds = names as HistoryKind[];
  }
  return { limit, before, kinds };
}

type SettingsBodyResult = { patch: Partial<ChatSettings> } | { error: TabErrorResponse };

/** Validates key by key so the 400 can name the setting that is wrong. */
function parseSettingsBody(body: unknown, m: Messages): SettingsBodyResult {
  let input = body;
  if (typeof input === 'string' || Buffer.isBuffer(input)) {
    try {
      input = JSON.parse(input.toString());
    } catch {
      return { error: { error: 'invalid_request', message: 'the body must be a JSON object of settings' } };
    }
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { error: { error: 'invalid_request', message: 'the body must be a JSON object of settings' } };
  }
  const patch: Partial<ChatSettings> = {};
  for (const [key, value] of Object.entries(input)) {
    try {
      Object.assign(patch, validateSettingsPatch({ [key]: value }));
    } catch (error) {
      if (error instanceof SettingsError) return { error: { error: 'invalid_setting', setting: key.slice(0, 60), message: error.reason(m).slice(0, 200) } };
      throw error;
    }
  }
  return { patch };
}
