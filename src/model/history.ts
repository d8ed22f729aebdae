/** One line of a chat's timeline, shown by the tab. */
export type HistoryKind = 'joined' | 'left' | 'renamed' | 'installed' | 'uninstalled' | 'settingsChanged' | 'problem';

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
}
