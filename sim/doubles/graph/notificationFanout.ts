/**
 * Turns world changes into change notifications for every live subscription that covers them
 * (per-chat and tenant-wide), applying access checks, evaluation-mode quotas and the drop fault.
 */
import type { WorldChat, WorldEvent, WorldMembership } from '../world/types.js';
import type { WireLog, WireNotificationItem } from '../world/WireLog.js';
import type { World } from '../world/World.js';
import type { ChatAccess } from './chatAccess.js';
import type { DeliveryQueue, NotificationItem, OutgoingItem } from './deliveryQueue.js';
import { encryptResourceData } from './encryption.js';
import {
  CHAT_ODATA_TYPE,
  chatForNotification,
  chatResource,
  MEMBER_ODATA_TYPE,
  memberForNotification,
  memberResource,
  type UserLookup,
} from './payloads.js';
import { RESOURCE_RULES, type ChangeTypeName } from './resources.js';
import type { StoredSubscription, SubscriptionStore } from './subscriptionStore.js';

export type LifecycleEventName = 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed';

interface Change {
  changeType: ChangeTypeName;
  entity: 'chat' | 'member';
  chat: WorldChat;
  membership?: WorldMembership;
}

export interface FanoutOptions {
  world: World;
  store: SubscriptionStore;
  access: ChatAccess;
  queue: DeliveryQueue;
  wire: WireLog;
  clock: () => Date;
  evaluationMonthlyLimit: number;
}

export class NotificationFanout {
  private dropArmed: { chatId: string | null } | null = null;
  private readonly evaluationUsage = new Map<string, number>();
  private readonly lookup: UserLookup;

  constructor(private readonly options: FanoutOptions) {
    this.lookup = (userId) => options.world.getUser(userId);
  }

  /** The next change (for this chat, or any chat) is not delivered; a `missed` lifecycle event follows. */
  dropNext(chatId?: string): void {
    this.dropArmed = { chatId: chatId ?? null };
  }

  /** Notifications counted against the evaluation-mode quota this month. */
  evaluationCount(clientId: string, tenantId: string): number {
    return this.evaluationUsage.get(this.evaluationKey(clientId, tenantId)) ?? 0;
  }

  onWorldEvent(event: WorldEvent): void {
    const change = toChange(event);
    if (!change) return;
    const matching = this.options.store.all().filter((sub) => this.covers(sub, change));
    const deliverable: StoredSubscription[] = [];
    for (const sub of matching) {
      const reason = this.blockedReason(sub, change.chat);
      if (reason) {
        this.suppress(sub, change, reason);
        continue;
      }
      deliverable.push(sub);
    }
    if (deliverable.length === 0) return;

    if (this.dropArmed && (this.dropArmed.chatId === null || this.dropArmed.chatId === change.chat.id)) {
      this.dropArmed = null;
      for (const sub of deliverable) {
        this.suppress(sub, change, 'dropped');
        this.sendLifecycle(sub, 'missed');
      }
      return;
    }

    const byUrl = new Map<string, OutgoingItem[]>();
    for (const sub of deliverable) {
      if (this.overEvaluationQuota(sub, change)) continue;
      const outgoing = this.buildItem(sub, change);
      const list = byUrl.get(sub.notificationUrl) ?? [];
      list.push(outgoing);
      byUrl.set(sub.notificationUrl, list);
    }
    for (const [url, items] of byUrl) this.options.queue.send('notification', url, items);
  }

  /** Post a lifecycle event to the subscription's lifecycleNotificationUrl; false when it has none. */
  sendLifecycle(sub: StoredSubscription, lifecycleEvent: LifecycleEventName): boolean {
    if (!sub.lifecycleNotificationUrl) {
      this.options.wire.record({ kind: 'suppressed', reason: 'noLifecycleUrl', subscriptionId: sub.id, lifecycleEvent });
      return false;
    }
    const item: NotificationItem = {
      subscriptionId: sub.id,
      subscriptionExpirationDateTime: sub.expirationDateTime,
      tenantId: sub.tenantId,
      clientState: sub.clientState,
      lifecycleEvent,
    };
    const view: WireNotificationItem = { subscriptionId: sub.id, lifecycleEvent, tenantId: sub.tenantId };
    this.options.queue.send('lifecycle', sub.lifecycleNotificationUrl, [{ item, audience: sub.notificationUrlAppId ?? sub.clientId, view }]);
    return true;
  }

  private covers(sub: StoredSubscription, change: Change): boolean {
    const rule = RESOURCE_RULES[sub.target.kind];
    if (rule.entity !== change.entity || !sub.changeTypes.includes(change.changeType)) return false;
    if (sub.tenantId !== change.chat.tenantId) return false;
    switch (sub.target.kind) {
      case 'chat':
      case 'chatMembers':
        return sub.target.chatId === change.chat.id;
      case 'tenantChats':
      case 'tenantMembers':
        return true;
      case 'installedChats':
      case 'installedMembers':
        return change.chat.installedApps.some((id) => id.toLowerCase() === sub.target.teamsAppId?.toLowerCase());
    }
  }

  private blockedReason(sub: StoredSubscription, chat: WorldChat): 'consentRevoked' | 'notInstalled' | null {
    const { kind } = sub.target;
    if (kind === 'chat' || kind === 'chatMembers') {
      if (this.options.access.allowed(RESOURCE_RULES[kind], { clientId: sub.clientId, roles: sub.roles }, chat.id)) return null;
      return this.options.access.isRevoked(chat.id) ? 'consentRevoked' : 'notInstalled';
    }
    if ((kind === 'installedChats' || kind === 'installedMembers') && this.options.access.isRevoked(chat.id)) return 'consentRevoked';
    return null;
  }

  private overEvaluationQuota(sub: StoredSubscription, change: Change): boolean {
    const rule = RESOURCE_RULES[sub.target.kind];
    if (rule.models.length === 0 || sub.target.model !== null) return false;
    const key = this.evaluationKey(sub.clientId, sub.tenantId);
    const used = this.evaluationUsage.get(key) ?? 0;
    if (used >= this.options.evaluationMonthlyLimit) {
      // Evaluation mode: past the monthly quota notifications are simply not sent (reference §10.4).
      this.suppress(sub, change, 'evaluationQuota');
      return true;
    }
    this.evaluationUsage.set(key, used + 1);
    return false;
  }

  private evaluationKey(clientId: string, tenantId: string): string {
    return `${clientId}|${tenantId}|${this.options.clock().toISOString().slice(0, 7)}`;
  }

  private buildItem(sub: StoredSubscription, change: Change): OutgoingItem {
    const { chat, membership } = change;
    const isMember = change.entity === 'member' && membership;
    const resource = isMember ? memberResource(chat.id, membership.id) : chatResource(chat.id);
    const item: NotificationItem = {
      subscriptionId: sub.id,
      subscriptionExpirationDateTime: sub.expirationDateTime,
      changeType: change.changeType,
      clientState: sub.clientState,
      tenantId: chat.tenantId,
      resource,
      resourceData: {
        id: isMember ? membership.id : chat.id,
        '@odata.type': isMember ? MEMBER_ODATA_TYPE : CHAT_ODATA_TYPE,
        '@odata.id': resource,
      },
    };
    const view: WireNotificationItem = { subscriptionId: sub.id, changeType: change.changeType, resource, tenantId: chat.tenantId };
    if (sub.includeResourceData && sub.certificate && sub.encryptionCertificateId) {
      const payload = isMember ? memberForNotification(membership, this.lookup) : chatForNotification(chat, this.lookup);
      item.encryptedContent = encryptResourceData(payload, sub.certificate, sub.encryptionCertificateId);
      view.decrypted = payload;
    }
    return { item, audience: sub.notificationUrlAppId ?? sub.clientId, view };
  }

  private suppress(sub: StoredSubscription, change: Change, reason: 'dropped' | 'evaluationQuota' | 'consentRevoked' | 'notInstalled'): void {
    const resource = change.membership ? memberResource(change.chat.id, change.membership.id) : chatResource(change.chat.id);
    this.options.wire.record({ kind: 'suppressed', reason, subscriptionId: sub.id, resource, changeType: change.changeType });
  }
}

function toChange(event: WorldEvent): Change | null {
  switch (event.type) {
    case 'memberAdded':
      return { changeType: 'created', entity: 'member', chat: event.chat, membership: event.membership };
    case 'memberRemoved':
      // Deleted memberships carry the member's last known state.
      return { changeType: 'deleted', entity: 'member', chat: event.chat, membership: event.membership };
    case 'chatRenamed':
      return { changeType: 'updated', entity: 'chat', chat: event.chat };
    case 'chatCreated':
      return { changeType: 'created', entity: 'chat', chat: event.chat };
    case 'appInstalled':
    case 'appUninstalled':
      return null;
  }
}
