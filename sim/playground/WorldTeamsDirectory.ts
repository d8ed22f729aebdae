/**
 * The Bot Connector double's rosters, read from the simulated world: whoever is in the world's chat is
 * in Teams' roster, so a member added on the page is also who Herald finds through TeamsInfo.
 */
import type { TeamsDirectory, TeamsMember } from '../doubles/teams/index.js';
import { newTeamsUserId } from '../doubles/teams/index.js';
import type { World } from '../doubles/world/World.js';
import type { WorldUser } from '../doubles/world/types.js';

export class WorldTeamsDirectory implements TeamsDirectory {
  constructor(
    private readonly world: World,
    /** userId → `29:` id; new ids are added here (the playground saves them). */
    private readonly teamsIds: Record<string, string>,
    private readonly onNewId: () => void = () => undefined,
  ) {}

  listMembers(conversationId: string): TeamsMember[] | undefined {
    const chat = this.world.getChat(conversationId);
    if (!chat) return undefined;
    return chat.members.flatMap((m) => {
      const user = this.world.getUser(m.userId);
      return user ? [this.member(user)] : [];
    });
  }

  /** The person as Teams addresses them (`29:` id, Entra object id, home tenant, UPN). */
  member(user: WorldUser): TeamsMember {
    const [givenName, ...rest] = user.displayName.split(/\s+/);
    const upn = user.mail ?? `${user.id}@${user.tenantId}`;
    return {
      id: this.teamsIdOf(user.id),
      name: user.displayName,
      aadObjectId: user.id,
      tenantId: user.tenantId,
      userPrincipalName: upn,
      email: upn,
      givenName,
      surname: rest.length > 0 ? rest.join(' ') : undefined,
      userRole: user.guest ? 'guest' : 'user',
    };
  }

  private teamsIdOf(userId: string): string {
    let id = this.teamsIds[userId];
    if (!id) {
      id = newTeamsUserId();
      this.teamsIds[userId] = id;
      this.onNewId();
    }
    return id;
  }
}
