import { createHash } from 'node:crypto';
import type { AadUserConversationMember } from '@microsoft/microsoft-graph-types';
import type { ChatGraph } from '../graph/ChatGraph.js';
import type { ChangeEvent } from '../model/changeEvents.js';
import type { ChatMember, ChatState, RosterEntry } from '../model/chat.js';

/** A chat as Graph describes it at one moment: topic and the full member roster with display names. */
export interface ChatSnapshot {
  chatId: string;
  tenantId: string;
  topic: string | null;
  /** Graph's `chat.lastUpdatedDateTime` (ISO, normalised), when given. */
  lastUpdatedDateTime: string | null;
  members: ChatMember[];
  /** When the reads started (Herald's clock): changes Herald applied after this are newer than the snapshot. */
  takenAt: string;
}

/** Blank and whitespace topics mean "no name", as Teams shows them. */
export function normalizeTopic(topic: string | null | undefined): string | null {
  return topic && topic.trim() ? topic : null;
}

function isoOrNull(value: string | null | undefined): string | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

export function memberFromGraph(member: AadUserConversationMember): ChatMember | null {
  const userId = member.userId?.trim();
  if (!userId) return null;
  return {
    ...(member.id ? { membershipId: member.id } : {}),
    userId,
    displayName: member.displayName?.trim() ? member.displayName : null,
    tenantId: member.tenantId ?? null,
    roles: (member.roles ?? []).filter((r): r is string => typeof r === 'string'),
  };
}

/** Reads a chat and its members (two Graph calls) into a snapshot. */
export async function readChatSnapshot(graph: Pick<ChatGraph, 'getChat' | 'listChatMembers'>, tenantId: string, chatId: string, now: Date): Promise<ChatSnapshot> {
  const takenAt = now.toISOString();
  const chat = await graph.getChat(tenantId, chatId);
  const members = await graph.listChatMembers(tenantId, chatId);
  return {
    chatId,
    tenantId,
    topic: normalizeTopic(chat.topic),
    lastUpdatedDateTime: isoOrNull(chat.lastUpdatedDateTime),
    members: members.map(memberFromGraph).filter((m): m is ChatMember => m !== null),
    takenAt,
  };
}

/**
 * Folds a snapshot into the stored state without announcing anything: the truth later changes are
 * described against. Settings, and roster entries Herald changed after the snapshot started, are kept;
 * people no longer listed stay in the roster as not present so their names remain known.
 */
export function applyBaseline(state: ChatState, snapshot: ChatSnapshot, ignoredUserIds: ReadonlySet<string> = new Set()): ChatState {
  const at = snapshot.takenAt;
  const roster: Record<string, RosterEntry> = { ...state.roster };
  const listed = new Set<string>();
  for (const member of snapshot.members) {
    if (ignoredUserIds.has(member.userId.toLowerCase())) continue;
    listed.add(member.userId);
    const entry = roster[member.userId];
    if (entry && entry.changedAt > at) continue;
    roster[member.userId] = {
      ...member,
      membershipId: member.membershipId ?? entry?.membershipId,
      displayName: member.displayName ?? entry?.displayName ?? null,
      present: true,
      changedAt: entry?.present ? entry.changedAt : at,
    };
  }
  for (const entry of Object.values(roster)) {
    if (entry.present && !listed.has(entry.userId) && !(entry.changedAt > at)) roster[entry.userId] = { ...entry, present: false, changedAt: at };
  }
  const topicIsNewer = !(snapshot.lastUpdatedDateTime && state.topicUpdatedAt && snapshot.lastUpdatedDateTime < state.topicUpdatedAt);
  return {
    ...state,
    tenantId: state.tenantId || snapshot.tenantId,
    topic: topicIsNewer ? snapshot.topic : state.topic,
    topicUpdatedAt: topicIsNewer ? (snapshot.lastUpdatedDateTime ?? state.topicUpdatedAt) : state.topicUpdatedAt,
    roster,
    baselineAt: at,
  };
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 16);
}

/**
 * What changed between the stored state and Graph's current view, as change events for the announcer
 * (`source: 'reconcile'`). Roster entries Herald changed after the snapshot's reads started are newer
 * than the snapshot and left alone. Each key names the change relative to the stored entry it was diffed against,
 * so diffing the same state twice yields the same keys (deduplicated) while a later real change gets a new one.
 */
export function diffSnapshot(state: ChatState, snapshot: ChatSnapshot, receivedAt: string, ignoredUserIds: ReadonlySet<string> = new Set()): ChangeEvent[] {
  const base = { tenantId: snapshot.tenantId, chatId: snapshot.chatId, source: 'reconcile' as const, receivedAt };
  const events: ChangeEvent[] = [];
  const topic = normalizeTopic(snapshot.topic);
  const storedNewer = snapshot.lastUpdatedDateTime && state.topicUpdatedAt && snapshot.lastUpdatedDateTime < state.topicUpdatedAt;
  if (topic !== normalizeTopic(state.topic) && !storedNewer) {
    events.push({
      ...base,
      kind: 'chatUpdated',
      changeKey: `reconcile|chatUpdated|${snapshot.chatId}|${snapshot.lastUpdatedDateTime ?? ''}|${shortHash(topic ?? '')}`,
      chat: { topic, lastUpdatedDateTime: snapshot.lastUpdatedDateTime },
    });
  }
  const listed = new Set<string>();
  for (const member of snapshot.members) {
    if (ignoredUserIds.has(member.userId.toLowerCase())) continue;
    listed.add(member.userId);
    const entry = state.roster[member.userId];
    // Present already, or left after the reads started (the snapshot is older than that): nothing to say.
    if (entry?.present || (entry && entry.changedAt > snapshot.takenAt)) continue;
    events.push({
      ...base,
      kind: 'memberAdded',
      changeKey: `reconcile|memberAdded|${snapshot.chatId}|${member.userId}|${entry?.changedAt ?? 'new'}`,
      member,
      at: null,
    });
  }
  for (const entry of Object.values(state.roster)) {
    if (!entry.present || listed.has(entry.userId) || ignoredUserIds.has(entry.userId.toLowerCase())) continue;
    if (entry.changedAt > snapshot.takenAt) continue; // joined after the reads started
    events.push({
      ...base,
      kind: 'memberRemoved',
      changeKey: `reconcile|memberRemoved|${snapshot.chatId}|${entry.userId}|${entry.changedAt}`,
      member: {
        userId: entry.userId,
        ...(entry.membershipId ? { membershipId: entry.membershipId } : {}),
        displayName: entry.displayName,
        tenantId: entry.tenantId,
        roles: entry.roles,
      },
      at: null,
    });
  }
  return events;
}
