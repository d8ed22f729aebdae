/**
 * A Graph change-notification sender for tests, written from the documentation: builds
 * `changeNotificationCollection` bodies with resource data encrypted for a test certificate (the Graph
 * double's encryption) and validation tokens signed by the login double.
 */
import { randomUUID, X509Certificate } from 'node:crypto';
import type { ChangeNotification, ChangeNotificationCollection } from '@microsoft/microsoft-graph-types';
import { encryptResourceData, type EncryptedContent } from '../../../sim/doubles/graph/encryption.js';
import type { LoginDouble, ValidationTokenRequest } from '../../../sim/doubles/login/LoginDouble.js';
import type { SubscriptionRecord } from '../../../src/model/subscription.js';

export interface TestCertificate {
  id: string;
  certPem: string;
}

export function membershipId(tenantId: string, chatId: string, userId: string): string {
  return Buffer.from(`0##${tenantId}##${chatId}##${userId}`, 'utf8').toString('base64');
}

export function subscriptionRecord(input: { tenantId: string; chatId: string | null; kind?: SubscriptionRecord['kind']; clientState?: string; id?: string }): SubscriptionRecord {
  const kind = input.kind ?? (input.chatId ? 'chatMembers' : 'tenantMembers');
  return {
    id: input.id ?? randomUUID(),
    kind,
    tenantId: input.tenantId,
    chatId: input.chatId,
    resource: input.chatId ? `/chats/${input.chatId}/members` : '/appCatalogs/teamsApps/app/installedToChats/getAllMembers',
    changeType: 'created,deleted',
    clientState: input.clientState ?? randomUUID(),
    expirationDateTime: '2099-01-01T00:00:00.000Z',
    encryptionCertificateId: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    lastRenewedAt: null,
    lastNotificationAt: null,
    lastError: null,
  };
}

export interface MemberPayload {
  userId: string;
  tenantId: string;
  roles?: string[];
}

/** Builds notification items and batches the way Graph sends them. */
export class GraphNotifier {
  constructor(private readonly options: { login: LoginDouble; audience: string; certificate: TestCertificate }) {}

  encrypt(resource: unknown, certificate: TestCertificate = this.options.certificate): EncryptedContent {
    const cert = new X509Certificate(certificate.certPem);
    const thumbprint = cert.fingerprint.replace(/:/g, '').toUpperCase();
    return encryptResourceData(resource, { publicKey: cert.publicKey, thumbprint }, certificate.id);
  }

  memberItem(
    subscription: SubscriptionRecord,
    input: { chatId: string; member: MemberPayload; changeType?: 'created' | 'deleted'; encrypted?: boolean; certificate?: TestCertificate; tenantId?: string },
  ): ChangeNotification {
    const id = membershipId(subscription.tenantId, input.chatId, input.member.userId);
    const resource = `chats('${input.chatId}')/members('${id}')`;
    const payload = {
      userId: input.member.userId,
      email: null,
      tenantId: input.member.tenantId,
      id,
      roles: input.member.roles ?? [],
      displayName: null,
      visibleHistoryStartDateTime: '1970-01-01T00:00:00Z',
      user: null,
    };
    return {
      subscriptionId: subscription.id,
      changeType: input.changeType ?? 'created',
      clientState: subscription.clientState,
      subscriptionExpirationDateTime: subscription.expirationDateTime,
      resource,
      resourceData: { id, '@odata.type': '#microsoft.graph.aadUserConversationMember', '@odata.id': resource } as ChangeNotification['resourceData'],
      ...(input.encrypted === false ? {} : { encryptedContent: this.encrypt(payload, input.certificate) }),
      tenantId: input.tenantId ?? subscription.tenantId,
    };
  }

  chatItem(
    subscription: SubscriptionRecord,
    input: { chatId: string; topic: string | null; lastUpdatedDateTime: string; encrypted?: boolean; extra?: Record<string, unknown> },
  ): ChangeNotification {
    const resource = `chats('${input.chatId}')`;
    const payload = {
      id: input.chatId,
      topic: input.topic,
      createdDateTime: '2026-01-01T00:00:00Z',
      lastUpdatedDateTime: input.lastUpdatedDateTime,
      chatType: 'group',
      tenantId: subscription.tenantId,
      members: [],
      ...input.extra,
    };
    return {
      subscriptionId: subscription.id,
      changeType: 'updated',
      clientState: subscription.clientState,
      subscriptionExpirationDateTime: subscription.expirationDateTime,
      resource,
      resourceData: { id: input.chatId, '@odata.type': '#Microsoft.Graph.chat', '@odata.id': resource } as ChangeNotification['resourceData'],
      ...(input.encrypted === false ? {} : { encryptedContent: this.encrypt(payload) }),
      tenantId: subscription.tenantId,
    };
  }

  lifecycleItem(subscription: SubscriptionRecord, lifecycleEvent: string): ChangeNotification {
    return {
      subscriptionId: subscription.id,
      subscriptionExpirationDateTime: subscription.expirationDateTime,
      tenantId: subscription.tenantId,
      clientState: subscription.clientState,
      lifecycleEvent: lifecycleEvent as ChangeNotification['lifecycleEvent'],
    };
  }

  validationToken(tenantId: string, options: Partial<ValidationTokenRequest> = {}): Promise<string> {
    return this.options.login.signValidationToken({ tenantId, audience: this.options.audience, ...options });
  }

  /** One token per tenant of the rich items, as Graph sends them. */
  async batch(items: ChangeNotification[], tokens?: string[]): Promise<ChangeNotificationCollection> {
    const richTenants = [...new Set(items.filter((i) => i.encryptedContent).map((i) => i.tenantId ?? ''))];
    const validationTokens = tokens ?? (await Promise.all(richTenants.map((t) => this.validationToken(t))));
    return validationTokens.length > 0 ? { value: items, validationTokens } : { value: items };
  }
}

/** The casing of the older Teams doc examples: `EncryptedContent`, `Created`, `SubscriptionId`… */
export function pascalCased(item: ChangeNotification): Record<string, unknown> {
  const upper = (s: string) => (s.startsWith('@') ? s : s.charAt(0).toUpperCase() + s.slice(1));
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) {
    if (name === 'changeType' && typeof value === 'string') out[upper(name)] = upper(value);
    else if (name === 'encryptedContent' && value && typeof value === 'object') {
      out.EncryptedContent = Object.fromEntries(Object.entries(value).map(([k, v]) => [upper(k), v]));
    } else out[upper(name)] = value;
  }
  return out;
}

export async function postJson(url: string, body: unknown, init: { contentType?: string; raw?: string } = {}): Promise<{ status: number; text: string; contentType: string | null }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': init.contentType ?? 'application/json' },
    body: init.raw ?? JSON.stringify(body),
  });
  return { status: response.status, text: await response.text(), contentType: response.headers.get('content-type') };
}
