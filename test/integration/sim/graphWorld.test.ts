import assert from 'node:assert/strict';
import { membershipIdFor, World, WorldError } from '../../../sim/doubles/world/World.js';
import type { WorldEvent } from '../../../sim/doubles/world/types.js';

describe('world model of the doubles', () => {
  let now: Date;
  let world: World;
  let events: WorldEvent[];
  let tenantId: string;

  beforeEach(() => {
    now = new Date('2026-03-01T09:00:00.000Z');
    world = new World({ clock: () => now });
    events = [];
    world.on((event) => events.push(event));
    tenantId = world.addTenant({ displayName: 'Contoso' }).id;
  });

  it('creates group chats with thread ids, owners and guests, and membership ids as Graph encodes them', () => {
    const ada = world.addUser({ displayName: 'Ada Lovelace', tenantId });
    const guest = world.addUser({ displayName: 'Gus', tenantId: world.addTenant({ displayName: 'Fabrikam' }).id, guest: true });
    const chat = world.createChat({ tenantId, topic: 'Launch', members: [ada.id, guest.id] });
    assert.match(chat.id, /^19:[0-9a-f]{32}@thread\.v2$/);
    assert.equal(chat.chatType, 'group');
    assert.equal(chat.createdDateTime, '2026-03-01T09:00:00.000Z');
    assert.deepEqual(chat.members.map((m) => m.roles), [['owner'], ['guest']]);
    assert.equal(chat.members[0]?.id, Buffer.from(`0##${tenantId}##${chat.id}##${ada.id}`).toString('base64'));
    assert.equal(membershipIdFor(tenantId, chat.id, ada.id), chat.members[0]?.id);
    assert.equal(events[0]?.type, 'chatCreated');
  });

  it('emits typed events for every mutation and bumps lastUpdatedDateTime', () => {
    const ada = world.addUser({ displayName: 'Ada', tenantId });
    const bob = world.addUser({ displayName: 'Bob', tenantId });
    const app = world.registerTeamsApp({ clientId: 'client-1' });
    const chat = world.createChat({ tenantId, members: [ada.id] });
    now = new Date('2026-03-01T10:00:00.000Z');
    world.addMember(chat.id, bob.id);
    world.renameChat(chat.id, 'New name');
    world.installApp(chat.id, app.id);
    assert.equal(world.isClientInstalledIn(chat.id, 'client-1'), true);
    world.removeMember(chat.id, bob.id);
    world.uninstallApp(chat.id, app.id);
    assert.deepEqual(events.map((e) => e.type), ['chatCreated', 'memberAdded', 'chatRenamed', 'appInstalled', 'memberRemoved', 'appUninstalled']);
    const renamed = events[2];
    assert.ok(renamed?.type === 'chatRenamed');
    assert.equal(renamed.previousTopic, null);
    assert.equal(renamed.chat.topic, 'New name');
    const removed = events[4];
    assert.ok(removed?.type === 'memberRemoved');
    assert.equal(removed.membership.userId, bob.id);
    assert.equal(world.getChat(chat.id)?.lastUpdatedDateTime, '2026-03-01T10:00:00.000Z');
  });

  it('refuses impossible mutations with typed errors', () => {
    const ada = world.addUser({ displayName: 'Ada', tenantId });
    const chat = world.createChat({ tenantId, members: [ada.id] });
    assert.throws(() => world.addMember(chat.id, ada.id), (e: WorldError) => e.code === 'Conflict');
    assert.throws(() => world.removeMember(chat.id, 'nobody'), (e: WorldError) => e.code === 'NotFound');
    assert.throws(() => world.renameChat('19:none@thread.v2', 'x'), (e: WorldError) => e.code === 'NotFound');
    assert.throws(() => world.installApp(chat.id, 'unknown-app'), (e: WorldError) => e.code === 'NotFound');
  });

  it('hands out copies that callers cannot use to change the world', () => {
    const ada = world.addUser({ displayName: 'Ada', tenantId });
    const chat = world.createChat({ tenantId, members: [ada.id] });
    chat.members.length = 0;
    chat.topic = 'hacked';
    assert.equal(world.getChat(chat.id)?.members.length, 1);
    assert.equal(world.getChat(chat.id)?.topic, null);
  });

  it('survives toJSON/fromJSON', () => {
    const ada = world.addUser({ displayName: 'Ada', tenantId });
    const app = world.registerTeamsApp({ clientId: 'client-1' });
    const chat = world.createChat({ tenantId, topic: 'Saved', members: [ada.id] });
    world.installApp(chat.id, app.id);
    const restored = World.fromJSON(JSON.parse(JSON.stringify(world)) as ReturnType<World['toJSON']>);
    assert.deepEqual(restored.toJSON(), world.toJSON());
    assert.equal(restored.isClientInstalledIn(chat.id, 'client-1'), true);
  });
});
