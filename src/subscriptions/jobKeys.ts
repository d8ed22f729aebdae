import type { LifecycleEvent } from '../model/changeEvents.js';

type LifecycleKind = LifecycleEvent['kind'];

/**
 * Every key the manager uses on its timer wheel, lock and attempt counter. Built only here, so a job's
 * key and the prefix that cancels it cannot drift apart.
 */
export type JobKey =
  | `chat:${string}:sync`
  | `chat:${string}:remove`
  | `tenant:${string}:sync`
  | `sub:${string}:renew`
  | `sub:${string}:reauthorize`
  | `sub:${string}:lifecycle:${LifecycleKind}`
  | `delete:${string}`
  | 'certificates:check';

/** Locks: one per chat, one per tenant (the store's key locks, shared by every instance; never nested). */
export type LockKey = `chat:${string}` | `tenant:${string}`;

export const jobKeys = {
  chatSync: (chatId: string) => `chat:${chatId}:sync` as const,
  chatRemove: (chatId: string) => `chat:${chatId}:remove` as const,
  /** Every job of one chat (sync and remove). */
  chatPrefix: (chatId: string) => `chat:${chatId}:`,
  tenantSync: (tenantId: string) => `tenant:${tenantId}:sync` as const,
  renew: (subscriptionId: string) => `sub:${subscriptionId}:renew` as const,
  /** Attempt counter only: reauthorize retries are scheduled as the lifecycle job. */
  reauthorize: (subscriptionId: string) => `sub:${subscriptionId}:reauthorize` as const,
  lifecycle: (subscriptionId: string, kind: LifecycleKind) => `sub:${subscriptionId}:lifecycle:${kind}` as const,
  /** Every job of one subscription (renewal, lifecycle). */
  subscriptionPrefix: (subscriptionId: string) => `sub:${subscriptionId}:`,
  delete: (subscriptionId: string) => `delete:${subscriptionId}` as const,
  /** The daily look at the encryption certificate (rotation, moving subscriptions, retiring old keys). */
  certificateCheck: () => 'certificates:check' as const,
} satisfies Record<string, (...args: never[]) => string>;

export const lockKeys = {
  chat: (chatId: string): LockKey => `chat:${chatId}`,
  tenant: (tenantId: string): LockKey => `tenant:${tenantId}`,
};
