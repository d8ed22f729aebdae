import type { ChangeEvent } from '../model/changeEvents.js';
import type { ChatState } from '../model/chat.js';
import { isPersonChange, type AnnouncementChange } from './AnnouncementChange.js';
import { actorName, personOf } from './ChatStateUpdater.js';
import { amendPerson } from './SummaryWindow.js';

// How a report of a change relates to what a chat's summary window collected.

/**
 * A report of a change the other source made first completes it while its window is open (a change
 * already posted stays as posted): a bot event names who made a change Graph reported; Graph's item says
 * whether someone Teams' bot event reported is a guest or from another organization (the bot event knows
 * it only when the Bot Connector could be read), so marks and "guests only" do not depend on which source
 * came first. The window's changes amended, or null when nothing changes.
 */
export function completedByOtherSource(event: ChangeEvent, state: ChatState, collected: readonly unknown[]): unknown[] | null {
  if ((event.kind !== 'memberAdded' && event.kind !== 'memberRemoved') || !event.member.userId) return null;
  const userId = event.member.userId;
  const kind = event.kind === 'memberAdded' ? 'joined' : 'left';
  if (event.source === 'bot') {
    const by = actorName(state, event.actor, userId);
    return by ? amendPerson(collected, userId, kind, (person) => (person.by ? null : { ...person, by })) : null;
  }
  const entry = state.roster[userId];
  if (kind !== 'joined' || !entry?.present || !entry.tenantId) return null;
  const { guest, external } = personOf(entry, state.tenantId);
  return amendPerson(collected, userId, kind, (person) => (person.guest === guest && person.external === external ? null : { ...person, guest, external }));
}

/**
 * The changes without those the roster recorded again since (a baseline read from Graph while the
 * window was open found the person as the change left them, at a later time): what a baseline found is
 * never announced. Only a person's last change counts; earlier ones are part of their story.
 */
export function notRecordedSince(state: ChatState, changes: AnnouncementChange[]): AnnouncementChange[] {
  const last = new Map<string, AnnouncementChange>();
  for (const change of changes) if (isPersonChange(change)) last.set(change.person.userId, change);
  return changes.filter((change) => {
    if (!isPersonChange(change) || last.get(change.person.userId) !== change) return true;
    const entry = state.roster[change.person.userId];
    const same = entry?.present === (change.kind === 'joined');
    return !(entry && same && Date.parse(entry.changedAt) > Date.parse(change.at));
  });
}

