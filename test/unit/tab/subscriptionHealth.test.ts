import assert from 'node:assert/strict';
import type { SubscriptionRecord } from '../../../src/model/subscription.js';
import { openSqliteMemory } from '../../../src/storage/sqlite/SqliteStore.js';
import { adviceFor, chatSubscriptionsView, subscriptionHealth, type SubscriptionInsight } from '../../../src/tab/subscriptionHealth.js';

const NOW = new Date('2026-03-01T10:00:00Z');

const record = (extra: Partial<SubscriptionRecord> = {}): SubscriptionRecord => ({
  id: 'sub-1', kind: 'chatMembers', tenantId: 't', chatId: '19:a@thread.v2', resource: '/chats/19:a@thread.v2/members', changeType: 'created,deleted',
  clientState: 'x', expirationDateTime: '2026-03-01T12:30:00Z', encryptionCertificateId: null, createdAt: '2026-03-01T09:00:00Z',
  lastRenewedAt: null, lastNotificationAt: '2026-03-01T09:55:00Z', lastError: null, ...extra,
});

describe('subscription health for the tab', () => {
  it('calls a subscription with time left and no error alive, and says when it expires', () => {
    const health = subscriptionHealth(record(), NOW);
    assert.deepEqual(
      { state: health.state, expiresIn: health.expiresIn, advice: health.advice, scope: health.scope, label: health.label },
      { state: 'alive', expiresIn: '2h 30m', advice: null, scope: 'chat', label: 'People joining and leaving this chat' },
    );
  });

  it('calls one past its expiry expired, with what happens next', () => {
    const health = subscriptionHealth(record({ expirationDateTime: '2026-03-01T09:00:00Z' }), NOW);
    assert.equal(health.state, 'expired');
    assert.equal(health.expiresIn, 'expired');
    assert.match(health.advice ?? '', /recreates it/);
  });

  it('calls one with a last error failing, and explains missing consent', () => {
    const health = subscriptionHealth(record({ lastError: 'Forbidden: missing resource-specific consent' }), NOW);
    assert.equal(health.state, 'failing');
    assert.match(health.advice ?? '', /remove Herald and add it again/);
  });

  it('matches common Graph failures to advice, with a generic fallback', () => {
    assert.match(adviceFor('429 TooManyRequests: throttled'), /throttling/);
    assert.match(adviceFor('Subscription validation request failed. Notification endpoint must respond with 200 OK'), /PUBLIC_URL/);
    assert.match(adviceFor('ResourceNotFound: subscription does not exist'), /recreates it/);
    assert.match(adviceFor('something odd'), /retries on its own/);
  });

  it('marks tenant-wide subscriptions as shared', () => {
    assert.equal(subscriptionHealth(record({ kind: 'tenantMembers', chatId: null }), NOW).scope, 'tenant');
  });

  it('adds the subscription manager’s renewal schedule and tenant-wide problems to the stored records', async () => {
    const store = await openSqliteMemory();
    await store.subscriptions.put('sub-1', record());
    await store.subscriptions.put('sub-2', record({ id: 'sub-2', kind: 'tenantMembers', chatId: null }));
    const view = (id: string, nextRenewalAt: string | null) => ({ id, kind: 'chatMembers' as const, resource: '', changeType: '', expirationDateTime: '', expiresInMs: 0, nextRenewalAt, lastRenewedAt: null, lastError: null });
    const insight: SubscriptionInsight = {
      subscriptions: [view('sub-1', '2026-03-01T12:00:00Z')],
      tenantSubscriptions: [view('sub-2', null)],
      tenantProblem: 'Forbidden: ChatMember.Read.WhereInstalled has not been consented',
      evaluationMode: true,
      pendingSyncAt: '2026-03-01T10:05:00Z',
    };
    const result = (await chatSubscriptionsView({ store: store, insight: async () => insight }, '19:a@thread.v2', 't', NOW));
    assert.deepEqual(result.subscriptions.map((s) => [s.id, s.nextRenewalAt]), [['sub-1', '2026-03-01T12:00:00Z'], ['sub-2', null]]);
    assert.match(result.tenantProblem?.advice ?? '', /permission/);
    assert.equal(result.evaluationMode, true);
    assert.equal(result.pendingSyncAt, '2026-03-01T10:05:00Z');

    const plain = (await chatSubscriptionsView({ store: store }, '19:a@thread.v2', 't', NOW));
    assert.deepEqual([plain.tenantProblem, plain.evaluationMode, plain.pendingSyncAt], [null, false, null]);
  });
});
