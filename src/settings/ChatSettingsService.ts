import { randomUUID } from 'node:crypto';
import { ENGLISH, messagesFor, type MessageKey, type Messages, type MessageValues } from '../i18n/Messages.js';
import { isLanguage, LANGUAGE_NAMES, LANGUAGES, type Language } from '../i18n/languages.js';
import { HeraldError } from '../kernel/errors.js';
import { emptyChatState, DEFAULT_CHAT_SETTINGS, type ChatSettings, type SettingsRule } from '../model/chat.js';
import type { HeraldEvents } from '../events/HeraldEvents.js';
import type { Store } from '../storage/Store.js';
import { ruleLabel, SETTINGS_RULES } from './settingsPermission.js';
import { describeSettingChange, formatWindow, settingChanges, type SettingChange } from './settingChanges.js';

// formatWindow moved to settingChanges.ts (the tab's page bundles it); kept importable from here.
export { formatWindow };

export const MAX_WINDOW_MS = 10 * 60_000;
/** A welcome line is one short sentence or two, like a chat message preview. */
export const WELCOME_LINE_MAX = 280;

/** The catalogue's reasons a setting is refused ("windowMs must be a whole number of milliseconds from 0 to 600000"). */
export type SettingsErrorKey = Extract<MessageKey, `settingsError.${string}`>;

/** A refused setting: `message` in English (logs), `reason(m)` in the language of the person told. */
export class SettingsError extends HeraldError {
  constructor(
    readonly key: SettingsErrorKey,
    readonly values: MessageValues = {},
  ) {
    super('herald.settings.invalid', ENGLISH.text(key, values));
    this.name = 'SettingsError';
  }

  reason(messages: Messages): string {
    return messages.text(this.key, this.values);
  }
}

export type SettingsSource = 'chat' | 'tab';

/** Describes a settings object for people ("joins on · leaves on · topic on · window 5s"). */
export function describeSettings(s: ChatSettings, messages: Messages = ENGLISH): string {
  const parts = [
    messages.text('settings.enabled', { on: s.enabled }),
    messages.text('settings.joins', { on: s.announceJoins }),
    messages.text('settings.leaves', { on: s.announceLeaves }),
    messages.text('settings.topic', { on: s.announceTopic }),
    messages.text('settings.guestsOnly', { on: s.guestsOnly }),
    messages.text('settings.window', { duration: formatWindow(s.windowMs, messages) }),
    messages.text('settings.rule', { rule: ruleLabel(s.whoMayChange, messages) }),
  ];
  // Only when set, so the summary of a chat that never used them reads as before.
  if (s.welcomeLine) parts.push(messages.text('settings.welcomeLine'));
  if (s.mentionNewcomers) parts.push(messages.text('settings.mentionNewcomers'));
  // Shown once chosen: chats that never chose one read as they always have.
  if (s.language) parts.push(messages.text('settings.language', { language: LANGUAGE_NAMES[s.language] }));
  return parts.join(' · ');
}

/** "Ada Lovelace changed Herald's settings: joins off" (the reply to a change, in the chat or the tab). */
export function changeSentence(who: string | null, changes: readonly string[], messages: Messages = ENGLISH): string {
  return messages.text('summary.settingsChanged', { who: who ?? messages.text('person.someone'), changes: changes.join('; ') });
}

/** Settings stored before a setting existed get its default. */
export function withDefaults(stored: Partial<ChatSettings> | undefined): ChatSettings {
  return { ...DEFAULT_CHAT_SETTINGS, ...stored };
}

/** Validates a partial settings object (from the tab's PUT or a chat command). */
export function validateSettingsPatch(patch: unknown): Partial<ChatSettings> {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw new SettingsError('settingsError.notObject');
  const out: Partial<ChatSettings> = {};
  const input = patch as Record<string, unknown>;
  const booleans = ['enabled', 'announceJoins', 'announceLeaves', 'announceTopic', 'guestsOnly', 'mentionNewcomers'] as const;
  for (const [key, value] of Object.entries(input)) {
    if ((booleans as readonly string[]).includes(key)) {
      if (typeof value !== 'boolean') throw new SettingsError('settingsError.notBoolean', { setting: key });
      out[key as (typeof booleans)[number]] = value;
    } else if (key === 'windowMs') {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_WINDOW_MS) {
        throw new SettingsError('settingsError.windowRange', { max: MAX_WINDOW_MS });
      }
      out.windowMs = value;
    } else if (key === 'language') {
      if (value !== null && !isLanguage(value)) throw new SettingsError('settingsError.oneOf', { setting: key, choices: LANGUAGES.join(', ') });
      out.language = value;
    } else if (key === 'welcomeLine') {
      out.welcomeLine = welcomeLineOf(value);
    } else if (key === 'whoMayChange') {
      if (typeof value !== 'string' || !(SETTINGS_RULES as readonly string[]).includes(value)) {
        throw new SettingsError('settingsError.oneOf', { setting: key, choices: SETTINGS_RULES.join(', ') });
      }
      out.whoMayChange = value as SettingsRule;
    } else {
      throw new SettingsError('settingsError.unknown', { setting: key });
    }
  }
  return out;
}

/**
 * A welcome line as Herald keeps it: one line of plain text (line breaks and runs of spaces become one
 * space), at most WELCOME_LINE_MAX characters; empty removes it.
 * @throws SettingsError
 */
export function welcomeLineOf(value: unknown): string {
  if (typeof value !== 'string') throw new SettingsError('settingsError.welcomeNotText');
  // eslint-disable-next-line no-control-regex -- control characters are what is refused here
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(value)) throw new SettingsError('settingsError.welcomeControl');
  const line = value.replace(/\s+/g, ' ').trim();
  if ([...line].length > WELCOME_LINE_MAX) throw new SettingsError('settingsError.welcomeTooLong', { max: WELCOME_LINE_MAX });
  return line;
}

/** Per-chat settings, shared by the chat commands and the tab. */
export class ChatSettingsService {
  constructor(private readonly deps: { store: Store; events: HeraldEvents; clock: () => Date }) {}

  async get(chatId: string): Promise<ChatSettings> {
    return withDefaults((await this.deps.store.chats.get(chatId))?.settings);
  }

  /**
   * Applies a validated patch; records who changed what and tells the rest of Herald. It does not ask
   * who may: people's changes go through SettingsGate, which does.
   */
  async apply(chatId: string, tenantId: string, patch: Partial<ChatSettings>, by: string | null, source: SettingsSource): Promise<{ settings: ChatSettings; changes: string[] }> {
    let changed: SettingChange[] = [];
    const state = await this.deps.store.chats.update(chatId, (current) => {
      const base = current ?? emptyChatState(chatId, tenantId);
      const before = withDefaults(base.settings);
      const next = { ...before, ...patch };
      changed = settingChanges(before, next);
      return { ...base, settings: next };
    });
    const settings = withDefaults(state?.settings);
    // Said in the chat's language after the change; the history keeps the facts for every other reader.
    const m = messagesFor(settings.language);
    const changes = changed.map((c) => describeSettingChange(c, m));
    if (changes.length > 0) {
      await this.deps.store.history.append({
        id: randomUUID(), chatId, at: this.deps.clock().toISOString(), kind: 'settingsChanged', actor: by, detail: changes.join('; '), settings: changed,
      });
      await this.deps.events.emit('settingsChanged', { chatId, by, changes, source });
    }
    return { settings, changes };
  }

  /**
   * The language of the person who installed Herald, for a chat that has not chosen one: not a person's
   * change of settings (no gate, no history, nobody told), and never over a choice made before.
   */
  async adoptLanguage(chatId: string, tenantId: string, language: Language): Promise<ChatSettings> {
    const state = await this.deps.store.chats.update(chatId, (current) => {
      const base = current ?? emptyChatState(chatId, tenantId);
      if (withDefaults(base.settings).language) return current;
      return { ...base, settings: { ...withDefaults(base.settings), language } };
    });
    return withDefaults(state?.settings);
  }
}
