import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { TabErrorResponse, TabHistoryResponse, TabSettingsResponse } from '../../../src/tab/tabApiTypes.js';
import { startTabWorld, type Person, type TabWorld } from '../../support/tab/tabWorld.js';

/**
 * Who may change a chat's settings, through the tab API: real HTTP, Teams SSO tokens from the login
 * double, the same rule as the chat commands. The seeded roster has Ada and Grace as owners.
 */
describe('tab API: who may change settings', () => {
  let world: TabWorld;

  beforeEach(async () => {
    world = await startTabWorld();
  });
  afterEach(async () => {
    await world?.close();
  });

  async function call<T>(method: 'GET' | 'PUT', person: Person, body?: unknown): Promise<{ status: number; body: T }> {
    const response = await fetch(`${world.url}/api/tab/chats/${encodeURIComponent(world.chatId)}/settings`, {
      method,
      headers: { Authorization: `Bearer ${await world.token(person)}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as T };
  }

  /** Adds a present person to the chat's roster with these Graph roles (and home tenant). */
  async function addToRoster(name: string, roles: string[], tenantId = world.tenantId): Promise<Person> {
    const someone: Person = { oid: randomUUID(), name };
    await world.store.chats.update(world.chatId, (state) => state && {
      ...state,
      roster: { ...state.roster, [someone.oid]: { userId: someone.oid, displayName: name, tenantId, roles, present: true, changedAt: new Date().toISOString() } },
    });
    return someone;
  }

  it('refuses a guest’s change with 403 saying why and who may, and changes nothing', async () => {
    const gil = await addToRoster('Gil Guest', ['guest']);
    const events = world.settingsEvents.length;
    const put = await call<TabErrorResponse>('PUT', gil, { enabled: false });
    assert.equal(put.status, 403);
    assert.deepEqual(put.body, {
      error: 'not_allowed',
      rule: 'members',
      message: "You can't change Herald's settings here: you are a guest in this chat. Only members of this chat's organization who are not guests can.",
    });
    assert.equal((await world.store.chats.get(world.chatId))?.settings.enabled, true);
    assert.equal(world.settingsEvents.length, events);

    const get = await call<TabSettingsResponse>('GET', gil);
    assert.equal(get.status, 200, 'a guest may still read the settings');
    assert.deepEqual(get.body.mayChange, { allowed: false, message: put.body.message });
  });

  it('answers an accepted change with who made it', async () => {
    const put = await call<TabSettingsResponse>('PUT', world.grace, { announceJoins: false });
    assert.equal(put.status, 200);
    assert.equal(put.body.message, "Grace Hopper changed Herald's settings: joins off");
    assert.deepEqual(put.body.mayChange, { allowed: true, message: null });
    assert.deepEqual((await call<TabSettingsResponse>('GET', world.ada)).body.mayChange, { allowed: true, message: null });
  });

  it('keeps to "owners only" once an owner sets it, the rule itself included', async () => {
    const mo = await addToRoster('Mo Member', []);
    const narrowed = await call<TabSettingsResponse>('PUT', world.ada, { whoMayChange: 'owners' });
    assert.equal(narrowed.status, 200);
    assert.deepEqual(narrowed.body.changes, ['changes by owners only']);
    assert.equal(narrowed.body.settings.whoMayChange, 'owners');

    const refused = await call<TabErrorResponse>('PUT', mo, { whoMayChange: 'members' });
    assert.equal(refused.status, 403);
    assert.deepEqual(refused.body, {
      error: 'not_allowed',
      rule: 'owners',
      message: "You can't change Herald's settings here: you are not an owner of this chat. Only chat owners from this chat's organization (not guests) can.",
    });
    assert.equal((await world.store.chats.get(world.chatId))?.settings.whoMayChange, 'owners');
    assert.equal((await call<TabSettingsResponse>('PUT', world.grace, { enabled: false })).status, 200, 'another owner may');
  });

  it('refuses an unknown rule with 400 naming the setting', async () => {
    const put = await call<TabErrorResponse>('PUT', world.ada, { whoMayChange: 'everyone' });
    assert.equal(put.status, 400);
    assert.deepEqual(put.body, { error: 'invalid_setting', setting: 'whoMayChange', message: 'whoMayChange must be one of members, owners' });
  });

  it('returns names with markup as they are, for the page to show as text', async () => {
    const name = '<b>Eve</b> **Mallory** [x](https://evil.example)';
    const eve = await addToRoster(name, []);
    const put = await call<TabSettingsResponse>('PUT', eve, { announceLeaves: false });
    assert.equal(put.body.message, `${name} changed Herald's settings: leaves off`);
    const history = await fetch(`${world.url}/api/tab/chats/${encodeURIComponent(world.chatId)}/history?kinds=settingsChanged`, {
      headers: { Authorization: `Bearer ${await world.token(eve)}` },
    });
    assert.equal(((await history.json()) as TabHistoryResponse).entries[0]?.actor, name);
  });
});
