/** Herald's own view of chats, members and per-chat settings (storage-independent). */
import type { Language } from '../i18n/languages.js';
import type { HeraldErrorCode } from '../kernel/errors.js';

export interface ChatMember {
  /** Graph conversationMember id (opaque; base64 of `0##tenant##chat##user` in practice). */
  membershipId?: string;
  /** Entra object id of the user. */
  userId: string;
  displayName: string | null;
  /** The member's home tenant (differs from the chat's tenant for external people). */
  tenantId: string | null;
  roles: string[];
}

/**
 * Who may change a chat's settings: `members` = people of the chat's own tenant who are not guests;
 * `owners` = of those, only people with the Graph member role `owner`.
 */
export type SettingsRule = 'members' | 'owners';

export interface ChatSettings {
  enabled: boolean;
  announceJoins: boolean;
  announceLeaves: boolean;
  announceTopic: boolean;
  /** Only announce joins/leaves of guests and people from another tenant. */
  guestsOnly: boolean;
  /** Summary window in milliseconds (0 = post at once). */
  windowMs: number;
  /** Who may change these settings (itself one of them: only those allowed may change it). */
  whoMayChange: SettingsRule;
  /** The chat's own line added to join announcements ("" for none); plain text, shown as typed. */
  welcomeLine: string;
  /** @mention the people who joined in the join announcement. */
  mentionNewcomers: boolean;
  /**
   * The language of Herald's posts, replies and cards in this chat; null until chosen, when the locale of
   * the person who installed Herald (or English) decides. Optional: records stored before it have none.
   */
  language?: Language | null;
}

export const DEFAULT_CHAT_SETTINGS: ChatSettings = {
  enabled: true,
  announceJoins: true,
  announceLeaves: true,
  announceTopic: true,
  guestsOnly: false,
  windowMs: 5_000,
  whoMayChange: 'members',
  welcomeLine: '',
  mentionNewcomers: false,
  language: null,
};

export interface RosterEntry extends ChatMember {
  /** When Herald last saw this membership change (ISO); guards against stale, out-of-order updates. */
  changedAt: string;
  present: boolean;
  /**
   * `connector`: tenant and roles came with Teams' bot event (the Bot Connector's record), which knows
   * guests but not owners, so `roles` says nothing about ownership. Absent: Graph's member roles.
   */
  rolesSource?: 'connector';
}

/** Per-chat state: the truth Herald diffs against. */
export interface ChatState {
  chatId: string;
  tenantId: string;
  topic: string | null;
  /** Graph `chat.lastUpdatedDateTime` of the newest update applied (ISO). */
  topicUpdatedAt: string | null;
  /** Keyed by userId. Entries with present=false remember people who left (for names). */
  roster: Record<string, RosterEntry>;
  settings: ChatSettings;
  /** A permanent problem the admin must fix (e.g. missing RSC consent), explained once in the chat. */
  problem: ChatProblem | null;
  /**
   * A problem of the tenant-wide subscriptions (installedToChats) of the chat's tenant, kept on each of its
   * chats so a restart remembers it; cleared when the pair works again.
   */
  tenantProblem?: TenantProblem | null;
  baselineAt: string | null;
  /**
   * When Herald's recent posts to this chat were sent (ms since the epoch, oldest first), so that every
   * instance paces the chat under Teams' per-conversation limits. Kept by the post queue; absent at first.
   */
  postsSentAt?: number[];
}

export interface TenantProblem {
  message: string;
  at: string;
  /** The error catalogue's code (its advice is the catalogue's); absent in records of older versions. */
  code?: HeraldErrorCode;
}

export interface ChatProblem {
  /** Kind of problem, as stored since the first release (`graphAccessDenied`, `graphAppNotConsented`). */
  code: string;
  /** Herald's catalogue code, whose advice the tab and /healthz show (absent in records written before it). */
  error?: HeraldErrorCode;
  message: string;
  at: string;
  /** Whether the chat was told about it already. */
  announced: boolean;
}

/** A new empty chat state (before the baseline snapshot is taken). */
export function emptyChatState(chatId: string, tenantId: string): ChatState {
  return { chatId, tenantId, topic: null, topicUpdatedAt: null, roster: {}, settings: { ...DEFAULT_CHAT_SETTINGS }, problem: null, baselineAt: null };
}
