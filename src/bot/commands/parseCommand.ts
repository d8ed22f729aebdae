import type { ChatSettings, SettingsRule } from '../../model/chat.js';
import { ENGLISH, type Messages, type MessageKey, type MessageValues } from '../../i18n/Messages.js';
import { languageOf } from '../../i18n/languages.js';
import { MAX_WINDOW_MS, SettingsError, WELCOME_LINE_MAX, welcomeLineOf, type SettingsErrorKey } from '../../settings/ChatSettingsService.js';

export type Command =
  | { name: 'help' }
  | { name: 'status' }
  | { name: 'settings' }
  | { name: 'set'; patch: Partial<ChatSettings> }
  /** A command Herald understood but cannot follow: the reason as a message of the catalogue. */
  | { name: 'invalid'; message: MessageKey; values: MessageValues }
  | { name: 'unknown'; text: string };

/** Removes `<at>…</at>` mentions and markup Teams puts around command text. */
export function stripMentions(text: string): string {
  return text
    .replace(/<at>[^<]*<\/at>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&nbsp;/gi, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Parses "30s", "2m", "500ms", "0" into milliseconds. */
export function parseDuration(raw: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|sec|secs|seconds?|m|min|mins|minutes?)?$/i.exec(raw.trim());
  if (!m) return null;
  const value = Number(m[1]);
  const unit = (m[2] ?? 's').toLowerCase();
  const ms = unit === 'ms' ? value : unit.startsWith('m') ? value * 60_000 : value * 1000;
  return Number.isFinite(ms) ? Math.round(ms) : null;
}

const TOGGLES: Record<string, keyof ChatSettings> = {
  joins: 'announceJoins',
  join: 'announceJoins',
  leaves: 'announceLeaves',
  leave: 'announceLeaves',
  topic: 'announceTopic',
  topics: 'announceTopic',
  renames: 'announceTopic',
  rename: 'announceTopic',
};

const RULES: Record<string, SettingsRule> = { members: 'members', member: 'members', owners: 'owners', owner: 'owners' };

/** A word's entry in a lookup table, never an inherited property ("constructor", "__proto__"). */
function own<T>(table: Record<string, T>, word: string): T | undefined {
  return Object.hasOwn(table, word) ? table[word] : undefined;
}

/** Reads a chat command (mentions already removed or not). */
export function parseCommand(rawText: string): Command {
  // The welcome line keeps its case and spelling; everything else is read in lower case.
  const welcome = /^[@/]?(?:herald\b\s*)?welcome(?:\s+line)?(?:\s+([\s\S]*))?$/i.exec(stripMentions(rawText).trim());
  if (welcome) return welcomeCommand(welcome[1]?.trim() ?? '');
  const text = stripMentions(rawText).toLowerCase().replace(/^[@/]?herald\b\s*/, '').replace(/[.!]+$/, '').trim();
  if (text === '' || text === 'help' || text === '?') return { name: 'help' };
  if (text === 'status') return { name: 'status' };
  if (text === 'settings' || text === 'settings show') return { name: 'settings' };
  if (['quiet', 'mute', 'announcements off', 'off', 'pause'].includes(text)) return { name: 'set', patch: { enabled: false } };
  if (['unquiet', 'unmute', 'resume', 'announcements on', 'on'].includes(text)) return { name: 'set', patch: { enabled: true } };

  let m = /^(?:settings\s+)?announce\s+(\w+)\s+(on|off)$/.exec(text);
  if (m) {
    const key = own(TOGGLES, m[1]);
    if (!key) return { name: 'invalid', message: 'command.badToggle', values: { word: m[1] } };
    return { name: 'set', patch: { [key]: m[2] === 'on' } };
  }
  m = /^(?:settings\s+)?guests?\s+only\s+(on|off)$/.exec(text);
  if (m) return { name: 'set', patch: { guestsOnly: m[1] === 'on' } };
  m = /^(?:settings\s+)?(?:changes\s+by|who\s+(?:may|can)\s+change)\s+(\w+)(?:\s+only)?$/.exec(text);
  if (m) {
    const rule = own(RULES, m[1]);
    if (!rule) return { name: 'invalid', message: 'command.badRule', values: { word: m[1] } };
    return { name: 'set', patch: { whoMayChange: rule } };
  }
  m = /^(?:settings\s+)?mention\s+(?:newcomers|new\s+people|them)\s+(on|off)$/.exec(text);
  if (m) return { name: 'set', patch: { mentionNewcomers: m[1] === 'on' } };
  m = /^(?:settings\s+)?window\s+(.+)$/.exec(text);
  if (m) {
    const ms = parseDuration(m[1]);
    if (ms === null) return { name: 'invalid', message: 'command.badDuration', values: { text: m[1] } };
    if (ms > MAX_WINDOW_MS) return { name: 'invalid', message: 'command.windowTooLong', values: { minutes: MAX_WINDOW_MS / 60_000 } };
    return { name: 'set', patch: { windowMs: ms } };
  }
  m = /^(?:settings\s+)?(?:language|lang|sprache|langue|idioma)\s+(.+)$/.exec(text);
  if (m) {
    const language = languageOf(m[1]);
    if (!language) return { name: 'invalid', message: 'command.badLanguage', values: { word: m[1] } };
    return { name: 'set', patch: { language } };
  }
  return { name: 'unknown', text };
}

const WELCOME_PROBLEM: Partial<Record<SettingsErrorKey, 'tooLong' | 'control'>> = { 'settingsError.welcomeTooLong': 'tooLong', 'settingsError.welcomeControl': 'control' };

function welcomeCommand(rest: string): Command {
  if (rest === '') return { name: 'invalid', message: 'command.welcomeMissing', values: {} };
  if (/^(off|none|clear|remove)$/i.test(rest)) return { name: 'set', patch: { welcomeLine: '' } };
  try {
    return { name: 'set', patch: { welcomeLine: welcomeLineOf(rest) } };
  } catch (error) {
    // Said of "that welcome line" in the chat's language, so the reason is the command's own wording.
    if (error instanceof SettingsError) return { name: 'invalid', message: 'command.welcomeBad', values: { problem: WELCOME_PROBLEM[error.key] ?? 'notText', max: WELCOME_LINE_MAX } };
    throw error;
  }
}

/** What Herald can do, in the chat's language. */
export function helpText(messages: Messages = ENGLISH): string {
  return messages.text('help', { languages: messages.languages() });
}

export const HELP_TEXT = helpText();
