import type { ChangeActor, ChangeEvent, ChatUpdatedEvent, MemberAddedEvent, MemberRemovedEvent } from '../model/changeEvents.js';
import type { ChatMember, ChatState, RosterEntry } from '../model/chat.js';
import type { HistorySource } from '../model/history.js';
import { decodeMembershipId } from '../names/membershipId.js';
import { normaliseTopic, type AnnouncementChange, type PersonRef } from './AnnouncementChange.js';

/**
 * - `applied`: the state changed (with or without something to announce);
 * - `unchanged`: already known (duplicate delivery, second subscription, no-op update);
 * - `stale`: older than what Herald knows (late or out-of-order delivery): nothing changes;
 * - `ignored`: not about the chat's topic or roster (user-specific payload, Herald itself, messages).
 */
export type ApplyOutcome = 'applied' | 'unchanged' | 'stale' | 'ignored';

export interface ApplyResult {
  state: ChatState;
  changes: AnnouncementChange[];
  outcome: ApplyOutcome;
  reason: string;
  /** A join of someone already present or a leave of someone already gone (see MembershipOrder). */
  noOp?: { userId: string; kind: 'joined' | 'left' };
}

export interface ChatStateUpdaterOptions {
  /** Herald's own ids (bot app id, Entra client id): changes about Herald itself are never announced. */
  ownIds: Iterable<string>;
}

/** Milliseconds of an ISO instant (offsets allowed), or null when absent or unreadable. */
function instant(value: string | null | undefined): number | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

function isBefore(a: string | null | undefined, b: string | null | undefined): boolean {
  const x = instant(a);
  const y = instant(b);
  return x !== null && y !== null && x < y;
}

function normaliseInstant(value: string | null | undefined): string | null {
  const ms = instant(value);
  return ms === null ? null : new Date(ms).toISOString();
}

function later(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return isBefore(a, b) ? b : a;
}

function nonEmpty(value: string | null | undefined): string | null {
  return value && value.trim() ? value : null;
}

function isGuest(roles: readonly string[] | undefined): boolean {
  return (roles ?? []).some((r) => r.toLowerCase() === 'guest');
}

/** Guests are marked as guests; other people whose home tenant differs from the chat's are external. */
export function personOf(entry: Pick<ChatMember, 'userId' | 'displayName' | 'tenantId' | 'roles'>, chatTenantId: string): PersonRef {
  const guest = isGuest(entry.roles);
  const external = !guest && Boolean(entry.tenantId) && entry.tenantId?.toLowerCase() !== chatTenantId.toLowerCase();
  return { userId: entry.userId, displayName: nonEmpty(entry.displayName), guest, external };
}

/**
 * Applies change events to a chat's stored state. Pure: the caller reads the state, applies, and writes
 * the result back. Guards: a property absent from a payload is not a change; an update older than the
 * stored one (chat `lastUpdatedDateTime`, roster entry `changedAt`) changes nothing; a join of someone
 * present or a leave of someone gone changes nothing.
 */
export class ChatStateUpdater {
  private readonly ownIds: Set<string>;

  constructor(options: ChatStateUpdaterOptions) {
    this.ownIds = new Set([...options.ownIds].filter(Boolean).flatMap((id) => [id.toLowerCase(), `28:${id.toLowerCase()}`]));
  }

  isOwn(userId: string): boolean {
    return this.ownIds.has(userId.toLowerCase());
  }

  apply(state: ChatState, event: ChangeEvent): ApplyResult {
    switch (event.kind) {
      case 'chatUpdated':
        return this.applyChatUpdated(state, event);
      case 'memberAdded':
        return this.applyMemberAdded(state, event);
      case 'memberRemoved':
        return this.applyMemberRemoved(state, event);
      case 'messageCreated':
        // Messages (Herald's own posts included) never lead to announcements.
        return result(state, 'ignored', 'messages are not announced');
    }
  }

  private applyChatUpdated(state: ChatState, event: ChatUpdatedEvent): ApplyResult {
    const chat = event.chat;
    if (chat.viewpoint !== undefined) return result(state, 'ignored', 'user-specific (viewpoint) payload');
    if (chat.topic === undefined) return result(state, 'ignored', 'no topic in the payload');
    const topic = normaliseTopic(chat.topic);
    const stamp = normaliseInstant(chat.lastUpdatedDateTime);
    if (stamp && state.topicUpdatedAt && isBefore(stamp, state.topicUpdatedAt)) {
      return result(state, 'stale', 'older than the stored topic');
    }
    if (topic === normaliseTopic(state.topic)) {
      const newer = later(state.topicUpdatedAt, stamp);
      if (newer === state.topicUpdatedAt) return result(state, 'unchanged', 'same topic');
      return result({ ...state, topicUpdatedAt: newer }, 'applied', 'same topic, newer time');
    }
    if (stamp && state.topicUpdatedAt && stamp === state.topicUpdatedAt) {
      return result(state, 'stale', 'conflicting topic with the same update time');
    }
    const next: ChatState = { ...state, topic, topicUpdatedAt: stamp ?? state.topicUpdatedAt };
    if (state.topicUpdatedAt === null && state.baselineAt === null) {
      // Herald never knew this chat's topic: adopt it rather than announce a rename it cannot vouch for.
      return result(next, 'applied', 'first topic seen (baseline)');
    }
    return result(next, 'applied', 'topic changed', [{ kind: 'renamed', at: stamp ?? event.receivedAt, from: normaliseTopic(state.topic), to: topic }]);
  }

  private applyMemberAdded(state: ChatState, event: MemberAddedEvent): ApplyResult {
    const member = event.member;
    const userId = member.userId?.trim();
    if (!userId) return result(state, 'ignored', 'member without user id');
    if (this.isOwn(userId)) return result(state, 'ignored', 'Herald itself');
    const at = normaliseInstant(event.at) ?? normaliseInstant(event.receivedAt) ?? event.receivedAt;
    const entry = state.roster[userId];
    if (entry && isBefore(at, entry.changedAt)) return result(state, 'stale', 'older than the roster entry');
    const facts = factsOfJoin(event, entry);
    const merged: RosterEntry = {
      membershipId: member.membershipId ?? entry?.membershipId,
      userId,
      displayName: nonEmpty(member.displayName) ?? entry?.displayName ?? null,
      ...facts,
      present: true,
      changedAt: entry?.present ? entry.changedAt : at,
    };
    const next = { ...state, roster: { ...state.roster, [userId]: merged } };
    if (entry?.present) {
      const same = sameEntry(entry, merged);
      return { ...result(same ? state : next, same ? 'unchanged' : 'applied', 'already present'), noOp: { userId, kind: 'joined' } };
    }
    return result(next, 'applied', 'joined', [{ kind: 'joined', at, person: withActor(personOf(merged, state.tenantId), actorName(state, event.actor, userId)), source: sourceOf(event) }]);
  }

  private applyMemberRemoved(state: ChatState, event: MemberRemovedEvent): ApplyResult {
    const member = event.member;
    const userId = this.userIdOfRemoval(state, member);
    if (!userId) return result(state, 'ignored', 'removed member cannot be identified');
    if (this.isOwn(userId)) return result(state, 'ignored', 'Herald itself');
    const at = normaliseInstant(event.at) ?? normaliseInstant(event.receivedAt) ?? event.receivedAt;
    const entry = state.roster[userId];
    if (entry && isBefore(at, entry.changedAt)) return result(state, 'stale', 'older than the roster entry');
    if (entry && !entry.present) return { ...result(state, 'unchanged', 'already gone'), noOp: { userId, kind: 'left' } };
    // Keep the entry (present: false) so later posts and the tab still know the person's name.
    const merged: RosterEntry = {
      membershipId: member.membershipId ?? entry?.membershipId,
      userId,
      displayName: entry?.displayName ?? nonEmpty(member.displayName) ?? null,
      tenantId: entry?.tenantId ?? member.tenantId ?? null,
      roles: entry?.roles ?? member.roles ?? [],
      ...(entry?.rolesSource ? { rolesSource: entry.rolesSource } : {}),
      present: false,
      changedAt: at,
    };
    const next = { ...state, roster: { ...state.roster, [userId]: merged } };
    return result(next, 'applied', 'left', [{ kind: 'left', at, person: withActor(personOf(merged, state.tenantId), actorName(state, event.actor, userId)), source: sourceOf(event) }]);
  }

  private userIdOfRemoval(state: ChatState, member: MemberRemovedEvent['member']): string | null {
    const direct = member.userId?.trim();
    if (direct) return direct;
    if (!member.membershipId) return null;
    const known = Object.values(state.roster).find((e) => e.membershipId === member.membershipId);
    if (known) return known.userId;
    return decodeMembershipId(member.membershipId)?.userId ?? null;
  }
}

/**
 * The name of who made a change, when Teams named someone other than the person (a person removing
 * themselves left; nobody adds themselves to a group chat): from the event, else the roster. Null when
 * unknown: Herald then says nothing about who.
 */
export function actorName(state: ChatState, actor: ChangeActor | null | undefined, personId: string): string | null {
  if (!actor?.userId || actor.userId.toLowerCase() === personId.toLowerCase()) return null;
  const known = Object.values(state.roster).find((e) => e.userId.toLowerCase() === actor.userId.toLowerCase());
  return nonEmpty(actor.name) ?? nonEmpty(known?.displayName) ?? null;
}

/**
 * Home tenant and roles of someone joining. Graph's member item is the authority (it alone knows owners).
 * A bot event knows them only from the Bot Connector (tenant, guest), or not at all (tenant null): it
 * never overwrites what Graph said about someone present, and without the connector's record it leaves
 * what was known before.
 */
function factsOfJoin(event: MemberAddedEvent, entry: RosterEntry | undefined): Pick<RosterEntry, 'tenantId' | 'roles' | 'rolesSource'> {
  const { member } = event;
  if (event.source !== 'bot') return { tenantId: member.tenantId ?? entry?.tenantId ?? null, roles: member.roles ?? entry?.roles ?? [] };
  const kept = (e: RosterEntry) => ({ tenantId: e.tenantId, roles: e.roles, ...(e.rolesSource ? { rolesSource: e.rolesSource } : {}) });
  if (entry?.present && entry.tenantId) return kept(entry);
  if (member.tenantId || !entry) return { tenantId: member.tenantId, roles: member.roles, rolesSource: 'connector' };
  return kept(entry);
}

/** A notification or a reconcile is Graph's word; a conversationUpdate is Teams' through the bot. */
function sourceOf(event: { source: ChangeEvent['source'] }): HistorySource {
  return event.source === 'bot' ? 'bot' : 'graph';
}

function withActor(person: PersonRef, by: string | null): PersonRef {
  return by ? { ...person, by } : person;
}

function sameEntry(a: RosterEntry, b: RosterEntry): boolean {
  return (
    a.membershipId === b.membershipId &&
    a.displayName === b.displayName &&
    a.tenantId === b.tenantId &&
    a.present === b.present &&
    a.changedAt === b.changedAt &&
    a.rolesSource === b.rolesSource &&
    a.roles.join('\n') === b.roles.join('\n')
  );
}

function result(state: ChatState, outcome: ApplyOutcome, reason: string, changes: AnnouncementChange[] = []): ApplyResult {
  return { state, changes, outcome, reason };
}
