import type { ChatSettings, SettingsRule } from '../../src/model/chat.js';
import { LANGUAGES } from '../../src/i18n/languages.js';
import type { TabSettingsPatch } from '../../src/tab/tabApiTypes.js';
import { byId } from './dom.js';
import { ENGLISH, type Messages } from './i18n.js';
import { describeApiError, TabApiError, type TabApiClient } from './TabApiClient.js';

const FLAGS = ['enabled', 'announceJoins', 'announceLeaves', 'announceTopic', 'guestsOnly', 'mentionNewcomers'] as const;
/** Herald's own limit (the server refuses longer lines with the same words). */
export const MAX_WELCOME_LINE = 280;
export const MAX_WINDOW_SECONDS = 600;

/** Reads the window field; null when it is not a number of seconds from 0 to 600. */
export function parseWindowSeconds(raw: string): number | null {
  const text = raw.trim().replace(',', '.');
  if (!/^\d+(\.\d+)?$/.test(text)) return null;
  const seconds = Number(text);
  return seconds >= 0 && seconds <= MAX_WINDOW_SECONDS ? Math.round(seconds * 1000) : null;
}

/** The fields that differ between what Herald has and what the form says. */
export function settingsPatch(current: ChatSettings, wanted: ChatSettings): TabSettingsPatch {
  const patch: TabSettingsPatch = {};
  for (const flag of FLAGS) if (current[flag] !== wanted[flag]) patch[flag] = wanted[flag];
  if (current.windowMs !== wanted.windowMs) patch.windowMs = wanted.windowMs;
  if (current.whoMayChange !== wanted.whoMayChange) patch.whoMayChange = wanted.whoMayChange;
  if (wanted.language && (current.language ?? 'en') !== wanted.language) patch.language = wanted.language;
  if (current.welcomeLine !== wanted.welcomeLine) patch.welcomeLine = wanted.welcomeLine;
  return patch;
}

/** A join announcement as the chat would see it with these settings (text only; names as typed). */
export function welcomePreview(settings: Pick<ChatSettings, 'welcomeLine' | 'mentionNewcomers' | 'announceJoins' | 'enabled'>, newcomer = 'Grace Hopper', m: Messages = ENGLISH): string[] {
  if (!settings.enabled || !settings.announceJoins) return [m.text('tab.previewOff')];
  // The announcement's own words, as the chat would read them.
  const lines = [m.text('summary.joined', { count: 1, people: newcomer })];
  if (settings.mentionNewcomers) lines.push(`@${newcomer}`);
  if (settings.welcomeLine) lines.push(settings.welcomeLine);
  return lines;
}

/** The Settings panel: the same per-chat settings as the chat commands, saved with one PUT. */
export class SettingsView {
  private current: ChatSettings | null = null;
  private readonly form: HTMLFormElement;
  private readonly windowInput: HTMLInputElement;
  private readonly windowError: HTMLElement;
  private readonly error: HTMLElement;
  private readonly save: HTMLButtonElement;
  private readonly rule: HTMLSelectElement;
  private readonly language: HTMLSelectElement;
  private readonly readonly: HTMLElement;
  private readonly welcomeInput: HTMLInputElement;
  private readonly preview: HTMLElement;

  constructor(
    private readonly doc: Document,
    private readonly api: TabApiClient,
    private readonly announce: (message: string) => void,
    private m: Messages = ENGLISH,
    /** Told of every saved change before it is announced (a new language switches the page at once). */
    private readonly onSaved: (settings: ChatSettings) => void = () => undefined,
  ) {
    this.form = byId<HTMLFormElement>(doc, 'settings-form');
    this.windowInput = byId<HTMLInputElement>(doc, 's-windowSeconds');
    this.windowError = byId(doc, 's-windowSeconds-error');
    this.error = byId(doc, 'settings-error');
    this.save = byId<HTMLButtonElement>(doc, 'settings-save');
    this.rule = byId<HTMLSelectElement>(doc, 's-whoMayChange');
    this.language = byId<HTMLSelectElement>(doc, 's-language');
    this.readonly = byId(doc, 'settings-readonly');
    this.welcomeInput = byId<HTMLInputElement>(doc, 's-welcomeLine');
    this.preview = byId(doc, 's-welcome-preview');
    // The preview follows the form as it is typed, before anything is saved.
    this.form.addEventListener('input', () => this.showPreview());
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.submit();
    });
    byId(doc, 'settings-undo').addEventListener('click', () => {
      if (this.current) this.fill(this.current);
      this.announce(this.m.text('tab.undone'));
    });
  }

  async load(): Promise<void> {
    try {
      const { settings, mayChange } = await this.api.settings();
      this.current = settings;
      this.fill(settings);
      // The server decides (it refuses with 403 anyway); the page only says so up front.
      this.readonly.textContent = mayChange.allowed ? '' : (mayChange.message ?? '');
      this.readonly.hidden = mayChange.allowed;
    } catch (error) {
      this.showError(this.m.text('tab.settingsFailed', { reason: describeApiError(error, this.m) }));
    }
  }

  /** Speaks another language from now on (the preview is said again in it). */
  setMessages(m: Messages): void {
    this.m = m;
    this.showPreview();
  }

  private fill(settings: ChatSettings): void {
    for (const flag of FLAGS) byId<HTMLInputElement>(this.doc, `s-${flag}`).checked = settings[flag];
    this.windowInput.value = String(settings.windowMs / 1000);
    this.rule.value = settings.whoMayChange;
    this.welcomeInput.value = settings.welcomeLine;
    // A chat that never chose a language reads English (Herald's fallback).
    this.language.value = settings.language ?? 'en';
    this.setWindowError(null);
    this.showPreview();
    this.error.hidden = true;
  }

  private read(): ChatSettings | null {
    const windowMs = parseWindowSeconds(this.windowInput.value);
    if (windowMs === null) {
      this.setWindowError(this.m.text('tab.windowInvalid', { max: MAX_WINDOW_SECONDS }));
      this.windowInput.focus();
      return null;
    }
    this.setWindowError(null);
    const flags = Object.fromEntries(FLAGS.map((f) => [f, byId<HTMLInputElement>(this.doc, `s-${f}`).checked])) as Pick<ChatSettings, (typeof FLAGS)[number]>;
    const whoMayChange: SettingsRule = this.rule.value === 'owners' ? 'owners' : 'members';
    const language = LANGUAGES.find((l) => l === this.language.value) ?? null;
    return { ...flags, windowMs, whoMayChange, welcomeLine: this.welcomeInput.value.replace(/\s+/g, ' ').trim(), language };
  }

  private showPreview(): void {
    const flag = (f: (typeof FLAGS)[number]) => byId<HTMLInputElement>(this.doc, `s-${f}`).checked;
    const lines = welcomePreview(
      {
        enabled: flag('enabled'),
        announceJoins: flag('announceJoins'),
        mentionNewcomers: flag('mentionNewcomers'),
        welcomeLine: this.welcomeInput.value.replace(/\s+/g, ' ').trim().slice(0, MAX_WELCOME_LINE),
      },
      undefined,
      this.m,
    );
    // textContent only: the line is shown exactly as typed, never as markup.
    this.preview.replaceChildren(...lines.map((line) => Object.assign(this.doc.createElement('p'), { textContent: line })));
  }

  private async submit(): Promise<void> {
    if (!this.current) return;
    this.error.hidden = true;
    const wanted = this.read();
    if (!wanted) return;
    const patch = settingsPatch(this.current, wanted);
    if (Object.keys(patch).length === 0) {
      this.announce(this.m.text('tab.nothingToSave'));
      return;
    }
    this.save.disabled = true;
    this.announce(this.m.text('tab.saving'));
    try {
      const result = await this.api.saveSettings(patch);
      this.current = result.settings;
      this.onSaved(result.settings);
      this.fill(result.settings);
      this.announce(this.m.text('tab.saved', { changed: result.changes.length > 0, changes: result.changes.join('; ') }));
    } catch (error) {
      if (error instanceof TabApiError && error.body?.error === 'invalid_setting' && error.body.setting === 'windowMs') {
        this.setWindowError(error.body.message);
        this.windowInput.focus();
      }
      this.showError(this.m.text('tab.notSaved', { reason: describeApiError(error, this.m) }));
    } finally {
      this.save.disabled = false;
    }
  }

  private setWindowError(message: string | null): void {
    this.windowError.textContent = message ?? '';
    this.windowError.hidden = message === null;
    if (message) this.windowInput.setAttribute('aria-invalid', 'true');
    else this.windowInput.removeAttribute('aria-invalid');
  }

  private showError(message: string): void {
    this.announce('');
    this.error.textContent = message;
    this.error.hidden = false;
  }
}
