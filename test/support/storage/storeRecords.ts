import { DEFAULT_CHAT_SETTINGS, type ChatState } from '../../../src/model/chat.js';
import type { HistoryEntry, HistoryKind } from '../../../src/model/history.js';
import type { InboxBatch, OutboxPost } from '../../../src/model/inbox.js';
import type { Installation } from '../../../src/model/installation.js';
import type { PendingCreationRecord, SubscriptionRecord } from '../../../src/model/subscription.js';

/** Records for storage tests, each built from the few fields a test cares about. */
export const installation = (chatId: string, tenantId = 'tenant-a'): Installation => ({
  chatId,
  tenantId,
  serviceUrl: 'https://smba.example.invalid/teams/',
  conversationReference: { conversation: { id: chatId, isGroup: true, conversationType: 'groupChat', name: '' } },
  status: 'installed',
  installedAt: '2026-01-01T00:00:00.000Z',
  uninstalledAt: null,
  uninstallReason: null,
  lastActivityAt: '2026-01-01T00:00:00.000Z',
});

export const subscription = (id: string, tenantId: string, chatId: string | null): SubscriptionRecord => ({
  id,
  kind: chatId ? 'chatMembers' : 'tenantMembers',
  tenantId,
  chatId,
  resource: chatId ? `/chats/${chatId}/members` : '/appCatalogs/teamsApps/app/installedToChats/getAllMembers',
  changeType: 'created,deleted',
  clientState: `state-${id}`,
  expirationDateTime: '2026-01-01T01:00:00.000Z',
  encryptionCertificateId: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  lastRenewedAt: null,
  lastNotificationAt: null,
  lastError: null,
});

export const batch = (id: string, receivedAt: string): InboxBatch => ({
  id,
  route: 'notifications',
  receivedAt,
  body: { value: [{ subscriptionId: 'sub-1', changeType: 'created', resource: `chats('19:c')/members('${id}')` }] },
});

export const post = (id: string, chatId: string, notBefore: string): OutboxPost => ({
  id,
  chatId,
  activity: { type: 'message', text: `post ${id}` },
  createdAt: '2026-01-01T00:00:00.000Z',
  attempts: 0,
  notBefore,
});

export const entry = (chatId: string, id: string, at: string, kind: HistoryKind = 'joined'): HistoryEntry => ({
  id,
  chatId,
  at,
  kind,
  actor: `person ${id}`,
});

export const pendingCreation = (key: string, tenantId: string, chatId: string | null): PendingCreationRecord => ({
  key,
  kind: chatId ? 'chatMembers' : 'tenantMembers',
  tenantId,
  chatId,
  resource: chatId ? `/chats/${chatId}/members` : '/appCatalogs/teamsApps/app-1/installedToChats/getAllMembers',
  changeType: 'created,deleted',
  clientState: `secret-of-${key}`,
  notificationUrl: 'https://herald.example/api/notifications',
  encryptionCertificateId: 'cert-1',
  encryptionCertificateThumbprint: 'ABCDEF',
  startedAt: '2026-03-01T10:00:00.000Z',
  startedBy: 'instance-a',
});

export const chat = (chatId: string, tenantId = 'tenant-a'): ChatState => ({
  chatId,
  tenantId,
  topic: null,
  topicUpdatedAt: null,
  roster: {},
  settings: { ...DEFAULT_CHAT_SETTINGS },
  problem: null,
  baselineAt: null,
});
