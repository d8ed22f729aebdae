import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DEFAULT_CHAT_SETTINGS } from '../../../src/model/chat.js';
import type { TabHistoryResponse, TabSettingsResponse, TabSubscriptionsResponse } from '../../../src/tab/tabApiTypes.js';
import { startTabWorld, type Person, type TabWorld } from '../../support/tab/tabWorld.js';

interface Answer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

describe('tab API', () => {
  let world: TabWorld;

  before(async () => {
    world = await startTabWorld();
  });

  after(async () => {
    await world?.close();
  });

  async function call<T = unknown>(method: string, path: string, init: { token?: string | null; body?: unknown; rawBody?: string } = {}): Promise<Answer<T>> {
    const headers: Record<string, string> = {};
    if (init.token) headers.Authorization = `Bearer ${init.token}`;
    if (init.body !== undefined || init.rawBody !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(`${world.url}${path}`, {
      method,
      headers,
      body: init.rawBody ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
    });
    const text = await response.text();
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    return { status: response.status, headers: response.headers, body: body as T, text };
  }

  const chatPath = (suffix: string, chatId = world.chatId) => `/api/tab/chats/${encodeURIComponent(chatId)}${suffix}`;
  const getSettings = async (person: Person | null, token?: string) =>
    call<TabSettingsResponse>('GET', chatPath('/settings'), { token: token ?? (person ? await world.token(person) : null) });

  function assertUnauthorized(answer: Answer): void {
    assert.equal(answer.status, 401);
    assert.equal(answer.text, '{"error":"unauthorized"}');
    assert.equal(answer.headers.get('www-authenticate'), 'Bearer');
  }

  function assertForbidden(answer: Answer): void {
    assert.equal(answer.status, 403);
    assert.equal(answer.text, '{"error":"forbidden"}');
  }

  describe('token validation', () => {
    it('serves a member whose v2 token is for the Application ID URI api://<PUBLIC_URL host>/<client id>', async () => {
      const answer = await getSettings(world.ada);
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.body.settings, DEFAULT_CHAT_SETTINGS);
      assert.equal(answer.headers.get('cache-control'), 'no-store');
    });

    it('accepts the bare client id as audience (v2 tokens of apps with requestedAccessTokenVersion 2)', async () => {
      assert.equal((await getSettings(null, await world.token(world.ada, { audienceIsClientId: true }))).status, 200);
    });

    it('accepts a v1 token (issuer https://sts.windows.net/{tid}/)', async () => {
      const token = await world.token(world.ada, { overrides: { iss: `https://sts.windows.net/${world.tenantId}/`, ver: '1.0' } });
      assert.equal((await getSettings(null, token)).status, 200);
    });

    it('tolerates a token that expired within the allowed clock skew', async () => {
      assert.equal((await getSettings(null, await world.token(world.ada, { lifetimeSeconds: -30 }))).status, 200);
    });

    it('answers 401 without a token, with no detail', async () => {
      assertUnauthorized(await getSettings(null));
    });

    it('answers 401 for a header that is not a bearer JWT', async () => {
      assertUnauthorized(await call('GET', chatPath('/settings'), { token: 'not-a-jwt' }));
      const basic = await fetch(`${world.url}${chatPath('/settings')}`, { headers: { Authorization: 'Basic YTpi' } });
      assert.equal(basic.status, 401);
    });

    it('answers 401 for an expired token', async () => {
      assertUnauthorized(await getSettings(null, await world.token(world.ada, { lifetimeSeconds: -600 })));
    });

    it('answers 401 for a token meant for another API (wrong audience)', async () => {
      assertUnauthorized(await getSettings(null, await world.token(world.ada, { apiHost: 'someone-else.example' })));
      assertUnauthorized(await getSettings(null, await world.token(world.ada, { overrides: { aud: 'https://graph.microsoft.com' } })));
      assertUnauthorized(await getSettings(null, await world.token(world.ada, { clientId: randomUUID(), audienceIsClientId: true })));
    });

    it('answers 401 for a token from another issuer', async () => {
      assertUnauthorized(await getSettings(null, await world.token(world.ada, { overrides: { iss: `https://evil.example/${world.tenantId}/v2.0` } })));
      // The issuer must name the token's own tenant.
      assertUnauthorized(await getSettings(null, await world.token(world.ada, { overrides: { iss: `${world.login.origin}/${randomUUID()}/v2.0` } })));
    });

    it('answers 401 for a token signed by a key the authority does not publish', async () => {
      assertUnauthorized(await getSettings(null, await world.token(world.ada, { key: 'foreign' })));
      assertUnauthorized(await getSettings(null, await world.token(world.ada, { key: 'foreignWithActiveKid' })));
    });

    it('answers 401 for a token without the access_as_user scope', async () => {
      assertUnauthorized(await getSettings(null, await world.token(world.ada, { scp: 'User.Read' })));
    });

    it('answers 401 for a token without an oid', async () => {
      assertUnauthorized(await getSettings(null, await world.token(world.ada, { overrides: { oid: undefined } })));
    });

    it('answers 403 for a valid token from another tenant than the chat’s', async () => {
      assertForbidden(await getSettings(null, await world.token(world.ada, { tenantId: randomUUID() })));
    });
  });

  describe('membership', () => {
    it('answers 403 to someone who was never in the chat, with no data', async () => {
      const token = await world.token(world.stranger);
      assertForbidden(await call('GET', chatPath('/history'), { token }));
      assertForbidden(await call('GET', chatPath('/settings'), { token }));
      assertForbidden(await call('GET', chatPath('/subscriptions'), { token }));
    });

    it('answers 403 to someone who left the chat', async () => {
      assertForbidden(await getSettings(world.leaver));
    });

    it('answers 403 for a chat Herald has no record of, exactly as for a non-member', async () => {
      const token = await world.token(world.ada);
      assertForbidden(await call('GET', chatPath('/history', '19:ffffffffffffffffffffffffffffffff@thread.v2'), { token }));
      assertForbidden(await call('GET', chatPath('/settings', 'not a chat id'), { token }));
    });

    it('refuses a settings change by a non-member and changes nothing', async () => {
      const events = world.settingsEvents.length;
      const answer = await call('PUT', chatPath('/settings'), { token: await world.token(world.stranger), body: { enabled: false } });
      assertForbidden(answer);
      assert.equal((await world.store.chats.get(world.chatId))?.settings.enabled, true);
      assert.equal(world.settingsEvents.length, events);
    });

    it('checks the token before reading the body or the chat', async () => {
      assertUnauthorized(await call('PUT', chatPath('/settings'), { body: { enabled: false } }));
    });
  });

  describe('history', () => {
    const history = async (query = '') => call<TabHistoryResponse>('GET', chatPath(`/history${query}`), { token: await world.token(world.grace) });

    it('lists the chat’s timeline newest first, guests and external people flagged, other chats left out', async () => {
      const answer = await history();
      assert.equal(answer.status, 200);
      const { entries, nextBefore } = answer.body;
      assert.deepEqual(entries.map((e) => e.id), ['h7', 'h6', 'h5', 'h4', 'h3', 'h2', 'h1']);
      assert.equal(nextBefore, null);
      assert.deepEqual(entries.find((e) => e.id === 'h4'), {
        id: 'h4', at: entries.find((e) => e.id === 'h4')?.at, kind: 'joined', actor: 'Gil Guest', userId: entries.find((e) => e.id === 'h4')?.userId,
        guest: true, external: false, from: null, to: null, detail: null, settings: null, by: null, source: null,
      });
      assert.equal(entries[0]?.external, true);
      assert.deepEqual({ from: entries[2]?.from, to: entries[2]?.to }, { from: 'Project chat', to: 'Launch crew' });
    });

    it('pages with limit and before', async () => {
      const first = await history('?limit=3');
      assert.deepEqual(first.body.entries.map((e) => e.id), ['h7', 'h6', 'h5']);
      assert.equal(first.body.nextBefore, 'h5');
      const second = await history(`?limit=3&before=${first.body.nextBefore}`);
      assert.deepEqual(second.body.entries.map((e) => e.id), ['h4', 'h3', 'h2']);
      const last = await history(`?limit=3&before=${second.body.nextBefore}`);
      assert.deepEqual(last.body.entries.map((e) => e.id), ['h1']);
      assert.equal(last.body.nextBefore, null);
    });

    it('filters by kind', async () => {
      const answer = await history('?kinds=left,renamed');
      assert.deepEqual(answer.body.entries.map((e) => e.kind), ['left', 'renamed']);
    });

    it('refuses a bad limit or an unknown kind with 400', async () => {
      const badLimit = await history('?limit=0');
      assert.equal(badLimit.status, 400);
      assert.deepEqual(badLimit.body, { error: 'invalid_request', message: 'limit must be a whole number from 1 to 100' });
      const badKind = await history('?kinds=joined,exploded');
      assert.equal(badKind.status, 400);
      assert.match((badKind.body as unknown as { message: string }).message, /unknown kind "exploded"/);
    });
  });

  describe('settings', () => {
    it('round-trips a change: stored, effective at once, announced with who changed what, recorded in the history', async () => {
      const events = world.settingsEvents.length;
      const put = await call<TabSettingsResponse>('PUT', chatPath('/settings'), { token: await world.token(world.grace), body: { announceJoins: false, windowMs: 0 } });
      assert.equal(put.status, 200);
      assert.deepEqual(put.body.settings, { ...DEFAULT_CHAT_SETTINGS, announceJoins: false, windowMs: 0 });
      assert.deepEqual(put.body.changes, ['joins off', 'summary window 0s (post at once)']);
      assert.deepEqual((await world.store.chats.get(world.chatId))?.settings, put.body.settings);
      assert.deepEqual(world.settingsEvents.slice(events), [{ chatId: world.chatId, by: 'Grace Hopper', changes: put.body.changes, source: 'tab' }]);

      const get = await getSettings(world.ada);
      assert.deepEqual(get.body.settings, put.body.settings);
      const latest = (await call<TabHistoryResponse>('GET', chatPath('/history?kinds=settingsChanged'), { token: await world.token(world.ada) })).body.entries[0];
      assert.equal(latest?.actor, 'Grace Hopper');
      assert.equal(latest?.detail, 'joins off; summary window 0s (post at once)');
      assert.deepEqual(latest?.settings, [{ setting: 'announceJoins', to: false }, { setting: 'windowMs', to: 0 }], 'the facts, for the page to word in its reader’s language');

      const back = await call<TabSettingsResponse>('PUT', chatPath('/settings'), { token: await world.token(world.ada), body: { announceJoins: true, windowMs: DEFAULT_CHAT_SETTINGS.windowMs } });
      assert.deepEqual(back.body.settings, DEFAULT_CHAT_SETTINGS);
    });

    it('changes the chat\'s language from the tab and answers in it; null goes back to the default', async () => {
      const put = await call<TabSettingsResponse>('PUT', chatPath('/settings'), { token: await world.token(world.grace), body: { language: 'fr', announceLeaves: false } });
      assert.equal(put.status, 200);
      assert.equal(put.body.settings.language, 'fr');
      assert.deepEqual(put.body.changes, ['départs désactivés', 'langue Français']);
      assert.equal(put.body.message, 'Grace Hopper a modifié les paramètres de Herald : départs désactivés; langue Français');
      const refused = await call('PUT', chatPath('/settings'), { token: await world.token(world.ada), body: { language: 'klingon' } });
      // Refused in the chat's language, now French.
      assert.deepEqual(refused.body, { error: 'invalid_setting', setting: 'language', message: 'language doit être l’une de ces valeurs : en, de, fr, es' });

      const back = await call<TabSettingsResponse>('PUT', chatPath('/settings'), { token: await world.token(world.ada), body: { language: null, announceLeaves: true } });
      assert.deepEqual(back.body.settings, DEFAULT_CHAT_SETTINGS);
      assert.equal(back.body.message, "Ada Lovelace changed Herald's settings: leaves on; language English");
    });

    it('answers a change to the current values with no changes and no announcement', async () => {
      const events = world.settingsEvents.length;
      const put = await call<TabSettingsResponse>('PUT', chatPath('/settings'), { token: await world.token(world.ada), body: { enabled: true } });
      assert.equal(put.status, 200);
      assert.deepEqual(put.body.changes, []);
      assert.equal(world.settingsEvents.length, events);
    });

    it('refuses an invalid value with 400 naming the setting', async () => {
      const token = await world.token(world.ada);
      const tooLong = await call('PUT', chatPath('/settings'), { token, body: { enabled: false, windowMs: 3_600_000 } });
      assert.equal(tooLong.status, 400);
      assert.deepEqual(tooLong.body, { error: 'invalid_setting', setting: 'windowMs', message: 'windowMs must be a whole number of milliseconds from 0 to 600000' });
      const notBoolean = await call('PUT', chatPath('/settings'), { token, body: { guestsOnly: 'yes' } });
      assert.deepEqual(notBoolean.body, { error: 'invalid_setting', setting: 'guestsOnly', message: 'guestsOnly must be true or false' });
      const unknown = await call('PUT', chatPath('/settings'), { token, body: { loud: true } });
      assert.deepEqual(unknown.body, { error: 'invalid_setting', setting: 'loud', message: 'unknown setting "loud"' });
      const notObject = await call('PUT', chatPath('/settings'), { token, body: [true] });
      assert.equal(notObject.status, 400);
      assert.equal((notObject.body as { error: string }).error, 'invalid_request');
      // Nothing of the refused requests was applied.
      assert.equal((await world.store.chats.get(world.chatId))?.settings.enabled, true);
    });
  });

  describe('subscriptions', () => {
    it('reports the health of the chat’s own and the tenant-wide subscriptions, with what to do', async () => {
      const answer = await call<TabSubscriptionsResponse>('GET', chatPath('/subscriptions'), { token: await world.token(world.ada) });
      assert.equal(answer.status, 200);
      const { subscriptions } = answer.body;
      assert.deepEqual(subscriptions.map((s) => [s.kind, s.scope, s.state]), [
        ['chatMembers', 'chat', 'alive'],
        ['chat', 'chat', 'failing'],
        ['tenantMembers', 'tenant', 'expired'],
      ]);
      assert.match(subscriptions[0]?.expiresIn ?? '', /^(49|50)m$/);
      assert.equal(subscriptions[0]?.advice, null);
      assert.match(subscriptions[1]?.advice ?? '', /permission/);
      assert.equal(subscriptions[1]?.lastNotificationAt, null);
      assert.equal(subscriptions[2]?.expiresIn, 'expired');
      assert.match(subscriptions[2]?.advice ?? '', /renews subscriptions before they expire/);
      assert.equal(answer.body.evaluationMode, false);
      assert.ok(!answer.text.includes('secret-client-state'), 'client states stay on the server');
    });
  });

  describe('pages', () => {
    it('serves the content page, the config page, the stylesheet and the bundles from Herald itself', async () => {
      for (const [path, type] of [
        ['/tab/index.html', 'text/html'],
        ['/tab/config.html', 'text/html'],
        ['/tab/tab.css', 'text/css'],
        ['/tab/build/tab.js', 'javascript'],
        ['/tab/build/tabconfig.js', 'javascript'],
      ] as const) {
        const response = await fetch(`${world.url}${path}`);
        assert.equal(response.status, 200, path);
        assert.match(response.headers.get('content-type') ?? '', new RegExp(type), path);
        await response.arrayBuffer();
      }
    });

    it('links nothing from other sites and sends a same-origin content security policy', async () => {
      for (const page of ['/tab/index.html', '/tab/config.html']) {
        const response = await fetch(`${world.url}${page}`);
        const html = await response.text();
        assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//, page);
        assert.match(response.headers.get('content-security-policy') ?? '', /script-src 'self'/);
      }
    });

    it('keeps the simulated Teams host page out of live mode', async () => {
      const response = await fetch(`${world.url}/tab/host-demo.html`);
      assert.equal(response.status, 404);
      await response.arrayBuffer();
    });

    it('serves only the tab bundles under /tab/build/', async () => {
      const response = await fetch(`${world.url}/tab/build/other.js`);
      assert.notEqual(response.status, 200);
      await response.arrayBuffer();
    });
  });
});
