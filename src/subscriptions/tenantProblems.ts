import type { HeraldErrorCode } from '../kernel/errors.js';
import { emptyChatState } from '../model/chat.js';
import type { SubscriptionRuntime } from './subscriptionRuntime.js';

// A tenant-wide problem (the installedToChats pair refused: 402/403/400) is stored on the state of each
// chat Herald is installed in within that tenant, so `status` and the tab still show it after a restart.

/** Records the problem on every installed chat of the tenant (replacing an older one). */
export async function recordTenantProblem(rt: SubscriptionRuntime, tenantId: string, found: { code: HeraldErrorCode; message: string }): Promise<void> {
  const { store, clock } = rt.deps;
  const { message } = found;
  const problem = { ...found, at: clock().toISOString() };
  const chats = (await store.installations.installed(tenantId)).map((i) => i.chatId);
  await Promise.all(
    chats.map((chatId) =>
      store.chats.update(chatId, (current) => {
        const state = current ?? emptyChatState(chatId, tenantId);
        return state.tenantProblem?.message === message ? current : { ...state, tenantProblem: problem };
      }),
    ),
  );
}

/** The pair works again (or is no longer wanted): forgets the problem everywhere in the tenant. */
export async function clearTenantProblem(rt: SubscriptionRuntime, tenantId: string): Promise<void> {
  const { store, log } = rt.deps;
  const chats = (await store.chats.withTenantProblem(tenantId)).map((c) => c.chatId);
  if (chats.length === 0) return;
  await Promise.all(chats.map((chatId) => store.chats.update(chatId, (current) => (current ? { ...current, tenantProblem: null } : current))));
  log.info({ tenantId }, 'tenant-wide subscriptions work again');
}

/** The tenant's stored problem, if any chat of it carries one. */
export async function tenantProblemOf(rt: SubscriptionRuntime, tenantId: string): Promise<{ message: string; code: HeraldErrorCode } | null> {
  const problem = (await rt.deps.store.chats.withTenantProblem(tenantId))[0]?.tenantProblem;
  return problem ? { message: problem.message, code: problem.code ?? 'herald.graph.tenant_permissions_missing' } : null;
}

/** Every tenant with a stored problem, by tenant (for /healthz). */
export async function storedTenantProblems(rt: SubscriptionRuntime): Promise<Map<string, { message: string; code: HeraldErrorCode }>> {
  const out = new Map<string, { message: string; code: HeraldErrorCode }>();
  for (const chat of await rt.deps.store.chats.withTenantProblem()) {
    const key = chat.tenantId.toLowerCase();
    if (!out.has(key) && chat.tenantProblem) out.set(key, { message: chat.tenantProblem.message, code: chat.tenantProblem.code ?? 'herald.graph.tenant_permissions_missing' });
  }
  return out;
}
