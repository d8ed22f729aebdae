import type { SubscriptionKind, SubscriptionRecord } from '../model/subscription.js';

/** One subscription Herald wants to exist: what to watch, for which chat or tenant. */
export interface SubscriptionSpec {
  kind: SubscriptionKind;
  tenantId: string;
  /** Set for per-chat subscriptions; null for the tenant-wide pair. */
  chatId: string | null;
  resource: string;
  changeType: string;
}

/** The per-chat pair: membership (created, deleted) and the chat itself (updated: topic). Not metered. */
export function chatSubscriptionSpecs(tenantId: string, chatId: string): SubscriptionSpec[] {
  return [
    { kind: 'chatMembers', tenantId, chatId, resource: `/chats/${chatId}/members`, changeType: 'created,deleted' },
    { kind: 'chat', tenantId, chatId, resource: `/chats/${chatId}`, changeType: 'updated' },
  ];
}

/**
 * The tenant-wide pair over every chat Herald is installed in. Both resources are metered `model=B`
 * only; without `?model=B` Graph runs them in evaluation mode and silently stops after its quota.
 */
export function tenantSubscriptionSpecs(tenantId: string, teamsAppId: string, billingModel: 'B' | null): SubscriptionSpec[] {
  const model = billingModel === 'B' ? '?model=B' : '';
  const base = `/appCatalogs/teamsApps/${teamsAppId}/installedToChats`;
  return [
    { kind: 'tenantMembers', tenantId, chatId: null, resource: `${base}/getAllMembers${model}`, changeType: 'created,deleted' },
    { kind: 'tenantChats', tenantId, chatId: null, resource: `${base}${model}`, changeType: 'updated' },
  ];
}

/** Resource paths compared the way Graph treats them: no leading slash, case-insensitive, decoded. */
export function normalizeResource(resource: string): string {
  let text = resource.trim();
  try {
    text = decodeURIComponent(text);
  } catch {
    /* keep as is */
  }
  return text.replace(/^\/+/, '').toLowerCase();
}

function normalizeChangeType(changeType: string): string {
  return changeType
    .split(',')
    .map((part) => part.trim().toLowerCase())
    .filter(Boolean)
    .sort()
    .join(',');
}

/** Whether a subscription (stored or listed by Graph) watches what `spec` asks for. */
export function matchesSpec(subscription: Pick<SubscriptionRecord, 'resource' | 'changeType'>, spec: SubscriptionSpec): boolean {
  return normalizeResource(subscription.resource) === normalizeResource(spec.resource) && normalizeChangeType(subscription.changeType) === normalizeChangeType(spec.changeType);
}

/** The lock a spec's work runs under: its chat, or its tenant for the tenant-wide pair. */
export function ownerKey(spec: Pick<SubscriptionSpec, 'tenantId' | 'chatId'>): string {
  return spec.chatId ? `chat:${spec.chatId}` : `tenant:${spec.tenantId}`;
}

export function isTenantKind(kind: SubscriptionKind): boolean {
  return kind === 'tenantMembers' || kind === 'tenantChats';
}
