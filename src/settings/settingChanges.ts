/**
 * A change of a chat's settings as facts (which setting, to what), so each reader gets it in their own
 * language: the chat that is told, the history in the tab, the status reply. No Node imports: the tab's
 * page bundles this module.
 */
import { ENGLISH, type Messages } from '../i18n/Messages.js';
import { DEFAULT_LANGUAGE, isLanguage, LANGUAGE_NAMES } from '../i18n/languages.js';
import type { ChatSettings, SettingsRule } from '../model/chat.js';
import type { SettingChange } from '../model/history.js';
import { ruleLabel, SETTINGS_RULES } from './settingsPermission.js';

export type { SettingChange } from '../model/history.js';

const FLAGS = ['enabled', 'announceJoins', 'announceLeaves', 'announceTopic', 'guestsOnly', 'mentionNewcomers'] as const;
type Flag = (typeof FLAGS)[number];

/** What differs between two settings, in the order people read it (the order Herald has always said it in). */
export function settingChanges(a: ChatSettings, b: ChatSettings): SettingChange[] {
  const out: SettingChange[] = [];
  const flag = (setting: Flag) => {
    if (a[setting] !== b[setting]) out.push({ setting, to: b[setting] });
  };
  flag('enabled');
  flag('announceJoins');
  flag('announceLeaves');
  flag('announceTopic');
  flag('guestsOnly');
  if (a.windowMs !== b.windowMs) out.push({ setting: 'windowMs', to: b.windowMs });
  if (a.whoMayChange !== b.whoMayChange) out.push({ setting: 'whoMayChange', to: b.whoMayChange });
  if ((a.language ?? null) !== (b.language ?? null)) out.push({ setting: 'language', to: b.language ?? null });
  if (a.welcomeLine !== b.welcomeLine) out.push({ setting: 'welcomeLine', change: b.welcomeLine ? (a.welcomeLine ? 'changed' : 'set') : 'removed' });
  flag('mentionNewcomers');
  return out;
}

/** "joins off", "Zusammenfassungsfenster 0 s (sofort posten)": one change in the reader's words. */
export function describeSettingChange(change: SettingChange, m: Messages = ENGLISH): string {
  switch (change.setting) {
    case 'enabled':
      return m.text('change.enabled', { on: change.to });
    case 'announceJoins':
      return m.text('settings.joins', { on: change.to });
    case 'announceLeaves':
      return m.text('settings.leaves', { on: change.to });
    case 'announceTopic':
      return m.text('change.topic', { on: change.to });
    case 'guestsOnly':
      return m.text('settings.guestsOnly', { on: change.to });
    case 'mentionNewcomers':
      return m.text('change.mentionNewcomers', { on: change.to });
    case 'windowMs':
      return m.text('change.window', { duration: formatWindow(change.to, m) });
    case 'whoMayChange':
      return m.text('settings.rule', { rule: ruleLabel(change.to, m) });
    case 'language':
      return m.text('settings.language', { language: LANGUAGE_NAMES[change.to ?? DEFAULT_LANGUAGE] });
    case 'welcomeLine':
      return m.text('change.welcomeLine', { change: change.change });
  }
}

/** The changes joined as Herald says them ("joins off; summary window 0s (post at once)"). */
export function describeSettingChanges(changes: readonly SettingChange[], m: Messages = ENGLISH): string {
  return changes.map((c) => describeSettingChange(c, m)).join('; ');
}

/** A recorded settings change in the reader's language; entries from before Herald kept the facts have only their text. */
export function recordedChanges(entry: { settings?: unknown; detail?: string | null }, m: Messages = ENGLISH): string {
  const changes = readSettingChanges(entry.settings);
  return changes && changes.length > 0 ? describeSettingChanges(changes, m) : (entry.detail ?? '');
}

/** "5s", "2m", "0s (post at once)", with the language's narrow units. */
export function formatWindow(ms: number, messages: Messages = ENGLISH): string {
  if (ms === 0) return messages.text('settings.windowAtOnce', { duration: messages.unit(0, 'second') });
  if (ms % 60_000 === 0) return messages.unit(ms / 60_000, 'minute');
  return messages.unit(Math.round(ms / 100) / 10, 'second');
}

/**
 * Reads recorded changes back (history is stored as documents): the list when every item is one Herald
 * knows, else null, so a reader falls back to the entry's text instead of showing half of it.
 */
export function readSettingChanges(value: unknown): SettingChange[] | null {
  if (!Array.isArray(value)) return null;
  return value.every(isSettingChange) ? (value as SettingChange[]) : null;
}

function isSettingChange(value: unknown): value is SettingChange {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  if ((FLAGS as readonly unknown[]).includes(c.setting)) return typeof c.to === 'boolean';
  switch (c.setting) {
    case 'windowMs':
      return typeof c.to === 'number' && Number.isFinite(c.to) && c.to >= 0;
    case 'whoMayChange':
      return (SETTINGS_RULES as readonly unknown[]).includes(c.to as SettingsRule);
    case 'language':
      return c.to === null || isLanguage(c.to);
    case 'welcomeLine':
      return c.change === 'set' || c.change === 'changed' || c.change === 'removed';
    default:
      return false;
  }
}
