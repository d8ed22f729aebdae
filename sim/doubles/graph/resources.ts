/**
 * The Teams chat resources a subscription may name, with what the docs allow for each:
 * change types, permissions and licensing model (reference §10.1, §10.4).
 */

export type ResourceKind = 'chat' | 'chatMembers' | 'tenantChats' | 'tenantMembers' | 'installedChats' | 'installedMembers';
export type ChangeTypeName = 'created' | 'updated' | 'deleted';
export type BillingModel = 'A' | 'B';

export interface SubscriptionTarget {
  kind: ResourceKind;
  chatId: string | null;
  teamsAppId: string | null;
  /** Licensing model from `?model=`; null = evaluation mode (metered resources) or not metered. */
  model: BillingModel | null;
}

export interface ResourceRule {
  changeTypes: readonly ChangeTypeName[];
  /** Application permissions (token roles) that allow it. */
  roles: readonly string[];
  /** Resource-specific consent permissions that allow it in a chat where the app is installed. */
  rsc: readonly string[];
  /** Which models the metered API accepts; empty = not metered. */
  models: readonly BillingModel[];
  /** 'chat' or 'member' notifications. */
  entity: 'chat' | 'member';
}

const CHAT_ALL = ['Chat.ReadBasic.All', 'Chat.Read.All', 'Chat.ReadWrite.All'];
const MEMBER_ALL = ['ChatMember.Read.All', 'ChatMember.ReadWrite.All', ...CHAT_ALL];
const CHAT_INSTALLED = ['Chat.ReadBasic.WhereInstalled', 'Chat.Read.WhereInstalled', 'Chat.ReadWrite.WhereInstalled'];
const MEMBER_INSTALLED = ['ChatMember.Read.WhereInstalled', 'ChatMember.ReadWrite.WhereInstalled', ...CHAT_INSTALLED];

// Chats: only create/update are documented ('deleted' is not), so 'deleted' is refused like an unsupported changeType.
// Members: the English page says created/deleted, a localized copy adds updated; the reference says tolerate updated.
export const RESOURCE_RULES: Record<ResourceKind, ResourceRule> = {
  chat: { changeTypes: ['created', 'updated'], roles: CHAT_ALL, rsc: ['ChatSettings.Read.Chat', 'ChatSettings.ReadWrite.Chat', 'Chat.Manage.Chat'], models: [], entity: 'chat' },
  chatMembers: { changeTypes: ['created', 'updated', 'deleted'], roles: MEMBER_ALL, rsc: ['ChatMember.Read.Chat', 'Chat.Manage.Chat'], models: [], entity: 'member' },
  tenantChats: { changeTypes: ['created', 'updated'], roles: CHAT_ALL, rsc: [], models: [], entity: 'chat' },
  tenantMembers: { changeTypes: ['created', 'updated', 'deleted'], roles: MEMBER_ALL, rsc: [], models: ['A', 'B'], entity: 'member' },
  installedChats: { changeTypes: ['created', 'updated'], roles: CHAT_INSTALLED, rsc: [], models: ['B'], entity: 'chat' },
  installedMembers: { changeTypes: ['created', 'updated', 'deleted'], roles: MEMBER_INSTALLED, rsc: [], models: ['B'], entity: 'member' },
};

/** Permissions of the read APIs the double serves, for 403 messages and checks. */
export const READ_RULES = {
  getChat: { roles: [...CHAT_ALL, ...CHAT_INSTALLED], rsc: ['ChatSettings.Read.Chat', 'ChatSettings.ReadWrite.Chat', 'Chat.Manage.Chat'] },
  listMembers: { roles: [...MEMBER_ALL, ...MEMBER_INSTALLED], rsc: ['ChatMember.Read.Chat', 'Chat.Manage.Chat'] },
  getUser: { roles: ['User.ReadBasic.All', 'User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'], rsc: [] },
} as const;

export type ParsedResource = { ok: true; target: SubscriptionTarget } | { ok: false; reason: string };

/** Parse a subscription `resource` (leading slash optional, query string allowed). */
export function parseSubscriptionResource(resource: string): ParsedResource {
  const [rawPath = '', query = ''] = resource.trim().split('?', 2);
  const params = new URLSearchParams(query);
  const modelParam = params.get('model');
  let model: BillingModel | null = null;
  if (modelParam !== null) {
    const upper = modelParam.toUpperCase();
    if (upper !== 'A' && upper !== 'B') return { ok: false, reason: `Invalid model '${modelParam}'. Supported values are 'A' and 'B'.` };
    model = upper;
  }
  let segments: string[];
  try {
    segments = rawPath.replace(/^\/+/, '').replace(/\/+$/, '').split('/').map(decodeURIComponent);
  } catch {
    return { ok: false, reason: `Resource '${resource}' is not a valid path.` };
  }
  const lower = segments.map((s) => s.toLowerCase());
  const target = (kind: ResourceKind, chatId: string | null = null, teamsAppId: string | null = null): ParsedResource => ({
    ok: true,
    target: { kind, chatId, teamsAppId, model },
  });

  if (lower[0] === 'chats') {
    if (segments.length === 1) return target('tenantChats');
    if (segments.length === 2 && lower[1] === 'getallmembers') return target('tenantMembers');
    const chatId = segments[1] ?? '';
    if (!/^19:.+@(thread\.v2|unq\.gbl\.spaces|thread\.skype)$/.test(chatId)) return { ok: false, reason: `Invalid chat id '${chatId}'.` };
    if (segments.length === 2) return target('chat', chatId);
    if (segments.length === 3 && lower[2] === 'members') return target('chatMembers', chatId);
  }
  if (lower[0] === 'appcatalogs' && lower[1] === 'teamsapps' && segments[2] && lower[3] === 'installedtochats') {
    if (segments.length === 4) return target('installedChats', null, segments[2]);
    if (segments.length === 5 && lower[4] === 'getallmembers') return target('installedMembers', null, segments[2]);
  }
  return { ok: false, reason: `Resource '${resource}' is not supported by this double.` };
}

/** Canonical form used to detect duplicates (409): lower-cased path without slashes at the ends, plus the model. */
export function resourceKey(target: SubscriptionTarget): string {
  return [target.kind, target.chatId ?? '', target.teamsAppId?.toLowerCase() ?? '', target.model ?? ''].join('|');
}

export function parseChangeTypes(value: string): string[] {
  return value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
}
