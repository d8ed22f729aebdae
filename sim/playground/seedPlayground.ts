/**
 * The world a fresh playground starts with: Contoso's tenant with a few people in a group chat called
 * "Launch crew", and Fabrikam, the home of guests and external people added from the page.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { World } from '../doubles/world/World.js';
import type { PlaygroundMeta } from './PlaygroundStateFile.js';

export const SEED_TOPIC = 'Launch crew';
export const SEED_PEOPLE = ['Ada Lovelace', 'Grace Hopper', 'Katherine Johnson'] as const;

export interface SeededPlayground {
  world: World;
  meta: Omit<PlaygroundMeta, 'connectorPort'>;
}

export function seedPlayground(clock: () => Date): SeededPlayground {
  const world = new World({ clock });
  const home = world.addTenant({ displayName: 'Contoso', domain: 'contoso.example' });
  const other = world.addTenant({ displayName: 'Fabrikam', domain: 'fabrikam.example' });
  const people = SEED_PEOPLE.map((displayName) => world.addUser({ displayName, tenantId: home.id }));
  const chat = world.createChat({ tenantId: home.id, topic: SEED_TOPIC, members: people.map((p) => p.id) });
  const clientId = randomUUID();
  // The Teams catalog entry is registered on every start (with the login registration), from these ids.
  return {
    world,
    meta: {
      tenantId: home.id,
      otherTenantId: other.id,
      chatId: chat.id,
      app: { clientId, clientSecret: randomBytes(24).toString('base64url'), teamsAppId: randomUUID() },
      teamsUserIds: {},
      actingUserId: people[0]?.id ?? '',
    },
  };
}
