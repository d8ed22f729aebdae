/**
 * Herald's English messages, in ICU MessageFormat (https://unicode-org.github.io/icu/userguide/format_parse/messages/).
 * The keys of this catalogue are the keys of every other; a quote that must show is written twice ('').
 */
export const en = {
  'person.someone': 'Someone',
  'person.guest': ' (Guest)',
  'person.external': ' (External)',
  'people.unnamed': '{count, plural, one {# person} other {# people}}',
  'people.others': '{count, plural, one {# other} other {# others}}',
  'people.alsoNamed': 'Also: {names}{more, plural, =0 {} other { and # more}}',
  'summary.joined': '{count, plural, other {{people} joined}}',
  'summary.joinedAndLeft': '{count, plural, other {{people} joined and left}}',
  'summary.left': '{count, plural, other {{people} left}}',
  'summary.topicSet': 'Chat topic set to {topic}',
  'summary.topicCleared': 'Chat topic cleared (was {topic})',
  'summary.renamed': 'Chat renamed from {from} to {to}',
  'summary.quotedTopic': "''{topic}''",
  'summary.settingsChanged': "{who} changed Herald's settings: {changes}",
} as const satisfies Record<string, string>;

export type MessageKey = keyof typeof en;
/** Another language's messages: a missing one falls back to English (the catalogue test finds it). */
export type Catalogue = Partial<Record<MessageKey, string>>;
