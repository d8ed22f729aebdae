import type { Language } from '../i18n/languages.js';
import type { SettingsRule } from './chat.js';

/** One line of a chat's timeline, shown by the tab. */
export type HistoryKind = 'joined' | 'left' | 'renamed' | 'installed' | 'uninstalled' | 'settingsChanged' | 'problem';

/**
 * Who told Herald about a change: Microsoft Graph (a change notification or a reconcile), or Teams
 * through the bot (`conversationUpdate`). The tab shows it; entries from before it was kept have none.
 */
export type HistorySource = 'graph' | 'bot';

/** One setting a person changed, as facts (worded in each reader's language when shown). */
export type SettingChange =
  | { setting: 'enabled' | 'announceJoins' | 'announceLeaves' | 'announceTopic' | 'guestsOnly' | 'mentionNewcomers'; to: boolean }
  | { setting: 'windowMs'; to: number }
  | { setting: 'whoMayChange'; to: SettingsRule }
  | { setting: 'language'; to: Language | null }
  /** The line itself is not kept in the history: the chat's settings have it. */
  | { setting: 'welcomeLine'; change: 'set' | 'changed' | 'removed' };

export interface HistoryEntry {
  id: string;
  chatId: string;
  at: string;
  kind: HistoryKind;
  /** Display name of the person concerned (joined/left), or who changed settings. */
  actor?: string | null;
  userId?: string | null;
  guest?: boolean;
  external?: boolean;
  from?: string | null;
  to?: string | null;
  /** Text recorded with the entry; for settingsChanged, the changes as said then (entries before `settings` have only this). */
  detail?: string | null;
  /** For settingsChanged: what changed, so the tab and status can say it in the reader's language. */
  settings?: SettingChange[];
  /** For joined and left: who added or removed the person, when Teams named someone else (absent: by themselves or unknown). */
  by?: string | null;
  /** For joined, left and renamed: where the change was first heard of (the one announced). */
  source?: HistorySource;
}
