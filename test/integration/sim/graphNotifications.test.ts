import assert from 'node:assert/strict';
import { constants, createDecipheriv, createHash, createHmac, privateDecrypt, timingSafeEqual, X509Certificate } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { NotificationCollection, NotificationItem } from '../../../sim/doubles/graph/deliveryQueue.js';
import { createEncryptionCertificate, startNotificationReceiver, type NotificationReceiver } from '../../../sim/doubles/graph/notificationReceiver.js';
import { CHANGE_TRACKING_APP_ID } from '../../../sim/doubles/login/tokenClaims.js';
import { startGraphWorld, type AppRegistration, type GraphWorld } from '../../../sim/doubles/world/startGraphWorld.js';
import type { WorldChat, WorldUser } from '../../../sim/doubles/world/types.js';

const MINUTE = 60_000;

/** Decrypts an item exactly as the reference §6.2 describes, independent of the double's code. */
function decrypt(item: NotificationItem, privateKeyPem: string): unknown {
  const enc = item.encryptedContent;
  assert.ok(enc, 'item has encryptedContent');
  const symKey = privateDecrypt({ key: privateKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, Buffer.from(enc.dataKey, 'base64'));
  assert.equal(symKey.length, 32);
  const payload = Buffer.from(enc.data, 'base64');
  const mac = createHmac('sha256', symKey).update(payload).digest();
  const signature = Buffer.from(enc.dataSignature, 'base64');
  assert.ok(signature.length === mac.length && timingSafeEqual(signature, mac), 'dataSignature matches');
  const decipher = createDecipheriv('aes-256-cbc', symKey, symKey.subarray(0, 16));
  return JSON.parse(Buffer.concat([decipher.update(payload), decipher.final()]).toString('utf8')) as unknown;
}

describe('graph double: notifications', () => {
  let env: GraphWorld;
  let receiver: NotificationReceiver;
  let app: AppRegistration;
  let tenantId: string;
  let chat: WorldChat;
  let ada: WorldUser;
  let bob: WorldUser;
  let cara: WorldUser;
  let cert: { base64Der: string; privateKeyPem: string };
  let bearer: string;

  before(async () => {
    env = await startGraphWorld({ graph: { delivery: { retryDelaysMs: [5, 5], firstAttemptTimeoutMs: 2000, retryTimeoutMs: 2000 }, evaluationMonthlyLimit: 2 } });
    receiver = await startNotificationReceiver();
    cert = await createEncryptionCertificate();
    tenantId = env.world.addTenant({ displayName: 'Contoso' }).id;
    app = env.registerApp();
    ada = env.world.addUser({ displayName: 'Ada Lovelace', tenantId });
    bob = env.world.addUser({ displayName: 'Bob Builder', tenantId });
    cara = env.world.addUser({ displayName: 'Cara Guest', tenantId: env.world.addTenant({ displayName: 'Fabrikam' }).id, guest: true });
    chat = env.world.createChat({ tenantId, topic: 'Launch', members: [ada.id, bob.id] });
    env.world.installApp(chat.id, app.teamsAppId);
    bearer = await token();
  });

  async function token(): Promise<string> {
    const response = await fetch(`${env.loginUrl}/${tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret, scope: `${env.graphUrl}/.default` }),
    });
    return ((await response.json()) as { access_token: string }).access_token;
  }

  after(async () => {
    await receiver.close();
    await env.close();
  });

  afterEach(async () => {
    await env.whenIdle();
    for (const sub of env.graph.subscriptions()) {
      await fetch(`${env.graphUrl}/v1.0/subscriptions/${sub.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${bearer}` } });
    }
    receiver.posts.length = 0;
    receiver.nextStatuses = [];
  });

  async function subscribe(resource: string, changeType: string, extra: Record<string, unknown> = {}): Promise<string> {
    const response = await fetch(`${env.graphUrl}/v1.0/subscriptions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        changeType,
        notificationUrl: receiver.notificationUrl,
        lifecycleNotificationUrl: receiver.lifecycleUrl,
        resource,
        includeResourceData: true,
        encryptionCertificate: cert.base64Der,
        encryptionCertificateId: 'herald-cert-1',
        expirationDateTime: new Date(Date.now() + 4300 * MINUTE).toISOString(),
        clientState: 'state-123',
        ...extra,
      }),
    });
    const body = (await response.json()) as { id: string };
    assert.equal(response.status, 201, JSON.stringify(body));
    return body.id;
  }

  const keys = () => createRemoteJWKSet(new URL(`${env.loginUrl}/common/discovery/v2.0/keys`));

  it('delivers a membership change encrypted to a per-chat and a tenant-wide subscription, with a verifiable validation token', async () => {
    const perChat = await subscribe(`/chats/${chat.id}/members`, 'created,deleted');
    const tenantWide = await subscribe(`/appCatalogs/teamsApps/${app.teamsAppId}/installedToChats/getAllMembers?model=B`, 'created,deleted');

    const membership = env.world.addMember(chat.id, cara.id);
    assert.equal(receiver.posts.length, 0, 'delivery does not block the mutation');
    await env.whenIdle();

    const [batch, ...more] = receiver.notifications();
    assert.equal(more.length, 0, 'both items travel in one POST to the shared URL');
    assert.ok(batch);
    assert.deepEqual(batch.value.map((i) => i.subscriptionId).sort(), [perChat, tenantWide].sort());
    const thumbprint = createHash('sha1').update(new X509Certificate(Buffer.from(cert.base64Der, 'base64')).raw).digest('hex').toUpperCase();
    for (const item of batch.value) {
      assert.equal(item.changeType, 'created');
      assert.equal(item.clientState, 'state-123');
      assert.equal(item.tenantId, tenantId);
      assert.equal(item.resource, `chats('${chat.id}')/members('${membership.id}')`);
      assert.deepEqual(item.resourceData, {
        id: membership.id,
        '@odata.type': '#microsoft.graph.aadUserConversationMember',
        '@odata.id': `chats('${chat.id}')/members('${membership.id}')`,
      });
      assert.ok(Date.parse(item.subscriptionExpirationDateTime) > Date.now());
      assert.equal(item.encryptedContent?.encryptionCertificateId, 'herald-cert-1');
      assert.equal(item.encryptedContent?.encryptionCertificateThumbprint, thumbprint);
      assert.deepEqual(decrypt(item, cert.privateKeyPem), {
        userId: cara.id,
        email: null,
        tenantId: cara.tenantId,
        id: membership.id,
        roles: ['guest'],
        displayName: null,
        visibleHistoryStartDateTime: '1970-01-01T00:00:00Z',
        user: null,
      });
    }

    assert.equal(batch.validationTokens?.length, 1, 'one token per (app, tenant)');
    const { payload } = await jwtVerify(batch.validationTokens?.[0] ?? '', keys(), {
      audience: app.clientId,
      issuer: `${env.loginUrl}/${tenantId}/v2.0`,
      algorithms: ['RS256'],
    });
    assert.equal(payload.azp, CHANGE_TRACKING_APP_ID);
    assert.equal(payload.tid, tenantId);

    const wire = env.wire.ofKind('notification').at(-1);
    assert.equal(wire?.status, 202);
    assert.equal(wire?.validationTokenCount, 1);
    assert.equal((wire?.items[0]?.decrypted as { userId: string }).userId, cara.id);
    assert.ok(!JSON.stringify(env.wire.entries()).includes('state-123'), 'clientState stays off the wire log');
    assert.deepEqual(env.graph.deliveries().at(-1)?.attempts, [202]);
    env.world.removeMember(chat.id, cara.id);
  });

  it('delivers a removal as deleted with the member as last known', async () => {
    await subscribe(`/chats/${chat.id}/members`, 'created,deleted');
    const membership = env.world.addMember(chat.id, cara.id);
    env.world.removeMember(chat.id, cara.id);
    await env.whenIdle();
    const items = receiver.notifications().flatMap((b) => b.value);
    const removed = items.find((i) => i.changeType === 'deleted');
    assert.ok(removed);
    assert.equal(removed.resource, `chats('${chat.id}')/members('${membership.id}')`);
    assert.equal((decrypt(removed, cert.privateKeyPem) as { userId: string }).userId, cara.id);
  });

  it('delivers a rename as an updated chat whose members carry no names', async () => {
    await subscribe(`/chats/${chat.id}`, 'updated');
    env.world.renameChat(chat.id, 'Launch 2');
    await env.whenIdle();
    const [item] = receiver.notifications().flatMap((b) => b.value);
    assert.ok(item);
    assert.equal(item.changeType, 'updated');
    assert.equal(item.resource, `chats('${chat.id}')`);
    assert.equal(item.resourceData?.['@odata.type'], '#microsoft.graph.chat');
    const payload = decrypt(item, cert.privateKeyPem) as { topic: string; chatType: string; members: Array<{ displayName: null; userId: string }> };
    assert.equal(payload.topic, 'Launch 2');
    assert.equal(payload.chatType, 'group');
    assert.deepEqual(payload.members.map((m) => m.userId), [ada.id, bob.id]);
    assert.ok(payload.members.every((m) => m.displayName === null));
    env.world.renameChat(chat.id, 'Launch');
  });

  it('sends basic notifications without resource data or validation tokens', async () => {
    await subscribe(`/chats/${chat.id}/members`, 'created,deleted', { includeResourceData: false, encryptionCertificate: undefined, encryptionCertificateId: undefined });
    env.world.addMember(chat.id, cara.id);
    await env.whenIdle();
    const [batch] = receiver.notifications();
    assert.ok(batch);
    assert.equal(batch.validationTokens, undefined);
    assert.equal(batch.value[0]?.encryptedContent, undefined);
    assert.match(batch.value[0]?.resource ?? '', /^chats\('.*'\)\/members\('.*'\)$/);
    env.world.removeMember(chat.id, cara.id);
  });

  it('posts lifecycle events to the lifecycle URL; subscriptionRemoved deletes the subscription', async () => {
    const id = await subscribe(`/chats/${chat.id}/members`, 'created,deleted');
    assert.equal(env.graph.sendLifecycleEvent(id, 'reauthorizationRequired'), true);
    assert.equal(env.graph.sendLifecycleEvent(id, 'missed'), true);
    assert.equal(env.graph.sendLifecycleEvent(id, 'subscriptionRemoved'), true);
    await env.whenIdle();
    const items = receiver.lifecycle().flatMap((b) => b.value);
    assert.deepEqual(items.map((i) => i.lifecycleEvent), ['reauthorizationRequired', 'missed', 'subscriptionRemoved']);
    for (const item of items) {
      assert.equal(item.subscriptionId, id);
      assert.equal(item.clientState, 'state-123');
      assert.equal(item.tenantId, tenantId);
      assert.equal(item.resource, undefined);
      assert.equal(item.changeType, undefined);
    }
    assert.equal(receiver.notifications().length, 0);
    assert.equal(env.graph.subscriptions().length, 0);
    assert.equal(env.graph.sendLifecycleEvent(id, 'missed'), false);
  });

  describe('faults', () => {
    it('drops the next change for a chat and follows with missed', async () => {
      const id = await subscribe(`/chats/${chat.id}/members`, 'created,deleted');
      env.graph.dropNextNotification(chat.id);
      env.world.addMember(chat.id, cara.id);
      env.world.removeMember(chat.id, cara.id);
      await env.whenIdle();
      assert.deepEqual(receiver.notifications().flatMap((b) => b.value).map((i) => i.changeType), ['deleted']);
      assert.deepEqual(receiver.lifecycle().flatMap((b) => b.value).map((i) => [i.subscriptionId, i.lifecycleEvent]), [[id, 'missed']]);
      assert.ok(env.wire.ofKind('suppressed').some((e) => e.reason === 'dropped' && e.subscriptionId === id));
    });

    it('delivers the next POST twice', async () => {
      await subscribe(`/chats/${chat.id}/members`, 'created,deleted');
      env.graph.duplicateNextDelivery();
      env.world.addMember(chat.id, cara.id);
      await env.whenIdle();
      assert.equal(receiver.posts.length, 2);
      assert.equal(receiver.posts[0]?.body, receiver.posts[1]?.body);
      assert.deepEqual(env.graph.deliveries().slice(-2).map((d) => d.duplicate), [false, true]);
      env.world.removeMember(chat.id, cara.id);
    });

    it('batches held changes into one POST', async () => {
      await subscribe(`/chats/${chat.id}/members`, 'created,deleted');
      await subscribe(`/chats/${chat.id}`, 'updated');
      env.graph.holdDeliveries();
      env.world.addMember(chat.id, cara.id);
      env.world.renameChat(chat.id, 'Batched');
      env.world.removeMember(chat.id, cara.id);
      await env.whenIdle();
      assert.equal(receiver.posts.length, 0);
      env.graph.releaseDeliveries();
      await env.whenIdle();
      const batches = receiver.notifications();
      assert.equal(batches.length, 1);
      assert.deepEqual(batches[0]?.value.map((i) => i.changeType), ['created', 'updated', 'deleted']);
      assert.equal(batches[0]?.validationTokens?.length, 1);
      env.world.renameChat(chat.id, 'Launch');
    });

    it('retries a delivery answered 5xx and records every status', async () => {
      await subscribe(`/chats/${chat.id}/members`, 'created,deleted');
      receiver.nextStatuses = [503, 500];
      env.world.addMember(chat.id, cara.id);
      await env.whenIdle();
      assert.deepEqual(env.graph.deliveries().at(-1)?.attempts, [503, 500, 202]);
      assert.equal(env.graph.deliveries().at(-1)?.outcome, 'delivered');
      assert.deepEqual(env.wire.ofKind('notification').slice(-3).map((n) => n.attempt), [1, 2, 3]);
      env.world.removeMember(chat.id, cara.id);
    });

    it('gives up after the last retry and does not retry other 4xx', async () => {
      await subscribe(`/chats/${chat.id}/members`, 'created,deleted');
      receiver.nextStatuses = [503, 503, 503, 400];
      env.world.addMember(chat.id, cara.id);
      await env.whenIdle();
      assert.deepEqual(env.graph.deliveries().at(-1)?.attempts, [503, 503, 503]);
      assert.equal(env.graph.deliveries().at(-1)?.outcome, 'failed');
      env.world.removeMember(chat.id, cara.id);
      await env.whenIdle();
      assert.deepEqual(env.graph.deliveries().at(-1)?.attempts, [400]);
    });

    it('stops per-chat deliveries when consent is revoked, telling the subscriber to reauthorize', async () => {
      const id = await subscribe(`/chats/${chat.id}/members`, 'created,deleted');
      env.graph.revokeConsent(chat.id);
      env.world.addMember(chat.id, cara.id);
      await env.whenIdle();
      assert.equal(receiver.notifications().length, 0);
      assert.deepEqual(receiver.lifecycle().flatMap((b) => b.value).map((i) => i.lifecycleEvent), ['reauthorizationRequired']);
      assert.ok(env.wire.ofKind('suppressed').some((e) => e.reason === 'consentRevoked' && e.subscriptionId === id));
      env.graph.restoreConsent(chat.id);
      env.world.removeMember(chat.id, cara.id);
      await env.whenIdle();
      assert.equal(receiver.notifications().length, 1);
    });

    it('stops RSC deliveries after the app is uninstalled from the chat', async () => {
      const other = env.world.createChat({ tenantId, members: [ada.id] });
      env.world.installApp(other.id, app.teamsAppId);
      await subscribe(`/chats/${other.id}/members`, 'created,deleted');
      env.world.uninstallApp(other.id, app.teamsAppId);
      env.world.addMember(other.id, bob.id);
      await env.whenIdle();
      assert.equal(receiver.notifications().length, 0);
      assert.deepEqual(receiver.lifecycle().flatMap((b) => b.value).map((i) => i.lifecycleEvent), ['reauthorizationRequired']);
    });

    it('caps evaluation-mode notifications per month, silently', async () => {
      // /chats/getAllMembers needs a tenant-wide permission on top of the default WhereInstalled ones.
      const defaultRoles = env.login.getApp(app.clientId)?.roles ?? [];
      env.login.setAppRoles(app.clientId, [...defaultRoles, 'ChatMember.Read.All']);
      bearer = await token();
      env.login.setAppRoles(app.clientId, defaultRoles);
      const id = await subscribe('/chats/getAllMembers', 'created,deleted');
      const before = env.graph.evaluationNotificationCount(app.clientId, tenantId);
      env.world.addMember(chat.id, cara.id);
      env.world.removeMember(chat.id, cara.id);
      env.world.addMember(chat.id, cara.id);
      await env.whenIdle();
      const delivered = receiver.notifications().flatMap((b: NotificationCollection) => b.value).filter((i) => i.subscriptionId === id);
      assert.equal(delivered.length, Math.max(0, 2 - before));
      assert.equal(env.graph.evaluationNotificationCount(app.clientId, tenantId), 2);
      assert.ok(env.wire.ofKind('suppressed').some((e) => e.reason === 'evaluationQuota'));
      env.world.removeMember(chat.id, cara.id);
    });
  });
});

describe('graph double: shutdown', () => {
  it('closes without waiting out Graph-like retry backoff', async () => {
    const env = await startGraphWorld({ graph: { delivery: { retryDelaysMs: [600_000] } } });
    const receiver = await startNotificationReceiver();
    try {
      const tenantId = env.world.addTenant({ displayName: 'Contoso' }).id;
      const app = env.registerApp();
      const ada = env.world.addUser({ displayName: 'Ada', tenantId });
      const chat = env.world.createChat({ tenantId, members: [ada.id] });
      env.world.installApp(chat.id, app.teamsAppId);
      const bearer = await env.login.signAppToken({ tenantId, clientId: app.clientId, audience: env.graphUrl });
      const created = await fetch(`${env.graphUrl}/v1.0/subscriptions`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          changeType: 'created',
          notificationUrl: receiver.notificationUrl,
          resource: `/chats/${chat.id}/members`,
          expirationDateTime: new Date(Date.now() + 50 * MINUTE).toISOString(),
        }),
      });
      assert.equal(created.status, 201);
      receiver.nextStatuses = [503];
      const failedOnce = new Promise<void>((resolve) => env.wire.on((e) => e.kind === 'notification' && e.status === 503 && resolve()));
      env.world.addMember(chat.id, env.world.addUser({ displayName: 'Bob', tenantId }).id);
      await failedOnce;
    } finally {
      await env.close();
      await receiver.close();
    }
    assert.equal(receiver.posts.length, 1);
  });
});
