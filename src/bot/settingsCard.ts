import type { Activity, AdaptiveCardInvokeResponse } from 'botbuilder';
import type { ChatSettings } from '../model/chat.js';
import { describeSettings, formatWindow, SettingsError, validateSettingsPatch, WELCOME_LINE_MAX } from '../settings/ChatSettingsService.js';
import { ruleLabel, SETTINGS_RULES } from '../settings/settingsPermission.js';
import { messagesFor } from '../i18n/Messages.js';
import { LANGUAGE_NAMES, LANGUAGES } from '../i18n/languages.js';

/**
 * `@Herald settings` as an Adaptive Card with Universal Actions: toggles and choices, saved with
 * `Action.Execute` (an `adaptiveCard/action` invoke), and a `refresh` so whoever opens the card sees the
 * chat's settings as they are now. Universal Actions need card version 1.5
 * (https://learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/universal-actions-for-adaptive-cards/work-with-universal-actions-for-adaptive-cards).
 */
export const SETTINGS_VERBS = { save: 'herald.settings.save', refresh: 'herald.settings.refresh' } as const;

const ADAPTIVE_CARD = 'application/vnd.microsoft.card.adaptive';
const WINDOW_CHOICES_MS = [0, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000, 600_000];
/** The toggles, in order; each one's title is the catalogue's `card.<id>`. */
const TOGGLES = ['enabled', 'announceJoins', 'announceLeaves', 'announceTopic', 'guestsOnly', 'mentionNewcomers'] as const;

export interface SettingsCardNotice {
  text: string;
  tone: 'good' | 'attention';
}

/** The card for a chat's settings, in the chat's language, with an optional line on top (what was saved, or why not). */
export function buildSettingsCard(settings: ChatSettings, notice?: SettingsCardNotice): Record<string, unknown> {
  const m = messagesFor(settings.language);
  const windows = WINDOW_CHOICES_MS.includes(settings.windowMs) ? WINDOW_CHOICES_MS : [...WINDOW_CHOICES_MS, settings.windowMs].sort((a, b) => a - b);
  const body: Record<string, unknown>[] = [{ type: 'TextBlock', text: m.text('card.title'), weight: 'Bolder', size: 'Medium', wrap: true }];
  // Notices carry names and refusals: TextRuns are never read as Markdown, so a name shows as typed.
  if (notice) body.push({ type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: notice.text, color: notice.tone }] });
  for (const id of TOGGLES) {
    // wrap: a long title reads whole on a phone instead of ending in "…".
    body.push({ type: 'Input.Toggle', id, title: m.text(`card.${id}`), value: String(settings[id]), valueOn: 'true', valueOff: 'false', wrap: true });
  }
  body.push({
    type: 'Input.ChoiceSet',
    id: 'windowMs',
    label: m.text('card.window'),
    style: 'compact',
    value: String(settings.windowMs),
    choices: windows.map((ms) => ({ title: formatWindow(ms, m), value: String(ms) })),
  });
  body.push({
    type: 'Input.Text',
    id: 'welcomeLine',
    label: m.text('card.welcomeLine'),
    value: settings.welcomeLine,
    maxLength: WELCOME_LINE_MAX,
    placeholder: m.text('card.welcomePlaceholder'),
  });
  body.push({
    type: 'Input.ChoiceSet',
    id: 'whoMayChange',
    label: m.text('card.rule'),
    style: 'compact',
    value: settings.whoMayChange,
    choices: SETTINGS_RULES.map((rule) => ({ title: ruleLabel(rule, m), value: rule })),
  });
  body.push({
    type: 'Input.ChoiceSet',
    id: 'language',
    label: m.text('card.language'),
    style: 'compact',
    value: m.language,
    // Each language in its own name: whoever reads the card can find theirs.
    choices: LANGUAGES.map((language) => ({ title: LANGUAGE_NAMES[language], value: language })),
  });
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    fallbackText: m.text('card.summary', { settings: describeSettings(settings, m) }),
    // No userIds: in chats of up to 60 people Teams refreshes the card for each viewer.
    refresh: { action: { type: 'Action.Execute', verb: SETTINGS_VERBS.refresh, title: m.text('card.refresh') } },
    body,
    actions: [{ type: 'Action.Execute', verb: SETTINGS_VERBS.save, title: m.text('card.save'), style: 'positive' }],
  };
}

/** The reply to `@Herald settings`: the card, with the settings in words for previews and old clients. */
export function settingsCardActivity(settings: ChatSettings, notice?: SettingsCardNotice): Partial<Activity> {
  return {
    type: 'message',
    summary: messagesFor(settings.language).text('card.summary', { settings: describeSettings(settings, messagesFor(settings.language)) }),
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
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new SettingsError('settingsError.cardEmpty');
  const input = data as Record<string, unknown>;
  const patch: Record<string, unknown> = {};
  for (const id of TOGGLES) {
    if (!(id in input)) continue;
    const value = input[id];
    if (value !== 'true' && value !== 'false' && typeof value !== 'boolean') throw new SettingsError('settingsError.notBoolean', { setting: id });
    patch[id] = value === true || value === 'true';
  }
  if ('windowMs' in input) {
    const raw = input.windowMs;
    patch.windowMs = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
  }
  if ('whoMayChange' in input) patch.whoMayChange = input.whoMayChange;
  if ('language' in input) patch.language = input.language;
  if ('welcomeLine' in input) patch.welcomeLine = input.welcomeLine;
  return validateSettingsPatch(patch);
}
