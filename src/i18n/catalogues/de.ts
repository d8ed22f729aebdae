import type { Catalogue } from './en.js';

export const de: Catalogue = {
  'person.someone': 'Jemand',
  'person.guest': ' (Gast)',
  'person.external': ' (Extern)',
  'people.unnamed': '{count, plural, one {# Person} other {# Personen}}',
  'people.others': '{count, plural, one {# weitere Person} other {# weitere Personen}}',
  'people.alsoNamed': 'Außerdem: {names}{more, plural, =0 {} other { und # weitere}}',
  'summary.joined': '{count, plural, one {{people} ist beigetreten} other {{people} sind beigetreten}}',
  'summary.joinedAndLeft': '{count, plural, one {{people} ist beigetreten und gegangen} other {{people} sind beigetreten und gegangen}}',
  'summary.left': '{count, plural, one {{people} hat den Chat verlassen} other {{people} haben den Chat verlassen}}',
  'summary.topicSet': 'Chatthema auf {topic} gesetzt',
  'summary.topicCleared': 'Chatthema entfernt (war {topic})',
  'summary.renamed': 'Chat von {from} in {to} umbenannt',
  'summary.quotedTopic': '„{topic}“',
  'summary.settingsChanged': '{who} hat die Einstellungen von Herald geändert: {changes}',
};
