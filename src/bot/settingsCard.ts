import type { Activity, AdaptiveCardInvokeResponse } from 'botbuilder';
import type { ChatSettings } from '../model/chat.js';
import { describeSettings, formatWindow, SettingsError, validateSettingsPatch } from '../settings/ChatSettingsService.js';
import { ruleLabel, SETTINGS_RULES } from '../settings/settingsPermission.js';

/**
 * `@Herald settings` as an Adaptive Card with Universal Actions: toggles and choices, saved with
 * `Action.Execute` (an `adaptiveCard/action` invoke), and a `refresh` so whoever opens the card sees the
 * chat's settings as they are now. Universal Actions need card version 1.5
 * (https://learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/universal-actions-for-adaptive-cards/work-with-universal-actions-for-adaptive-cards).
 */
export const SETTINGS_VERBS = { save: 'herald.settings.save', refresh: 'herald.settings.refresh' } as const;

const ADAPTIVE_CARD = 'application/vnd.microsoft.card.adaptive';
const WINDOW_CHOICES_MS = [0, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000, 600_000];
const TOGGLES: ReadonlyArray<{ id: keyof Pick<ChatSettings, 'enabled' | 'announceJoins' | 'announceLeaves' | 'announceTopic' | 'guestsOnly'>; title: string }> = [
  { id: 'enabled', title: 'Announcements (off: Herald stays quiet)' },
  { id: 'announceJoins', title: 'Announce who joins' },
  { id: 'announceLeaves', title: 'Announce who leaves' },
  { id: 'announceTopic', title: 'Announce topic changes' },
  { id: 'guestsOnly', title: 'Only guests and people from other organizations' },
];

export interface SettingsCardNotice {
  text: string;
  tone: 'good' | 'attention';
}

/** The card for a chat's settings, with an optional line on top (what was saved, or why not). */
export function buildSettingsCard(settings: ChatSettings, notice?: SettingsCardNotice): Record<string, unknown> {
  const windows = WINDOW_CHOICES_MS.includes(settings.windowMs) ? WINDOW_CHOICES_MS : [...WINDOW_CHOICES_MS, settings.windowMs].sort((a, b) => a - b);
  const body: Record<string, unknown>[] = [{ type: 'TextBlock', text: "Herald's settings for this chat", weight: 'Bolder', size: 'Medium', wrap: true }];
  // Notices carry names and refusals: TextRuns are never read as Markdown, so a name shows as typed.
  if (notice) body.push({ type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: notice.text, color: notice.tone }] });
  for (const toggle of TOGGLES) {
    body.push({ type: 'Input.Toggle', id: toggle.id, title: toggle.title, value: String(settings[toggle.id]), valueOn: 'true', valueOff: 'false' });
  }
  body.push({
    type: 'Input.ChoiceSet',
    id: 'windowMs',
    label: 'Summary window (changes inside it are posted together)',
    style: 'compact',
    value: String(settings.windowMs),
    choices: windows.map((ms) => ({ title: formatWindow(ms), value: String(ms) })),
  });
  body.push({
    type: 'Input.ChoiceSet',
    id: 'whoMayChange',
    label: 'Who may change these settings',
    style: 'compact',
    value: settings.whoMayChange,
    choices: SETTINGS_RULES.map((rule) => ({ title: ruleLabel(rule), value: rule })),
  });
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    fallbackText: `Settings for this chat: ${describeSettings(settings)}`,
    // No userIds: in chats of up to 60 people Teams refreshes the card for each viewer.
    refresh: { action: { type: 'Action.Execute', verb: SETTINGS_VERBS.refresh, title: 'Refresh' } },
    body,
    actions: [{ type: 'Action.Execute', verb: SETTINGS_VERBS.save, title: 'Save', style: 'positive' }],
  };
}

/** The reply to `@Herald settings`: the card, with the settings in words for previews and old clients. */
export function settingsCardActivity(settings: ChatSettings, notice?: SettingsCardNotice): Partial<Activity> {
  return {
    type: 'message',
    summary: `Settings for this chat: ${describeSettings(settings)}`,
    attachments: [{ contentType: ADAPTIVE_CARD, content: buildSettingsCard(settings, notice) }],
  };
}

/** The invoke answer that shows `card` to the person who pressed the button. */
export function cardInvokeResponse(card: Record<string, unknown>): AdaptiveCardInvokeResponse {
  return { statusCode: 200, type: ADAPTIVE_CARD, value: card };
}

/** An invoke answer for a request Herald cannot act on. */
export function cardInvokeError(statusCode: 400, code: string, message: string): AdaptiveCardInvokeResponse {
  return { statusCode, type: 'application/vnd.microsoft.error', value: { code, message } };
}

/**
 * The settings a Save asks for: Teams merges the card's inputs into the action's data, as strings
 * (toggles "true"/"false", choices their value). Inputs the card does not have are ignored; a value
 * out of range is refused with the same words as the tab's and the commands'.
 * @throws SettingsError
 */
export function patchFromCardInputs(data: unknown): Partial<ChatSettings> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new SettingsError('the card sent no settings');
  const input = data as Record<string, unknown>;
  const patch: Record<string, unknown> = {};
  for (const { id } of TOGGLES) {
    if (!(id in input)) continue;
    const value = input[id];
    if (value !== 'true' && value !== 'false' && typeof value !== 'boolean') throw new SettingsError(`${id} must be true or false`);
    patch[id] = value === true || value === 'true';
  }
  if ('windowMs' in input) {
    const raw = input.windowMs;
    patch.windowMs = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
  }
  if ('whoMayChange' in input) patch.whoMayChange = input.whoMayChange;
  return validateSettingsPatch(patch);
}
