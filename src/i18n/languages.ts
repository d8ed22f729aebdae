/** The languages Herald speaks; English is the fallback for every missing message. */
export const LANGUAGES = ['en', 'de', 'fr', 'es'] as const;
export type Language = (typeof LANGUAGES)[number];
export const DEFAULT_LANGUAGE: Language = 'en';

/** Each language's own name, for the list of choices ("de (Deutsch)"). */
export const LANGUAGE_NAMES: Record<Language, string> = { en: 'English', de: 'Deutsch', fr: 'Français', es: 'Español' };

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/**
 * The supported language of a BCP 47 locale as Teams sends it (`de-DE`, `fr-CA`, `es-419`), or of a
 * language's code or own name as a person types it (`de`, `Deutsch`); null when Herald does not speak it.
 */
export function languageOf(raw: string | null | undefined): Language | null {
  if (!raw) return null;
  const word = raw.trim().toLowerCase();
  const byName = LANGUAGES.find((l) => LANGUAGE_NAMES[l].toLowerCase() === word);
  if (byName) return byName;
  const primary = word.split(/[-_]/)[0];
  return isLanguage(primary) ? primary : null;
}
