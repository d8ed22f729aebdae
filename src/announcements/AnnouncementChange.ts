import type { HistorySource } from '../model/history.js';

/** A person as an announcement shows them. */
export interface PersonRef {
  userId: string;
  /** Null until resolved; announcements then use a neutral label, never the id. */
  displayName: string | null;
  /** Role `guest` in the chat. */
  guest: boolean;
  /** Home tenant differs from the chat's (and not a guest): a federated/external person. */
  external: boolean;
  /** Who added or removed them, when Teams named someone else (absent when unknown or self). */
  by?: string;
}

/**
 * One real change to a chat, after stale and duplicate reports were filtered out. `uncertain`: its order
 * relative to another report about the same person is ambiguous (see MembershipOrder). These are what a
 * summary window collects (persisted in `pendingSummaries`), in the order they were applied.
 */
export type AnnouncementChange =
  | { kind: 'joined'; at: string; person: PersonRef; uncertain?: boolean; source?: HistorySource }
  | { kind: 'left'; at: string; person: PersonRef; uncertain?: boolean; source?: HistorySource }
  | { kind: 'renamed'; at: string; from: string | null; to: string | null };

export type PersonChange = Extract<AnnouncementChange, { kind: 'joined' | 'left' }>;

export function isPersonChange(change: AnnouncementChange): change is PersonChange {
  return change.kind === 'joined' || change.kind === 'left';
}

function isPersonRef(value: unknown): value is PersonRef {
  if (typeof value !== 'object' || value === null) return false;
  const p = value as Record<string, unknown>;
  return (
    typeof p.userId === 'string' &&
    (p.displayName === null || typeof p.displayName === 'string') &&
    typeof p.guest === 'boolean' &&
    typeof p.external === 'boolean' &&
    (p.by === undefined || typeof p.by === 'string')
  );
}

const isNullableString = (v: unknown): v is string | null => v === null || typeof v === 'string';

/** Reads a change back from storage (the store keeps `PendingSummary.changes` as `unknown[]`). */
export function isAnnouncementChange(value: unknown): value is AnnouncementChange {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  if (typeof c.at !== 'string') return false;
  // Absent in windows stored before the source was kept.
  if (c.source !== undefined && c.source !== 'graph' && c.source !== 'bot') return false;
  if (c.kind === 'joined' || c.kind === 'left') return isPersonRef(c.person);
  if (c.kind === 'renamed') return isNullableString(c.from) && isNullableString(c.to);
  return false;
}

/** Graph reports untitled chats with `topic: null`; an empty string means the same. */
export function normaliseTopic(topic: string | null | undefined): string | null {
  if (topic === undefined || topic === null) return null;
  return topic.trim() === '' ? null : topic;
}
