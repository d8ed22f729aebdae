import { formatRemaining } from '../kernel/duration.js';
import { catalogueEntry } from '../kernel/errorCatalogue.js';
import type { HeraldConfig } from '../config/HeraldConfig.js';
import type { SubscriptionRecord } from '../model/subscription.js';
import { markdownLiteral } from '../bot/teamsText.js';
import { describeSettings, withDefaults } from '../settings/ChatSettingsService.js';
import type { StoreContract } from '../storage/StoreContract.js';

const KIND_LABEL: Record<SubscriptionRecord['kind'], string> = {
  chatMembers: 'members of this chat',
  chat: 'this chat (topic)',
  tenantMembers: 'tenant-wide members (installedToChats)',
  tenantChats: 'tenant-wide chats (installedToChats)',
};

/** What `@Herald status` says about one chat. */
export async function chatStatusLines(deps: { store: StoreContract; config: HeraldConfig; clock: () => Date }, chatId: string): Promise<string[]> {
  const { store, config } = deps;
  const now = deps.clock().getTime();
  const [chat, installation, settingsChanges] = await Promise.all([
    store.chats.get(chatId),
    store.installations.get(chatId),
    store.history.list(chatId, { limit: 1, kinds: ['settingsChanged'] }),
  ]);
  const lines: string[] = [];
  lines.push(installation?.status === 'installed' ? 'Installed in this chat.' : 'Not installed in this chat.');
  // Status is a Markdown reply: topics and names are people's text and must show as typed.
  if (chat?.topic) lines.push(`Chat topic: '${markdownLiteral(chat.topic)}'`);
  lines.push(`Settings: ${describeSettings(withDefaults(chat?.settings))}`);
  const lastChange = settingsChanges[0];
  if (lastChange) lines.push(`Settings last changed by ${lastChange.actor?.trim() ? markdownLiteral(lastChange.actor) : 'someone'}: ${lastChange.detail ?? ''}`);
  const tenantId = installation?.tenantId ?? chat?.tenantId;
  const subs = [
    ...(await store.subscriptions.list(undefined, { chatId })),
    ...(tenantId ? await store.subscriptions.list(undefined, { tenantId, chatId: null }) : []),
  ];
  if (subs.length === 0) lines.push('Subscriptions: none yet.');
  for (const s of subs.sort((a, b) => a.kind.localeCompare(b.kind))) {
    const remaining = formatRemaining(Date.parse(s.expirationDateTime) - now);
    lines.push(`Subscription to ${KIND_LABEL[s.kind]}: expires in ${remaining}${s.lastError ? ` — last error: ${s.lastError}` : ''}`);
  }
  if (chat?.problem) lines.push(`Problem: ${chat.problem.message}`);
  if (config.teamsAppId && config.graph.billingModel !== 'B') {
    const { reason, advice } = catalogueEntry('herald.graph.evaluation_mode');
    lines.push(`Warning: ${reason}. ${advice}`);
  }
  return lines;
}
