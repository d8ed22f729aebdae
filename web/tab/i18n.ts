import { CATALOGUES, ENGLISH, messagesFor, type MessageKey, type Messages } from '../../src/i18n/Messages.js';
import { languageOf } from '../../src/i18n/languages.js';

export { ENGLISH, type Messages };

/**
 * The tab's words: the chat's language (what Herald writes there), else the person's Teams locale
 * for a chat that never chose one, else English.
 */
export function tabMessages(chatLanguage: string | null | undefined, teamsLocale: string | null | undefined): Messages {
  return messagesFor(languageOf(chatLanguage) ?? languageOf(teamsLocale));
}

/**
 * The locale dates and numbers are written in: the person's own Teams locale when it is the tab's
 * language (de-AT for a German tab), else the tab's language itself, so a date never reads in another
 * language than the words around it.
 */
export function readerLocale(m: Messages, teamsLocale: string | null | undefined): string {
  return teamsLocale && languageOf(teamsLocale) === m.language ? teamsLocale : m.language;
}

function isMessageKey(key: string | undefined): key is MessageKey {
  return key !== undefined && key in CATALOGUES.en;
}

/**
 * Puts the page's fixed words into the language: `data-i18n` names an element's text, `data-i18n-label`
 * its `aria-label`. The markup carries the English (shown before the script runs).
 */
export function translatePage(doc: Document, m: Messages): void {
  for (const node of Array.from(doc.querySelectorAll<HTMLElement>('[data-i18n]'))) {
    if (isMessageKey(node.dataset.i18n)) node.textContent = m.text(node.dataset.i18n);
  }
  for (const node of Array.from(doc.querySelectorAll<HTMLElement>('[data-i18n-label]'))) {
    if (isMessageKey(node.dataset.i18nLabel)) node.setAttribute('aria-label', m.text(node.dataset.i18nLabel));
  }
  doc.documentElement.lang = m.language;
}
