/** One line of a chat's timeline, shown by the tab. */
export type HistoryKind = 'joined' | 'left' | 'renamed' | 'installed' | 'uninstalled' | 'settingsChanged' | 'problem';

/**
 * Who told Herald about a change: Microsoft Graph (a change notification or a reconcile), or Teams
 * through the bot (`conversationUpdate`). The tab shows it; entries from before it was kept have none.
 */
export type HistorySource = 'graph' | 'bot';

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
  detail?: string | null;
  /** For joined, left and renamed: where the change was first heard of (the one announced). */
  source?: HistorySource;
}
