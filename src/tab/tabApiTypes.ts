/**
 * Shapes of the tab API's JSON bodies, shared by the server (src/tab) and the page (web/tab).
 * Type-only: the page imports it with `import type`, so nothing from the server ends up in the bundle.
 */
import type { ChatSettings, SettingsRule } from '../model/chat.js';
import type { HistoryKind, HistorySource, SettingChange } from '../model/history.js';
import type { SubscriptionKind } from '../model/subscription.js';

/** `GET /api/tab/chats/{chatId}/history?limit=&before=&kinds=joined,left` */
export interface TabHistoryResponse {
  chatId: string;
  entries: TabHistoryEntry[];
  /** Pass as `before` to get the next (older) page; null when there is none. */
  nextBefore: string | null;
}

export interface TabHistoryEntry {
  id: string;
  at: string;
  kind: HistoryKind;
  actor: string | null;
  userId: string | null;
  guest: boolean;
  external: boolean;
  from: string | null;
  to: string | null;
  /** Text recorded with the entry (for settingsChanged: the changes as said then, for entries without `settings`). */
  detail: string | null;
  /** settingsChanged: what changed, for the page to say in the reader's language; null when not recorded. */
  settings: SettingChange[] | null;
  /** joined/left: who added or removed the person (someone else); null when they joined or left by themselves, or it is unknown. */
  by: string | null;
  /** Who told Herald (joined, left, renamed): `graph` or `bot` (Teams' conversationUpdate); null when not recorded. */
  source: HistorySource | null;
}

/** `GET /api/tab/chats/{chatId}/settings` and the answer to `PUT` (which also lists what changed). */
export interface TabSettingsResponse {
  chatId: string;
  settings: ChatSettings;
  /** People-readable descriptions of what a PUT changed (empty for GET or a no-op PUT). */
  changes: string[];
  /** "Ada Lovelace changed Herald's settings: joins off" after a PUT that changed something; else null. The name is as given (show it as text). */
  message: string | null;
  /** Whether the caller may change these settings (the chat's `whoMayChange` rule), and why not. */
  mayChange: { allowed: boolean; message: string | null };
}

/** `PUT` body: any subset of the settings. */
export type TabSettingsPatch = Partial<ChatSettings>;

export type SubscriptionHealthState = 'alive' | 'failing' | 'expired';

export interface TabSubscriptionHealth {
  id: string;
  kind: SubscriptionKind;
  /** What the subscription watches, for people. */
  label: string;
  /** Tenant-wide subscriptions serve every chat of the tenant. */
  scope: 'chat' | 'tenant';
  state: SubscriptionHealthState;
  expiresAt: string;
  /** "2h 10m", or "expired". */
  expiresIn: string;
  lastNotificationAt: string | null;
  lastRenewedAt: string | null;
  /** The Herald instance that created, last renewed or reauthorized it. */
  lastRenewedBy: string | null;
  /** When Herald plans to renew it (null when unknown or nothing is scheduled). */
  nextRenewalAt: string | null;
  lastError: string | null;
  /** What to do about `lastError` or expiry; null when healthy. */
  advice: string | null;
}

/** `GET /api/tab/chats/{chatId}/subscriptions` */
export interface TabSubscriptionsResponse {
  chatId: string;
  /** Server time of the check (relative times are computed against it). */
  checkedAt: string;
  installed: boolean;
  subscriptions: TabSubscriptionHealth[];
  problem: { code: string; message: string; at: string; advice: string } | null;
  /** A failure of the tenant-wide subscriptions (e.g. permissions not consented). */
  tenantProblem: { message: string; advice: string } | null;
  /** The tenant-wide subscriptions run in Graph's evaluation mode (a monthly notification quota applies). */
  evaluationMode: boolean;
  /** Herald is (re)creating this chat's subscriptions; the next attempt is due then. */
  pendingSyncAt: string | null;
}

/** Every non-2xx answer. `unauthorized`/`forbidden` carry nothing else, on purpose. */
export type TabErrorResponse =
  | { error: 'unauthorized' }
  | { error: 'forbidden' }
  | { error: 'unavailable' }
  | { error: 'invalid_setting'; setting: string | null; message: string }
  | { error: 'invalid_request'; message: string }
  /** 403 to a member whom the chat's `whoMayChange` rule does not let change settings: says why and who may. */
  | { error: 'not_allowed'; rule: SettingsRule; message: string };
