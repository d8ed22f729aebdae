import { formatRemaining } from '../kernel/duration.js';
import { catalogueEntry } from '../kernel/errorCatalogue.js';
import type { HeraldConfig } from '../config/HeraldConfig.js';
import type { SubscriptionRecord } from '../model/subscription.js';
import { markdownLiteral } from '../bot/teamsText.js';
import { describeSettings, withDefaults } from '../settings/ChatSettingsService.js';
import type { HeraldStore } from '../storage/HeraldStore.js';

const KIND_LABEL: Record<SubscriptionRecord['kind'], string> = {
  chatMembers: 'members of this chat',
  chat: 'this chat (topic)',
  tenantMembers: 'tenant-wide members (installedToChats)',
  tenantChats: 'tenant-wide chats (installedToChats)',
};

/** What `@Herald status` says about one chat. */
export function chatStatusLines(deps: { store: HeraldStore; config: HeraldConfig; clock: () => Date }, chatId: string): string[] {
  const { store, config } = deps;
  const now = deps.clock().getTime();
  const chat = store.chats.get(chatId);
  const installation = store.installations.get(chatId);
  const lines: string[] = [];
  lines.push(installation?.status === 'installed' ? 'Installed in this chat.' : 'Not installed in this chat.');
  // Status is a Markdown reply: topics and names are people's text and must show as typed.
  if (chat?.topic) lines.push(`Chat topic: '${markdownLiteral(chat.topic)}'`);
  lines.push(`Settings: ${describeSettings(withDefaults(chat?.settings))}`);
  const lastChange = store.history.list(chatId, { limit: 1, kinds: ['settingsChanged'] })[0];
  if (lastChange) lines.push(`Settings last changed by ${lastChange.actor?.trim() ? markdownLiteral(lastChange.actor) : 'someone'}: ${lastChange.detail ?? ''}`);
  const tenantId = installation?.tenantId ?? chat?.tenantId;
  const subs = store.subscriptions.list((s) => s.chatId === chatId || (s.chatId === null && s.tenantId === tenantId));
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
