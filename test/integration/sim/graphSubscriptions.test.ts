import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createEncryptionCertificate, startNotificationReceiver, type NotificationReceiver } from '../../../sim/doubles/graph/notificationReceiver.js';
import { LIFECYCLE_REQUIRED_MESSAGE } from '../../../sim/doubles/graph/subscriptionRequests.js';
import { startGraphWorld, type AppRegistration, type GraphWorld } from '../../../sim/doubles/world/startGraphWorld.js';
import type { WorldChat } from '../../../sim/doubles/world/types.js';

interface GraphResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown> & { error?: { code: string; message: string; innerError: Record<string, string> } };
}

const MINUTE = 60_000;

describe('graph double: subscriptions', () => {
  let env: GraphWorld;
  let receiver: NotificationReceiver;
  let app: AppRegistration;
  let tenantId: string;
  let otherTenantId: string;
  let chat: WorldChat;
  let notInstalledChat: WorldChat;
  let certificate: { base64Der: string; privateKeyPem: string };
  let offsetMs = 0;
  const clock = () => new Date(Date.now() + offsetMs);

  before(async () => {
    env = await startGraphWorld({
      clock,
      graph: { delivery: { retryDelaysMs: [10], firstAttemptTimeoutMs: 2000, retryTimeoutMs: 2000 }, handshakeTimeoutMs: 400, subscriptionPageSize: 2 },
    });
    receiver = await startNotificationReceiver();
    certificate = await createEncryptionCertificate();
    const { world } = env;
    tenantId = world.addTenant({ displayName: 'Contoso' }).id;
    otherTenantId = world.addTenant({ displayName: 'Fabrikam' }).id;
    app = env.registerApp();
    const ada = world.addUser({ displayName: 'Ada Lovelace', tenantId });
    const bob = world.addUser({ displayName: 'Bob Builder', tenantId });
    chat = world.createChat({ tenantId, topic: 'Launch', members: [ada.id, bob.id] });
    world.installApp(chat.id, app.teamsAppId);
    notInstalledChat = world.createChat({ tenantId, topic: 'Elsewhere', members: [ada.id] });
  });

  after(async () => {
    await receiver.close();
    await env.close();
  });

  afterEach(async () => {
    offsetMs = 0;
    receiver.handshakeMode = 'echo';
    await env.whenIdle();
  });

  async function token(tenant = tenantId, registration = app): Promise<string> {
    const response = await fetch(`${env.loginUrl}/${tenant}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: registration.clientId,
        client_secret: registration.clientSecret,
        scope: `${env.graphUrl}/.default`,
      }),
    });
    const body = (await response.json()) as { access_token: string };
    return body.access_token;
  }

  async function graph(method: string, path: string, body?: unknown, bearer?: string | null): Promise<GraphResponse> {
    const auth = bearer === null ? undefined : (bearer ?? (await token()));
    const response = await fetch(path.startsWith('http') ? path : `${env.graphUrl}/v1.0${path}`, {
      method,
      headers: { ...(auth ? { Authorization: `Bearer ${auth}` } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as GraphResponse['body']) : {} };
  }

  function membersSubscription(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      changeType: 'created,deleted',
      notificationUrl: receiver.notificationUrl,
      lifecycleNotificationUrl: receiver.lifecycleUrl,
      resource: `/chats/${chat.id}/members`,
      includeResourceData: true,
      encryptionCertificate: certificate.base64Der,
      encryptionCertificateId: 'herald-test',
      expirationDateTime: new Date(clock().getTime() + 4300 * MINUTE).toISOString(),
      clientState: 'secret-state',
      ...overrides,
    };
  }

  async function deleteAll(): Promise<void> {
    for (const sub of env.graph.subscriptions()) await graph('DELETE', `/subscriptions/${sub.id}`);
  }

  describe('authentication', () => {
    it('answers 401 in Graph error shape without a token', async () => {
      const result = await graph('GET', '/subscriptions', undefined, null);
      assert.equal(result.status, 401);
      assert.equal(result.body.error?.code, 'InvalidAuthenticationToken');
      assert.equal(result.body.error?.message, 'Access token is empty.');
      assert.match(result.body.error?.innerError['request-id'] ?? '', /^[0-9a-f-]{36}$/);
      assert.match(result.body.error?.innerError.date ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
      assert.ok(result.headers.get('www-authenticate'));
    });

    it('refuses tokens with a foreign signature, another audience or past expiry', async () => {
      const base = { tenantId, clientId: app.clientId, audience: env.graphUrl };
      const cases: Array<[string, string]> = [
        [await env.login.signAppToken({ ...base, key: 'foreignWithActiveKid' }), 'Access token validation failure. Invalid signature.'],
        [await env.login.signAppToken({ ...base, audience: 'https://someone.else' }), 'Access token validation failure. Invalid audience.'],
        [await env.login.signAppToken({ ...base, lifetimeSeconds: -600 }), 'Lifetime validation failed, the token is expired.'],
      ];
      for (const [bad, message] of cases) {
        const result = await graph('GET', '/subscriptions', undefined, bad);
        assert.equal(result.status, 401);
        assert.equal(result.body.error?.message, message);
      }
    });

    it('tolerates /beta', async () => {
      const result = await graph('GET', `${env.graphUrl}/beta/chats/${encodeURIComponent(chat.id)}`);
      assert.equal(result.status, 200);
    });
  });

  describe('POST /subscriptions', () => {
    afterEach(deleteAll);

    it('creates a subscription after validating both URLs with the handshake', async () => {
      receiver.handshakes.length = 0;
      const result = await graph('POST', '/subscriptions', membersSubscription());
      assert.equal(result.status, 201);
      assert.equal(result.body.resource, `/chats/${chat.id}/members`);
      assert.equal(result.body.applicationId, app.clientId);
      assert.equal(result.body.changeType, 'created,deleted');
      assert.equal(result.body.clientState, 'secret-state');
      assert.equal(result.body.includeResourceData, true);
      assert.equal(result.body.encryptionCertificateId, 'herald-test');
      assert.equal(result.body.latestSupportedTlsVersion, 'v1_2');
      assert.match(String(result.body.id), /^[0-9a-f-]{36}$/);
      assert.match(String(result.body['@odata.context']), /\$metadata#subscriptions\/\$entity$/);

      assert.deepEqual(receiver.handshakes.map((h) => h.path), ['/api/notifications', '/api/notifications/lifecycle']);
      for (const handshake of receiver.handshakes) {
        assert.match(handshake.query.get('validationToken') ?? '', /^Validation: Testing client application reachability for subscription Request-Id: [0-9a-f-]{36}$/);
        assert.equal(handshake.contentType, 'text/plain; charset=utf-8');
      }
      assert.deepEqual(env.wire.ofKind('handshake').slice(-2).map((h) => h.ok), [true, true]);
    });

    it('raises an expiry under 45 minutes to 45 minutes', async () => {
      const result = await graph('POST', '/subscriptions', membersSubscription({ expirationDateTime: new Date(clock().getTime() + 5 * MINUTE).toISOString() }));
      assert.equal(result.status, 201);
      const minutes = (Date.parse(String(result.body.expirationDateTime)) - clock().getTime()) / MINUTE;
      assert.ok(minutes > 44.9 && minutes <= 45.01, `expected 45 min, got ${minutes}`);
    });

    it('keeps the query string of the notification URL on the handshake', async () => {
      receiver.handshakes.length = 0;
      const result = await graph('POST', '/subscriptions', membersSubscription({ notificationUrl: `${receiver.notificationUrl}?route=a` }));
      assert.equal(result.status, 201);
      assert.equal(receiver.handshakes[0]?.query.get('route'), 'a');
    });

    const invalid: Array<[string, () => Record<string, unknown>, RegExp | string]> = [
      ['a missing resource', () => membersSubscription({ resource: undefined }), /'resource' is required/],
      ['a missing changeType', () => membersSubscription({ changeType: undefined }), /'changeType' is required/],
      ['a missing notificationUrl', () => membersSubscription({ notificationUrl: undefined }), /'notificationUrl' is required/],
      ['a missing expirationDateTime', () => membersSubscription({ expirationDateTime: undefined }), /'expirationDateTime' is required/],
      [
        'an expiry beyond 4,320 minutes',
        () => membersSubscription({ expirationDateTime: new Date(Date.now() + 4325 * MINUTE).toISOString() }),
        /can only be 4320 minutes in the future/,
      ],
      ['more than an hour without lifecycleNotificationUrl', () => membersSubscription({ lifecycleNotificationUrl: undefined }), LIFECYCLE_REQUIRED_MESSAGE],
      ['includeResourceData without encryptionCertificate', () => membersSubscription({ encryptionCertificate: undefined }), /encryptionCertificate is a required property/],
      ['includeResourceData without encryptionCertificateId', () => membersSubscription({ encryptionCertificateId: undefined }), /encryptionCertificateId is a required property/],
      ['a PEM instead of base64 DER', () => membersSubscription({ encryptionCertificate: `-----BEGIN CERTIFICATE-----\n${certificate.base64Der}` }), /base64-encoded DER/],
      ['a certificate that does not parse', () => membersSubscription({ encryptionCertificate: Buffer.from('not a cert').toString('base64') }), /not a valid X.509/],
      ['a clientState over 128 characters', () => membersSubscription({ clientState: 'x'.repeat(129) }), /maximum length is 128/],
      ['an undocumented changeType for the resource', () => membersSubscription({ resource: `/chats/${chat.id}`, changeType: 'updated,deleted' }), /ChangeType 'deleted' is not supported/],
      ['an http notificationUrl off loopback', () => membersSubscription({ notificationUrl: 'http://herald.example.com/api/notifications' }), /https scheme/],
      ['web push fields', () => membersSubscription({ vapidPublicKey: 'abc' }), /web push/],
      ['an unknown resource', () => membersSubscription({ resource: '/teams/getAllMessages' }), /not supported/],
    ];
    for (const [what, body, expected] of invalid) {
      it(`refuses ${what} with 400`, async () => {
        const result = await graph('POST', '/subscriptions', body());
        assert.equal(result.status, 400, JSON.stringify(result.body));
        if (typeof expected === 'string') assert.equal(result.body.error?.message, expected);
        else assert.match(result.body.error?.message ?? '', expected);
        assert.equal(env.graph.subscriptions().length, 0);
      });
    }

    it('refuses an RSA key under 2048 bits', async () => {
      const weak = await createEncryptionCertificate({ modulusLength: 1024 });
      const result = await graph('POST', '/subscriptions', membersSubscription({ encryptionCertificate: weak.base64Der }));
      assert.equal(result.status, 400);
      assert.match(result.body.error?.message ?? '', /2048 to 4096 bits/);
    });

    const handshakeFailures: Array<['wrongBody' | 'status500' | 'hang', string]> = [
      ['wrongBody', 'Subscription validation request failed. Response must exactly match validationToken query parameter.'],
      ['status500', 'Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.'],
      ['hang', 'Subscription validation request timed out.'],
    ];
    for (const [mode, message] of handshakeFailures) {
      it(`fails creation when the handshake ${mode === 'hang' ? 'times out' : `answers ${mode}`}`, async () => {
        receiver.handshakeMode = mode;
        const result = await graph('POST', '/subscriptions', membersSubscription());
        assert.equal(result.status, 400);
        assert.equal(result.body.error?.code, 'InvalidRequest');
        assert.equal(result.body.error?.message, message);
        assert.equal(env.graph.subscriptions().length, 0);
      });
    }

    it('answers 409 for the same resource and changeType from the same app', async () => {
      const first = await graph('POST', '/subscriptions', membersSubscription());
      const second = await graph('POST', '/subscriptions', membersSubscription({ changeType: 'deleted,created' }));
      assert.equal(second.status, 409);
      assert.match(second.body.error?.message ?? '', new RegExp(`Subscription Id ${String(first.body.id)} already exists for the requested combination`));
      const other = await graph('POST', '/subscriptions', membersSubscription({ resource: `/chats/${chat.id}`, changeType: 'updated' }));
      assert.equal(other.status, 201);
    });

    it('answers 403 for a chat where the app is not installed, and when RSC consent is revoked', async () => {
      const notInstalled = await graph('POST', '/subscriptions', membersSubscription({ resource: `/chats/${notInstalledChat.id}/members` }));
      assert.equal(notInstalled.status, 403);
      assert.match(notInstalled.body.error?.message ?? '', /Missing role permissions on the request\. API requires one of '.*ChatMember\.Read\.Chat.*'\. Roles on the request/);
      env.graph.revokeConsent(chat.id);
      try {
        const revoked = await graph('POST', '/subscriptions', membersSubscription());
        assert.equal(revoked.status, 403);
        assert.match(revoked.body.error?.message ?? '', /Resource specific consent grants on the request ''/);
      } finally {
        env.graph.restoreConsent(chat.id);
      }
    });

    it('answers 404 for a chat of another tenant', async () => {
      const foreignChat = env.world.createChat({ tenantId: otherTenantId, members: [] });
      const result = await graph('POST', '/subscriptions', membersSubscription({ resource: `/chats/${foreignChat.id}/members` }));
      assert.equal(result.status, 404);
    });

    it('creates tenant-wide installedToChats subscriptions for its own Teams app only', async () => {
      const members = await graph(
        'POST',
        '/subscriptions',
        membersSubscription({ resource: `/appCatalogs/teamsApps/${app.teamsAppId}/installedToChats/getAllMembers?model=B` }),
      );
      assert.equal(members.status, 201);
      assert.deepEqual(env.graph.subscriptions()[0]?.target, { kind: 'installedMembers', chatId: null, teamsAppId: app.teamsAppId, model: 'B' });
      const chats = await graph('POST', '/subscriptions', membersSubscription({ resource: `/appCatalogs/teamsApps/${app.teamsAppId}/installedToChats`, changeType: 'created,updated' }));
      assert.equal(chats.status, 201);
      assert.equal(env.graph.subscriptions()[1]?.target.model, null);
      const foreign = await graph('POST', '/subscriptions', membersSubscription({ resource: `/appCatalogs/teamsApps/${randomUUID()}/installedToChats/getAllMembers?model=B` }));
      assert.equal(foreign.status, 403);
      const modelA = await graph('POST', '/subscriptions', membersSubscription({ resource: `/appCatalogs/teamsApps/${app.teamsAppId}/installedToChats?model=A`, changeType: 'updated' }));
      assert.equal(modelA.status, 400);
    });

    it('answers 402 for model=B when the app has no billing, and 403 without tenant-wide roles', async () => {
      env.graph.setBillingEnabled(app.clientId, false);
      try {
        const unpaid = await graph('POST', '/subscriptions', membersSubscription({ resource: `/appCatalogs/teamsApps/${app.teamsAppId}/installedToChats/getAllMembers?model=B` }));
        assert.equal(unpaid.status, 402);
      } finally {
        env.graph.setBillingEnabled(app.clientId, true);
      }
      const noRoles = await graph('POST', '/subscriptions', membersSubscription({ resource: '/chats/getAllMembers' }));
      assert.equal(noRoles.status, 403);
    });
  });

  describe('GET, PATCH, DELETE and reauthorize', () => {
    afterEach(deleteAll);

    it('renews with PATCH, applying the same maximum, and 404s once deleted', async () => {
      const created = await graph('POST', '/subscriptions', membersSubscription({ expirationDateTime: new Date(clock().getTime() + 60 * MINUTE).toISOString() }));
      const id = String(created.body.id);
      const renewedTo = new Date(clock().getTime() + 4000 * MINUTE).toISOString();
      const renewed = await graph('PATCH', `/subscriptions/${id}`, { expirationDateTime: renewedTo });
      assert.equal(renewed.status, 200);
      assert.equal(renewed.body.expirationDateTime, renewedTo);
      const tooFar = await graph('PATCH', `/subscriptions/${id}`, { expirationDateTime: new Date(clock().getTime() + 5000 * MINUTE).toISOString() });
      assert.equal(tooFar.status, 400);
      const certChange = await graph('PATCH', `/subscriptions/${id}`, { encryptionCertificate: certificate.base64Der });
      assert.equal(certChange.status, 400);
      assert.equal((await graph('GET', `/subscriptions/${id}`)).body.expirationDateTime, renewedTo);

      assert.equal((await graph('DELETE', `/subscriptions/${id}`)).status, 204);
      assert.equal((await graph('PATCH', `/subscriptions/${id}`, { expirationDateTime: renewedTo })).status, 404);
      assert.equal((await graph('GET', `/subscriptions/${id}`)).status, 404);
      assert.equal((await graph('DELETE', `/subscriptions/${id}`)).status, 404);
    });

    it('validates a changed notificationUrl with a new handshake', async () => {
      const created = await graph('POST', '/subscriptions', membersSubscription());
      receiver.handshakes.length = 0;
      receiver.handshakeMode = 'status500';
      const refused = await graph('PATCH', `/subscriptions/${String(created.body.id)}`, { notificationUrl: `${receiver.notificationUrl}?v=2` });
      assert.equal(refused.status, 400);
      assert.equal(receiver.handshakes.length, 1);
    });

    it('lists only this app and tenant, paged with @odata.nextLink and clientState null', async () => {
      const other = env.registerApp({ roles: [] });
      env.world.installApp(chat.id, other.teamsAppId);
      await graph('POST', '/subscriptions', membersSubscription(), await token(tenantId, other));
      for (const resource of [`/chats/${chat.id}/members`, `/chats/${chat.id}`]) {
        const changeType = resource.endsWith('members') ? 'created,deleted' : 'updated';
        assert.equal((await graph('POST', '/subscriptions', membersSubscription({ resource, changeType }))).status, 201);
      }
      assert.equal((await graph('POST', '/subscriptions', membersSubscription({ resource: `/appCatalogs/teamsApps/${app.teamsAppId}/installedToChats?model=B`, changeType: 'updated' }))).status, 201);

      const first = await graph('GET', '/subscriptions');
      assert.equal(first.status, 200);
      const firstPage = first.body.value as Array<{ clientState: string | null; applicationId: string }>;
      assert.equal(firstPage.length, 2);
      assert.ok(firstPage.every((s) => s.clientState === null && s.applicationId === app.clientId));
      const next = String(first.body['@odata.nextLink']);
      assert.match(next, /^https:\/\/127\.0\.0\.1:\d+\/v1\.0\/subscriptions\?\$skiptoken=/);
      const second = await graph('GET', next);
      assert.equal((second.body.value as unknown[]).length, 1);
      assert.equal(second.body['@odata.nextLink'], undefined);
      const otherTenant = await graph('GET', '/subscriptions', undefined, await token(otherTenantId));
      assert.deepEqual(otherTenant.body.value, []);
      env.world.uninstallApp(chat.id, other.teamsAppId);
    });

    it('reauthorizes with 204, and 403 once the app lost access', async () => {
      const created = await graph('POST', '/subscriptions', membersSubscription());
      const id = String(created.body.id);
      const result = await graph('POST', `/subscriptions/${id}/reauthorize`);
      assert.equal(result.status, 204);
      assert.equal((await graph('POST', `/subscriptions/${randomUUID()}/reauthorize`)).status, 404);
      env.graph.revokeConsent(chat.id);
      try {
        assert.equal((await graph('POST', `/subscriptions/${id}/reauthorize`)).status, 403);
      } finally {
        env.graph.restoreConsent(chat.id);
      }
    });

    it('exports and re-imports subscriptions for a playground restart', async () => {
      const created = await graph('POST', '/subscriptions', membersSubscription());
      const saved = JSON.parse(JSON.stringify(env.graph.exportSubscriptions())) as ReturnType<typeof env.graph.exportSubscriptions>;
      await deleteAll();
      env.graph.importSubscriptions(saved);
      const restored = await graph('GET', `/subscriptions/${String(created.body.id)}`);
      assert.equal(restored.status, 200);
      assert.equal(restored.body.clientState, 'secret-state');
    });

    it('lets subscriptions expire with the clock', async () => {
      const created = await graph('POST', '/subscriptions', membersSubscription({ expirationDateTime: new Date(clock().getTime() + 50 * MINUTE).toISOString() }));
      const id = String(created.body.id);
      offsetMs = 49 * MINUTE;
      assert.equal((await graph('GET', `/subscriptions/${id}`)).status, 200);
      offsetMs = 51 * MINUTE;
      assert.equal((await graph('GET', `/subscriptions/${id}`)).status, 404);
      assert.deepEqual((await graph('GET', '/subscriptions')).body.value, []);
      assert.ok(env.wire.ofKind('subscription').some((e) => e.action === 'expired' && e.subscriptionId === id));
    });

    it('lets a subscription whose PATCH shortened its life expire at the new time', async () => {
      const created = await graph('POST', '/subscriptions', membersSubscription({ expirationDateTime: new Date(clock().getTime() + 120 * MINUTE).toISOString() }));
      const id = String(created.body.id);
      assert.equal((await graph('GET', `/subscriptions/${id}`)).status, 200, 'looked up once: the store knows its expiry');
      const patched = await graph('PATCH', `/subscriptions/${id}`, { expirationDateTime: new Date(clock().getTime() + 50 * MINUTE).toISOString() });
      assert.equal(patched.status, 200);
      offsetMs = 51 * MINUTE;
      assert.equal((await graph('GET', `/subscriptions/${id}`)).status, 404);
    });
  });

  describe('reads', () => {
    it('returns the chat and its members with names', async () => {
      const result = await graph('GET', `/chats/${chat.id}`);
      assert.equal(result.status, 200);
      assert.equal(result.body.id, chat.id);
      assert.equal(result.body.topic, 'Launch');
      assert.equal(result.body.chatType, 'group');
      assert.equal(result.body.tenantId, tenantId);

      const members = await graph('GET', `/chats/${encodeURIComponent(chat.id)}/members`);
      assert.equal(members.status, 200);
      const value = members.body.value as Array<Record<string, unknown>>;
      assert.deepEqual(value.map((m) => m.displayName), ['Ada Lovelace', 'Bob Builder']);
      const first = value[0] ?? {};
      assert.equal(first['@odata.type'], '#microsoft.graph.aadUserConversationMember');
      assert.equal(first.email, 'ada.lovelace@contoso.onmicrosoft.com');
      assert.equal(first.tenantId, tenantId);
      assert.deepEqual(first.roles, ['owner']);
      assert.equal(first.visibleHistoryStartDateTime, '1970-01-01T00:00:00Z');
      assert.equal(Buffer.from(String(first.id), 'base64').toString(), `0##${tenantId}##${chat.id}##${String(first.userId)}`);

      const one = await graph('GET', `/chats/${chat.id}/members/${encodeURIComponent(String(first.id))}`);
      assert.equal(one.body.displayName, 'Ada Lovelace');
    });

    it('answers 403 for chats where the app lacks RSC, and 404 for unknown chats', async () => {
      const result = await graph('GET', `/chats/${notInstalledChat.id}/members`);
      assert.equal(result.status, 403);
      assert.equal(result.body.error?.code, 'Forbidden');
      env.graph.revokeConsent(chat.id);
      try {
        assert.equal((await graph('GET', `/chats/${chat.id}`)).status, 403);
      } finally {
        env.graph.restoreConsent(chat.id);
      }
      assert.equal((await graph('GET', '/chats/19:nothing@thread.v2')).status, 404);
    });

    it('resolves users of the tenant and its guests, not people of other tenants', async () => {
      const guest = env.world.addUser({ displayName: 'Gus Guest', tenantId: otherTenantId, guest: true });
      const external = env.world.addUser({ displayName: 'Ext Ernal', tenantId: otherTenantId });
      env.world.addMember(chat.id, guest.id);
      env.world.addMember(chat.id, external.id);
      const ada = env.world.listUsers(tenantId)[0];
      assert.equal((await graph('GET', `/users/${ada?.id ?? ''}`)).body.displayName, 'Ada Lovelace');
      const guestResult = await graph('GET', `/users/${guest.id}`);
      assert.equal(guestResult.body.displayName, 'Gus Guest');
      assert.match(String(guestResult.body.userPrincipalName), /#EXT#@contoso\.onmicrosoft\.com$/);
      const externalResult = await graph('GET', `/users/${external.id}`);
      assert.equal(externalResult.status, 404);
      assert.equal(externalResult.body.error?.code, 'Request_ResourceNotFound');
      const members = await graph('GET', `/chats/${chat.id}/members`);
      const guestMember = (members.body.value as Array<Record<string, unknown>>).find((m) => m.userId === guest.id);
      assert.deepEqual(guestMember?.roles, ['guest']);
      assert.equal(guestMember?.tenantId, otherTenantId);
      env.world.removeMember(chat.id, guest.id);
      env.world.removeMember(chat.id, external.id);
    });

    it('fails the next requests with 429 and Retry-After when asked', async () => {
      env.graph.failNextRequests({ count: 2, status: 429, retryAfterSeconds: 3, pathPrefix: '/chats' });
      const first = await graph('GET', `/chats/${chat.id}`);
      assert.equal(first.status, 429);
      assert.equal(first.headers.get('retry-after'), '3');
      assert.equal(first.body.error?.code, 'TooManyRequests');
      assert.equal((await graph('GET', '/subscriptions')).status, 200);
      assert.equal((await graph('GET', `/chats/${chat.id}`)).status, 429);
      assert.equal((await graph('GET', `/chats/${chat.id}`)).status, 200);
      env.graph.failNextRequests({ count: 1, status: 503 });
      assert.equal((await graph('GET', '/subscriptions')).status, 503);
    });

    it('logs Graph calls on the wire without tokens', async () => {
      const bearer = await token();
      await graph('GET', `/chats/${chat.id}`, undefined, bearer);
      const last = env.wire.ofKind('graphRequest').at(-1);
      assert.equal(last?.method, 'GET');
      assert.equal(last?.status, 200);
      assert.equal(last?.clientId, app.clientId);
      assert.ok(!JSON.stringify(env.wire.entries()).includes(bearer));
      assert.ok(!JSON.stringify(env.wire.entries()).includes(app.clientSecret));
    });
  });
});
