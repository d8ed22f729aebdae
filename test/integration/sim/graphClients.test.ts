import assert from 'node:assert/strict';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { Client, GraphError } from '@microsoft/microsoft-graph-client';
import type { AadUserConversationMember, Chat, Subscription } from '@microsoft/microsoft-graph-types';
import { createEncryptionCertificate, startNotificationReceiver, type NotificationReceiver } from '../../../sim/doubles/graph/notificationReceiver.js';
import { startGraphWorld, type AppRegistration, type GraphWorld } from '../../../sim/doubles/world/startGraphWorld.js';
import type { WorldChat } from '../../../sim/doubles/world/types.js';

// Herald's live wiring, unchanged except for the base URLs: msal-node 7 with knownAuthorities and the
// Graph client with customHosts (without it the client silently sends no Authorization header).
describe('graph double with the real client libraries', () => {
  let env: GraphWorld;
  let receiver: NotificationReceiver;
  let app: AppRegistration;
  let tenantId: string;
  let chat: WorldChat;
  let client: Client;
  let cca: ConfidentialClientApplication;

  before(async () => {
    env = await startGraphWorld();
    receiver = await startNotificationReceiver();
    tenantId = env.world.addTenant({ displayName: 'Contoso', domain: 'contoso.test' }).id;
    app = env.registerApp();
    const ada = env.world.addUser({ displayName: 'Ada Lovelace', tenantId });
    chat = env.world.createChat({ tenantId, topic: 'Launch', members: [ada.id] });
    env.world.installApp(chat.id, app.teamsAppId);

    cca = new ConfidentialClientApplication({
      auth: { clientId: app.clientId, clientSecret: app.clientSecret, authority: `${env.loginUrl}/${tenantId}`, knownAuthorities: [env.knownAuthority] },
    });
    client = Client.init({
      baseUrl: `${env.graphUrl}/`,
      customHosts: new Set([new URL(env.graphUrl).hostname]),
      authProvider: (done) => {
        cca
          .acquireTokenByClientCredential({ scopes: [`${env.graphUrl}/.default`] })
          .then((result) => done(null, result?.accessToken ?? null))
          .catch((error: Error) => done(error, null));
      },
    });
  });

  after(async () => {
    await receiver.close();
    await env.close();
  });

  it('reads the chat and its members through msal-node and the Graph client', async () => {
    const read: Chat = (await client.api(`/chats/${chat.id}`).get()) as Chat;
    assert.equal(read.topic, 'Launch');
    const members = (await client.api(`/chats/${chat.id}/members`).get()) as { value: AadUserConversationMember[] };
    assert.deepEqual(members.value.map((m) => m.displayName), ['Ada Lovelace']);
    assert.equal(env.login.tokenRequestCount({ tenantId, clientId: app.clientId }), 1, 'msal-node caches the token');
  });

  it('acquires tokens for a tenant addressed by its domain', async () => {
    const byDomain = new ConfidentialClientApplication({
      auth: { clientId: app.clientId, clientSecret: app.clientSecret, authority: `${env.loginUrl}/contoso.test`, knownAuthorities: [env.knownAuthority] },
    });
    const result = await byDomain.acquireTokenByClientCredential({ scopes: [`${env.graphUrl}/.default`] });
    assert.ok(result?.accessToken);
  });

  it('creates, lists and deletes a subscription through the Graph client', async () => {
    const cert = await createEncryptionCertificate();
    const created = (await client.api('/subscriptions').post({
      changeType: 'created,deleted',
      notificationUrl: receiver.notificationUrl,
      lifecycleNotificationUrl: receiver.lifecycleUrl,
      resource: `/chats/${chat.id}/members`,
      includeResourceData: true,
      encryptionCertificate: cert.base64Der,
      encryptionCertificateId: 'c1',
      expirationDateTime: new Date(Date.now() + 4300 * 60_000).toISOString(),
      clientState: 'cs',
    })) as Subscription;
    assert.ok(created.id);
    const listed = (await client.api('/subscriptions').get()) as { value: Subscription[] };
    assert.deepEqual(listed.value.map((s) => s.id), [created.id]);
    await client.api(`/subscriptions/${created.id ?? ''}/reauthorize`).post(undefined);
    await client.api(`/subscriptions/${created.id ?? ''}`).delete();
    await assert.rejects(client.api(`/subscriptions/${created.id ?? ''}`).get(), (error: GraphError) => {
      assert.equal(error.statusCode, 404);
      return true;
    });
  });

  it('is retried by the Graph client on an injected 429 with Retry-After', async () => {
    env.graph.failNextRequests({ count: 1, status: 429, retryAfterSeconds: 1 });
    const read = (await client.api(`/chats/${chat.id}`).get()) as Chat;
    assert.equal(read.id, chat.id);
    const statuses = env.wire.ofKind('graphRequest').slice(-2).map((e) => e.status);
    assert.deepEqual(statuses, [429, 200]);
  });

  it('surfaces Graph errors as GraphError with the code', async () => {
    env.graph.revokeConsent(chat.id);
    try {
      await assert.rejects(client.api(`/chats/${chat.id}/members`).get(), (error: GraphError) => {
        assert.equal(error.statusCode, 403);
        assert.equal(error.code, 'Forbidden');
        return true;
      });
    } finally {
      env.graph.restoreConsent(chat.id);
    }
  });
});
