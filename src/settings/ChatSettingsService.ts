import { randomUUID } from 'node:crypto';
import { HeraldError } from '../kernel/errors.js';
import { emptyChatState, DEFAULT_CHAT_SETTINGS, type ChatSettings, type SettingsRule } from '../model/chat.js';
import type { HeraldEvents } from '../events/HeraldEvents.js';
import type { HeraldStore } from '../storage/HeraldStore.js';
import { ruleLabel, SETTINGS_RULES } from './settingsPermission.js';

export const MAX_WINDOW_MS = 10 * 60_000;

export class SettingsError extends HeraldError {
  constructor(message: string) {
    super('herald.settings.invalid', message);
    this.name = 'SettingsError';
  }
}

export type SettingsSource = 'chat' | 'tab';

/** Describes a settings object for people ("joins on · leaves on · topic on · window 5s"). */
export function describeSettings(s: ChatSettings): string {
  const onOff = (v: boolean) => (v ? 'on' : 'off');
  return [
    s.enabled ? 'announcements on' : 'quiet (announcements off)',
    `joins ${onOff(s.announceJoins)}`,
    `leaves ${onOff(s.announceLeaves)}`,
    `topic ${onOff(s.announceTopic)}`,
    `guests only ${onOff(s.guestsOnly)}`,
    `window ${formatWindow(s.windowMs)}`,
    `changes by ${ruleLabel(s.whoMayChange)}`,
  ].join(' · ');
}

/** "Ada Lovelace changed Herald's settings: joins off" (the reply to a change, in the chat or the tab). */
export function changeSentence(who: string | null, changes: readonly string[]): string {
  return `${who ?? 'Someone'} changed Herald's settings: ${changes.join('; ')}`;
}

/** Settings stored before a setting existed get its default. */
export function withDefaults(stored: Partial<ChatSettings> | undefined): ChatSettings {
  return { ...DEFAULT_CHAT_SETTINGS, ...stored };
}

export function formatWindow(ms: number): string {
  if (ms === 0) return '0s (post at once)';
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 100) / 10}s`;
}

/** Validates a partial settings object (from the tab's PUT or a chat command). */
export function validateSettingsPatch(patch: unknown): Partial<ChatSettings> {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw new SettingsError('settings must be a JSON object');
  const out: Partial<ChatSettings> = {};
  const input = patch as Record<string, unknown>;
  const booleans = ['enabled', 'announceJoins', 'announceLeaves', 'announceTopic', 'guestsOnly'] as const;
  for (const [key, value] of Object.entries(input)) {
    if ((booleans as readonly string[]).includes(key)) {
      if (typeof value !== 'boolean') throw new SettingsError(`${key} must be true or false`);
      out[key as (typeof booleans)[number]] = value;
    } else if (key === 'windowMs') {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_WINDOW_MS) {
        throw new SettingsError(`windowMs must be a whole number of milliseconds from 0 to ${MAX_WINDOW_MS}`);
      }
      out.windowMs = value;
    } else if (key === 'whoMayChange') {
      if (typeof value !== 'string' || !(SETTINGS_RULES as readonly string[]).includes(value)) {
        throw new SettingsError(`whoMayChange must be one of ${SETTINGS_RULES.join(', ')}`);
      }
      out.whoMayChange = value as SettingsRule;
    } else {
      throw new SettingsError(`unknown setting "${key}"`);
    }
  }
  return out;
}

/** Per-chat settings, shared by the chat commands and the tab. */
export class ChatSettingsService {
  constructor(private readonly deps: { store: HeraldStore; events: HeraldEvents; clock: () => Date }) {}

  get(chatId: string): ChatSettings {
    return withDefaults(this.deps.store.chats.get(chatId)?.settings);
  }

  /**
   * Applies a validated patch; records who changed what and tells the rest of Herald. It does not ask
   * who may: people's changes go through SettingsGate, which does.
   */
  async apply(chatId: string, tenantId: string, patch: Partial<ChatSettings>, by: string | null, source: SettingsSource): Promise<{ settings: ChatSettings; changes: string[] }> {
    let changes: string[] = [];
    const state = await this.deps.store.chats.update(chatId, (current) => {
      const base = current ?? emptyChatState(chatId, tenantId);
      const before = withDefaults(base.settings);
      const next = { ...before, ...patch };
      changes = diffSettings(before, next);
      return { ...base, settings: next };
    });
    const settings = withDefaults(state?.settings);
    if (changes.length > 0) {
      await this.deps.store.history.append({
        id: randomUUID(), chatId, at: this.deps.clock().toISOString(), kind: 'settingsChanged', actor: by, detail: changes.join('; '),
      });
      await this.deps.events.emit('settingsChanged', { chatId, by, changes, source });
    }
    return { settings, changes };
  }
}

function diffSettings(a: ChatSettings, b: ChatSettings): string[] {
  const onOff = (v: boolean) => (v ? 'on' : 'off');
  const out: string[] = [];
  if (a.enabled !== b.enabled) out.push(b.enabled ? 'announcements on' : 'announcements off (quiet)');
  if (a.announceJoins !== b.announceJoins) out.push(`joins ${onOff(b.announceJoins)}`);
  if (a.announceLeaves !== b.announceLeaves) out.push(`leaves ${onOff(b.announceLeaves)}`);
  if (a.announceTopic !== b.announceTopic) out.push(`topic changes ${onOff(b.announceTopic)}`);
  if (a.guestsOnly !== b.guestsOnly) out.push(`guests only ${onOff(b.guestsOnly)}`);
  if (a.windowMs !== b.windowMs) out.push(`summary window ${formatWindow(b.windowMs)}`);
  if (a.whoMayChange !== b.whoMayChange) out.push(`changes by ${ruleLabel(b.whoMayChange)}`);
  return out;
}
