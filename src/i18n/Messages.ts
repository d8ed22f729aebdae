import { IntlMessageFormat, type PrimitiveType } from 'intl-messageformat';
import { de } from './catalogues/de.js';
import { en, type Catalogue, type MessageKey } from './catalogues/en.js';
import { es } from './catalogues/es.js';
import { fr } from './catalogues/fr.js';
import { DEFAULT_LANGUAGE, isLanguage, LANGUAGE_NAMES, LANGUAGES, type Language } from './languages.js';

export type { MessageKey } from './catalogues/en.js';

export const CATALOGUES: Record<Language, Catalogue> = { en, de, fr, es };

export type MessageValues = Record<string, PrimitiveType>;

/** A piece of a formatted message: text, or the value of an argument given as rich (a name in bold, say). */
export type MessagePart<T> = { text: string } | { rich: T };

type DurationUnit = 'day' | 'hour' | 'minute' | 'second';

/**
 * English lists are written without a serial comma ("Ada, Alan and 2 others"), as Herald always has;
 * `en` in ICU would add one, `en-GB` does not.
 */
const LIST_LOCALE: Record<Language, string> = { en: 'en-GB', de: 'de', fr: 'fr', es: 'es' };

/** Herald's words in one language: ICU messages (plurals by intl-messageformat), lists and units by Intl. */
export class Messages {
  private readonly compiled = new Map<MessageKey, IntlMessageFormat>();
  private readonly lists: Intl.ListFormat;
  private readonly units = new Map<DurationUnit, Intl.NumberFormat>();

  constructor(readonly language: Language) {
    this.lists = new Intl.ListFormat(LIST_LOCALE[language], { type: 'conjunction' });
  }

  /** The message in this language, or in English when this language lacks it. */
  text(key: MessageKey, values?: MessageValues): string {
    return String(this.format(key).format(values));
  }

  /** The message in pieces, keeping apart the arguments given in `rich` (so a card can show them bold). */
  parts<T extends object>(key: MessageKey, values: MessageValues, rich: Record<string, T>): MessagePart<T>[] {
    const parts = this.format(key).formatToParts<T>({ ...values, ...rich });
    return parts.map((p) => (typeof p.value === 'object' ? { rich: p.value } : { text: String(p.value) }));
  }

  /** "Ada, Alan and Grace", with the language's conjunction. */
  list(items: readonly string[]): string {
    return this.lists.format(items);
  }

  /** A list in pieces: `element` is the index of an item, `text` the language's separators. */
  listParts(count: number): Array<{ element: number } | { text: string }> {
    let next = 0;
    return this.lists.formatToParts(Array.from({ length: count }, (_, i) => String(i))).map((p) => (p.type === 'element' ? { element: next++ } : { text: p.value }));
  }

  /** The languages Herald speaks, for a reply: "en (English), de (Deutsch), fr (Français) and es (Español)". */
  languages(): string {
    return this.list(LANGUAGES.map((l) => `${l} (${LANGUAGE_NAMES[l]})`));
  }

  /** "5s", "2 Min.": a number of one unit, narrow, as the language writes it. */
  unit(value: number, unit: DurationUnit): string {
    let format = this.units.get(unit);
    if (!format) {
      format = new Intl.NumberFormat(this.language, { style: 'unit', unit, unitDisplay: 'narrow', maximumFractionDigits: 1 });
      this.units.set(unit, format);
    }
    return format.format(value);
  }

  /** "2d 22h", "4h 10m", "7m" (rounded up to the minute) in this language; `whenDone` once the time has passed. */
  remaining(ms: number, whenDone: string): string {
    if (ms <= 0) return whenDone;
    const minutes = Math.ceil(ms / 60_000);
    const d = Math.floor(minutes / 1440);
    const h = Math.floor((minutes % 1440) / 60);
    const m = minutes % 60;
    if (d > 0) return `${this.unit(d, 'day')} ${this.unit(h, 'hour')}`;
    if (h > 0) return `${this.unit(h, 'hour')} ${this.unit(m, 'minute')}`;
    return this.unit(m, 'minute');
  }

  private format(key: MessageKey): IntlMessageFormat {
    let format = this.compiled.get(key);
    if (!format) {
      const own = CATALOGUES[this.language][key];
      // ignoreTag: Herald's messages have no rich-text tags, and help shows `welcome <line>` as typed.
      format = own === undefined ? new IntlMessageFormat(en[key], 'en', undefined, { ignoreTag: true }) : new IntlMessageFormat(own, this.language, undefined, { ignoreTag: true });
      this.compiled.set(key, format);
    }
    return format;
  }
}

const cache = new Map<Language, Messages>();

/** The messages of a language (English for none or one Herald does not speak); one instance per language. */
export function messagesFor(language: string | null | undefined): Messages {
  const lang = isLanguage(language) ? language : DEFAULT_LANGUAGE;
  let messages = cache.get(lang);
  if (!messages) {
    messages = new Messages(lang);
    cache.set(lang, messages);
  }
  return messages;
}

export const ENGLISH = messagesFor(DEFAULT_LANGUAGE);
