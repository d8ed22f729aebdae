import { randomUUID } from 'node:crypto';
import type { TeamsChannelAccountJson, TeamsUserRole } from './activityJson.js';
import { newTeamsUserId } from './teamsIds.js';

/** A person as the Teams connector knows them in a conversation roster. */
export interface TeamsMember {
  /** Bot Framework user id, `29:…`. */
  id: string;
  name: string;
  /** Entra object id. */
  aadObjectId: string;
  /** The member's home tenant (differs from the chat's tenant for external people). */
  tenantId: string;
  userPrincipalName?: string;
  email?: string;
  givenName?: string;
  surname?: string;
  userRole?: TeamsUserRole;
}

/**
 * Where the connector reads rosters from. The playground backs it with its simulated world;
 * tests use `InMemoryTeamsDirectory`. `undefined` means the conversation is unknown (404).
 */
export interface TeamsDirectory {
  listMembers(conversationId: string): Promise<TeamsMember[] | undefined> | TeamsMember[] | undefined;
}

export interface NewTeamsMemberInput {
  name: string;
  tenantId: string;
  aadObjectId?: string;
  id?: string;
  userPrincipalName?: string;
  userRole?: TeamsUserRole;
}

/** A plausible member with fresh ids; the UPN is derived from the name unless given. */
export function newTeamsMember(input: NewTeamsMemberInput): TeamsMember {
  const [givenName, ...rest] = input.name.trim().split(/\s+/);
  const upn = input.userPrincipalName ?? `${input.name.trim().toLowerCase().replace(/[^a-z0-9]+/g, '.')}@${input.tenantId.slice(0, 8)}.example`;
  return {
    id: input.id ?? newTeamsUserId(),
    name: input.name,
    aadObjectId: input.aadObjectId ?? randomUUID(),
    tenantId: input.tenantId,
    userPrincipalName: upn,
    email: upn,
    givenName,
    surname: rest.length > 0 ? rest.join(' ') : undefined,
    userRole: input.userRole ?? 'user',
  };
}

/** Teams resolves a member by its `29:` id, its Entra object id or its UPN. */
export function findMember(members: readonly TeamsMember[], key: string): TeamsMember | undefined {
  const lower = key.toLowerCase();
  return members.find(
    (m) => m.id === key || m.aadObjectId.toLowerCase() === lower || m.userPrincipalName?.toLowerCase() === lower,
  );
}

export function toTeamsChannelAccountJson(member: TeamsMember): TeamsChannelAccountJson {
  return {
    id: member.id,
    name: member.name,
    objectId: member.aadObjectId,
    aadObjectId: member.aadObjectId,
    givenName: member.givenName,
    surname: member.surname,
    email: member.email,
    userPrincipalName: member.userPrincipalName,
    tenantId: member.tenantId,
    userRole: member.userRole ?? 'user',
  };
}

/** Rosters kept in memory, keyed by conversation id. */
export class InMemoryTeamsDirectory implements TeamsDirectory {
  private readonly rosters = new Map<string, TeamsMember[]>();

  listMembers(conversationId: string): TeamsMember[] | undefined {
    const roster = this.rosters.get(conversationId);
    return roster ? [...roster] : undefined;
  }

  setMembers(conversationId: string, members: readonly TeamsMember[]): void {
    this.rosters.set(conversationId, [...members]);
  }

  /** Adds or replaces (same `29:` id) a member; creates the conversation when unknown. */
  addMember(conversationId: string, member: TeamsMember): void {
    const roster = (this.rosters.get(conversationId) ?? []).filter((m) => m.id !== member.id);
    roster.push(member);
    this.rosters.set(conversationId, roster);
  }

  /** Removes by `29:` id, Entra object id or UPN; returns whether someone was removed. */
  removeMember(conversationId: string, key: string): boolean {
    const roster = this.rosters.get(conversationId);
    const found = roster ? findMember(roster, key) : undefined;
    if (!roster || !found) return false;
    this.rosters.set(conversationId, roster.filter((m) => m !== found));
    return true;
  }

  forgetConversation(conversationId: string): void {
    this.rosters.delete(conversationId);
  }
}
