import type { ChatState } from '../model/chat.js';
import type { AnnouncementChange, PersonChange } from './AnnouncementChange.js';
import { isPersonChange } from './AnnouncementChange.js';

/**
 * Membership notifications carry no time of their own, so a leave and a join of one person delivered out
 * of order (a backlog, or two subscriptions) look like a no-op followed by a real change: "joined" for
 * someone who has in fact left. When a person's change follows, within `windowMs`, a report of the
 * opposite change that changed nothing, the order is ambiguous: the change is marked `uncertain` and the
 * announcement asks Graph for the current membership first (`settleUncertain`).
 */
export class MembershipOrder {
  /** `${chatId}|${userId}` → the no-op report (its kind and receipt time, ms). */
  private readonly noOps = new Map<string, { kind: PersonChange['kind']; at: number }>();

  constructor(private readonly windowMs = 10 * 60_000) {}

  /** A join of someone present or a leave of someone gone was reported. */
  noteNoOp(chatId: string, userId: string, kind: PersonChange['kind'], receivedAt: string): void {
    this.prune(Date.parse(receivedAt));
    this.noOps.set(`${chatId}|${userId}`, { kind, at: Date.parse(receivedAt) });
  }

  /** The changes, with those whose order is ambiguous marked `uncertain`. */
  mark(chatId: string, changes: readonly AnnouncementChange[], receivedAt: string): AnnouncementChange[] {
    const now = Date.parse(receivedAt);
    return changes.map((change) => {
      if (!isPersonChange(change)) return change;
      const noOp = this.noOps.get(`${chatId}|${change.person.userId}`);
      const ambiguous = noOp !== undefined && noOp.kind !== change.kind && Math.abs(now - noOp.at) <= this.windowMs;
      return ambiguous ? { ...change, uncertain: true } : change;
    });
  }

  private prune(now: number): void {
    if (this.noOps.size < 1000) return;
    for (const [key, noOp] of this.noOps) if (now - noOp.at > this.windowMs) this.noOps.delete(key);
  }
}

export function hasUncertain(changes: readonly AnnouncementChange[]): boolean {
  return changes.some((c) => isPersonChange(c) && c.uncertain === true);
}

/**
 * Replaces the changes of each uncertain person by what is true now: `present` is the chat's current
 * membership (user ids, as Graph lists it). Someone there now who was not before is "joined", someone
 * gone who was there is "left"; otherwise nothing is said. The roster follows the same truth.
 */
export function settleUncertain(state: ChatState, changes: readonly AnnouncementChange[], present: ReadonlySet<string>, at: string): { state: ChatState; changes: AnnouncementChange[] } {
  const uncertain = new Set(changes.filter((c): c is PersonChange => isPersonChange(c) && c.uncertain === true).map((c) => c.person.userId));
  if (uncertain.size === 0) return { state, changes: [...changes] };
  let roster = state.roster;
  const settled: AnnouncementChange[] = [];
  const done = new Set<string>();
  for (const change of changes) {
    if (!isPersonChange(change) || !uncertain.has(change.person.userId)) {
      settled.push(change);
      continue;
    }
    const { userId } = change.person;
    if (done.has(userId)) continue;
    done.add(userId);
    // The first change says what the person was before: someone who "left" was there.
    const before = change.kind === 'left';
    const now = present.has(userId.toLowerCase());
    const person = [...changes].reverse().find((c): c is PersonChange => isPersonChange(c) && c.person.userId === userId)?.person ?? change.person;
    if (before !== now) settled.push({ kind: now ? 'joined' : 'left', at, person });
    const entry = roster[userId];
    if (entry && entry.present !== now) roster = { ...roster, [userId]: { ...entry, present: now, changedAt: at } };
  }
  return { state: roster === state.roster ? state : { ...state, roster }, changes: settled };
}
