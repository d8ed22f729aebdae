import { ENGLISH, type Messages } from '../i18n/Messages.js';
import type { SettingsRule } from '../model/chat.js';

/**
 * What Herald knows about the person asking to change a chat's settings, from the chat's roster
 * (Graph member roles), the Bot Connector (`userRole`, `tenantId`) or Graph's member list.
 */
export interface ChangerFacts {
  /** The person's home tenant; null when no source reported it. */
  tenantId: string | null;
  /** Graph member role `guest` (or the connector's `userRole: guest`). */
  guest: boolean;
  /** Graph member role `owner`; null when only a source that does not know roles answered. */
  owner: boolean | null;
}

export type RefusalReason = 'unknown' | 'guest' | 'external' | 'notOwner' | 'ownerUnknown';

export type SettingsVerdict = { allowed: true } | { allowed: false; reason: RefusalReason; message: string };

export const SETTINGS_RULES: readonly SettingsRule[] = ['members', 'owners'];

/** The rule in a settings summary ("changes by owners only"). */
export function ruleLabel(rule: SettingsRule, messages: Messages = ENGLISH): string {
  return messages.text('rule.label', { rule });
}

/** Who the rule lets change settings, for people ("members of this chat's organization who are not guests"). */
export function describeRule(rule: SettingsRule, messages: Messages = ENGLISH): string {
  return messages.text('rule.who', { rule });
}

/** Why the person may not change the settings, and who may. */
export function refusalMessage(rule: SettingsRule, reason: RefusalReason, messages: Messages = ENGLISH): string {
  return messages.text('refusal', { reason, who: describeRule(rule, messages) });
}

function refuse(rule: SettingsRule, reason: RefusalReason): SettingsVerdict {
  return { allowed: false, reason, message: refusalMessage(rule, reason) };
}

/**
 * The one rule for who may change a chat's settings, used by the chat commands and the tab API alike.
 * Guests and people from other organizations are the people Herald announces, so by default they may
 * not silence it; `owners` narrows that to the chat's owners.
 */
export function decideSettingsChange(rule: SettingsRule, chatTenantId: string, facts: ChangerFacts | null): SettingsVerdict {
  if (!facts) return refuse(rule, 'unknown');
  if (facts.guest) return refuse(rule, 'guest');
  if (!facts.tenantId) return refuse(rule, 'unknown');
  if (facts.tenantId.toLowerCase() !== chatTenantId.toLowerCase()) return refuse(rule, 'external');
  if (rule === 'owners') {
    if (facts.owner === null) return refuse(rule, 'ownerUnknown');
    if (!facts.owner) return refuse(rule, 'notOwner');
  }
  return { allowed: true };
}

/** Facts from Graph-style member roles (`owner`, `guest`), as the roster and Graph's member list keep them. */
export function factsFromRoles(tenantId: string | null, roles: readonly string[] | null | undefined): ChangerFacts {
  const lower = (roles ?? []).map((r) => r.toLowerCase());
  return { tenantId, guest: lower.includes('guest'), owner: lower.includes('owner') };
}
