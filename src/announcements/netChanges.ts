import type { ChatSettings } from '../model/chat.js';
import { isPersonChange, normaliseTopic, type AnnouncementChange, type PersonRef } from './AnnouncementChange.js';

/** What a summary window amounts to once changes that cancel out are netted. */
export interface NetSummary {
  joined: PersonRef[];
  /** Joined and left again inside the window. */
  joinedAndLeft: PersonRef[];
  left: PersonRef[];
  rename: { from: string | null; to: string | null } | null;
}

export function emptySummary(): NetSummary {
  return { joined: [], joinedAndLeft: [], left: [], rename: null };
}

export function isEmptySummary(summary: NetSummary): boolean {
  return summary.joined.length + summary.joinedAndLeft.length + summary.left.length === 0 && summary.rename === null;
}

/**
 * Nets a window's changes per person, in the order they first appeared:
 * joined → "joined"; left → "left"; joined then left → "joined and left"; left then rejoined → nothing
 * (the chat is as it was). Renames collapse to first `from` → last `to`, and vanish when they end where
 * they started.
 */
export function netChanges(changes: readonly AnnouncementChange[]): NetSummary {
  const people = new Map<string, { first: 'joined' | 'left'; last: 'joined' | 'left'; person: PersonRef }>();
  let rename: NetSummary['rename'] = null;
  for (const change of changes) {
    if (isPersonChange(change)) {
      const seen = people.get(change.person.userId);
      if (!seen) {
        people.set(change.person.userId, { first: change.kind, last: change.kind, person: { ...change.person } });
        continue;
      }
      seen.last = change.kind;
      const by = change.person.by ?? seen.person.by;
      seen.person = {
        userId: seen.person.userId,
        displayName: change.person.displayName ?? seen.person.displayName,
        guest: seen.person.guest || change.person.guest,
        external: seen.person.external || change.person.external,
        ...(by ? { by } : {}),
      };
    } else {
      rename = { from: rename ? rename.from : normaliseTopic(change.from), to: normaliseTopic(change.to) };
    }
  }
  const summary = emptySummary();
  for (const { first, last, person } of people.values()) {
    if (first === 'joined' && last === 'joined') summary.joined.push(person);
    else if (first === 'left' && last === 'left') summary.left.push(person);
    else if (first === 'joined' && last === 'left') summary.joinedAndLeft.push(person);
  }
  summary.rename = rename && rename.from !== rename.to ? rename : null;
  return summary;
}

/** Keeps what the chat's settings ask to announce. */
export function selectAnnounced(summary: NetSummary, settings: ChatSettings): NetSummary {
  if (!settings.enabled) return emptySummary();
  const wanted = (p: PersonRef) => !settings.guestsOnly || p.guest || p.external;
  return {
    joined: settings.announceJoins ? summary.joined.filter(wanted) : [],
    joinedAndLeft: settings.announceJoins || settings.announceLeaves ? summary.joinedAndLeft.filter(wanted) : [],
    left: settings.announceLeaves ? summary.left.filter(wanted) : [],
    rename: settings.announceTopic ? summary.rename : null,
  };
}
