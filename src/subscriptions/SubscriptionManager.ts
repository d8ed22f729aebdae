import type { InstalledEvent, NotificationsLostEvent, UninstalledEvent } from '../events/HeraldEvents.js';
import type { LifecycleEvent } from '../model/changeEvents.js';
import type { Messages } from '../i18n/Messages.js';
import { requestChatInstall, requestChatRemoval } from './chatSubscriptions.js';
import { resolvePendingCreation } from './pendingAdoption.js';
import type { PendingCreations } from './PendingCreations.js';
import type { RenewalPolicy } from './RenewalPolicy.js';
import { reconcileAtStart } from './startupReconcile.js';
import { createRuntime, type SubscriptionRuntime } from './subscriptionRuntime.js';
import type { SubscriptionManagerDeps } from './subscriptionTypes.js';
import { describeChat, health, statusLines, type ChatSubscriptionsView, type SubscriptionHealth } from './subscriptionViews.js';
import { catchUpLost, onLifecycle, renew } from './upkeep.js';

export { DEFAULT_MANAGER_OPTIONS, type SubscriptionGraph, type SubscriptionManagerDeps, type SubscriptionManagerOptions } from './subscriptionTypes.js';
export type { ChatSubscriptionsView, SubscriptionView } from './subscriptionViews.js';

/**
 * Keeps Herald's Graph subscriptions alive: the per-chat pair from installation to removal, the optional
 * tenant-wide pair, renewals before expiry on one timer wheel, lifecycle events, and the start-up
 * reconcile against what Graph actually has. Also takes the baseline snapshot of each chat and, after
 * notifications were lost, emits what changed (`source: 'reconcile'`) for the announcer.
 *
 * All work runs as keyed jobs on the wheel (one per chat, subscription or tenant; rescheduling replaces),
 * serialised per chat and per tenant, so duplicate events never create duplicate subscriptions.
 *
 * This class is the facade; each job lives in its own module over the shared SubscriptionRuntime:
 * chatSubscriptions, tenantSubscriptions, upkeep (renewal, lifecycle), failureHandling,
 * startupReconcile, subscriptionRecords (one subscription) and subscriptionViews.
 */
export type StartupReconcile = 'running' | 'done' | 'failed';

export class SubscriptionManager {
  readonly policy: RenewalPolicy;
  /** Creations in flight (by clientState), for the notification pipeline to hold early deliveries. */
  readonly pendingCreations: PendingCreations;
  private readonly rt: SubscriptionRuntime;
  /** The start-up reconcile, while it runs in the background. */
  private starting: Promise<void> | null = null;
  /** Where the start-up reconcile is, for /healthz (an operator or a benchmark waiting for a restart to settle). */
  private startupReconcile: StartupReconcile = 'running';

  constructor(deps: SubscriptionManagerDeps) {
    this.rt = createRuntime(deps);
    this.rt.renewJob = (id) => renew(this.rt, id);
    this.rt.resolveStaleCreation = async (marker) => void (await resolvePendingCreation(this.rt, marker));
    this.policy = this.rt.policy;
    this.pendingCreations = this.rt.pending;
  }

  // ---- events in ---------------------------------------------------------------------------

  /** Herald was added to a chat (or came back): subscriptions, then a fresh baseline. Returns at once. */
  onInstalled(event: InstalledEvent): void {
    requestChatInstall(this.rt, event.installation.chatId);
  }

  /** Herald left a chat: its pending work is dropped and its subscriptions deleted. Returns at once. */
  onUninstalled(event: UninstalledEvent): void {
    requestChatRemoval(this.rt, event.chatId, event.tenantId);
  }

  /** A lifecycle notification for one of Herald's subscriptions. Returns at once. */
  onLifecycle(event: LifecycleEvent): Promise<void> {
    return onLifecycle(this.rt, event);
  }

  /** Notifications were given up unhandled: their chats are reconciled with Graph. */
  onNotificationsLost(event: NotificationsLostEvent): Promise<void> {
    return catchUpLost(this.rt, event);
  }

  // ---- start and stop ----------------------------------------------------------------------

  /** Start-up reconcile: per known tenant, compare Graph's list with the store; then schedule renewals. */
  start(): Promise<void> {
    return reconcileAtStart(this.rt);
  }

  /**
   * Runs the start-up reconcile without holding up Herald's start: inbox replay and the bot must not wait
   * for a slow or unreachable Graph. Failures are logged; renewals and per-chat work still run.
   */
  startInBackground(): void {
    this.starting ??= this.start().then(
      () => void (this.startupReconcile = 'done'),
      (error: unknown) => {
        this.startupReconcile = 'failed';
        this.rt.deps.log.error({ err: error }, 'start-up reconcile of subscriptions failed');
      },
    );
  }

  async stop(): Promise<void> {
    this.rt.stopped = true;
    // The reconcile checks `stopped` between tenants; an in-flight Graph call is bounded by its timeouts.
    if (this.starting) await this.starting;
    await this.rt.wheel.stop();
  }

  /** Resolves when the start-up reconcile is done and no subscription job is running or due now. */
  async whenIdle(): Promise<void> {
    if (this.starting) await this.starting;
    await this.rt.wheel.whenIdle();
  }

  // ---- views -------------------------------------------------------------------------------

  describeChat(chatId: string): Promise<ChatSubscriptionsView> {
    return describeChat(this.rt, chatId);
  }

  /** Lines `@Herald status` adds to chatStatusLines (which already lists subscriptions and their expiry). */
  statusLines(chatId: string, messages?: Messages): Promise<string[]> {
    return statusLines(this.rt, chatId, messages);
  }

  /** Totals for /healthz. */
  async health(): Promise<SubscriptionHealth & { startupReconcile: StartupReconcile }> {
    return { ...(await health(this.rt)), startupReconcile: this.startupReconcile };
  }
}
