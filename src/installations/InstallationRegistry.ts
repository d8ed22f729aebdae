import { randomUUID } from 'node:crypto';
import { TurnContext, type Activity } from 'botbuilder';
import type { Logger } from 'pino';
import type { HeraldEvents } from '../events/HeraldEvents.js';
import type { Installation } from '../model/installation.js';
import type { Store, StoreData } from '../storage/Store.js';

export interface TouchResult {
  installation: Installation;
  /** The chat became installed with this activity (unknown before, or previously removed). */
  becameInstalled: boolean;
  firstTime: boolean;
}

/** Reads the tenant of an activity from the places Teams puts it. */
export function tenantOf(activity: Partial<Activity>): string | null {
  const channelData = activity.channelData as { tenant?: { id?: string } } | undefined;
  return activity.conversation?.tenantId ?? channelData?.tenant?.id ?? null;
}

/**
 * The group chats Herald is installed in, with the conversation reference needed to post there.
 * Publishes `installed` / `uninstalled`; nothing else needs to know about bot activities.
 */
export class InstallationRegistry {
  constructor(
    private readonly deps: { store: Store; events: HeraldEvents; clock: () => Date; log: Logger },
  ) {}

  /** Read through `within` (a unit's transaction) when given. */
  get(chatId: string, within?: StoreData): Promise<Installation | undefined> {
    return (within ?? this.deps.store).installations.get(chatId);
  }

  listInstalled(): Promise<Installation[]> {
    return this.deps.store.installations.installed();
  }

  countInstalled(): Promise<number> {
    return this.deps.store.installations.countInstalled();
  }

  /**
   * Refreshes the stored reference from any activity of a group chat. Teams does not always send install
   * events (re-installs, Graph-driven installs), so the first activity from an unknown chat installs it.
   */
  async touch(activity: Partial<Activity>): Promise<TouchResult | null> {
    const chatId = activity.conversation?.id;
    const tenantId = tenantOf(activity);
    if (!chatId || !tenantId || !activity.serviceUrl) return null;
    const now = this.deps.clock().toISOString();
    const reference = TurnContext.getConversationReference(activity);
    let becameInstalled = false;
    let firstTime = false;
    const installation = await this.deps.store.installations.update(chatId, (current) => {
      firstTime = current === undefined;
      becameInstalled = current?.status !== 'installed';
      return {
        chatId,
        tenantId,
        serviceUrl: activity.serviceUrl as string,
        conversationReference: { ...reference, activityId: undefined },
        status: 'installed',
        installedAt: becameInstalled ? now : (current?.installedAt ?? now),
        uninstalledAt: null,
        uninstallReason: null,
        lastActivityAt: now,
      };
    });
    if (!installation) return null;
    if (becameInstalled) {
      // The chat's history (the tab) shows Herald arriving, like any other change to the chat.
      await this.deps.store.history.append({ id: randomUUID(), chatId, at: now, kind: 'installed', actor: activity.from?.name?.trim() || null });
      this.deps.log.info({ chatId, tenantId, firstTime }, 'installed into chat');
      await this.deps.events.emit('installed', { installation, firstTime });
    }
    return { installation, becameInstalled, firstTime };
  }

  /** Marks a chat uninstalled (bot removed, by `by` when Teams says who, or the connector says Herald is no longer in the chat). */
  async markUninstalled(chatId: string, reason: string, tenantIdHint?: string | null, by?: string | null): Promise<boolean> {
    const now = this.deps.clock().toISOString();
    let changed = false;
    const result = await this.deps.store.installations.update(chatId, (current) => {
      if (!current) {
        if (!tenantIdHint) return undefined;
        changed = false;
        return {
          chatId, tenantId: tenantIdHint, serviceUrl: '', conversationReference: {}, status: 'uninstalled',
          installedAt: now, uninstalledAt: now, uninstallReason: reason, lastActivityAt: now,
        };
      }
      if (current.status === 'uninstalled') return current;
      changed = true;
      return { ...current, status: 'uninstalled', uninstalledAt: now, uninstallReason: reason };
    });
    if (changed && result) {
      await this.deps.store.history.append({ id: randomUUID(), chatId, at: now, kind: 'uninstalled', actor: by?.trim() || null, detail: by?.trim() ? null : reason });
      this.deps.log.info({ chatId, reason }, 'removed from chat');
      await this.deps.events.emit('uninstalled', { chatId, tenantId: result.tenantId, reason });
    }
    return changed;
  }
}
