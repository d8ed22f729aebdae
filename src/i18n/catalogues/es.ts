import type { Catalogue } from './en.js';

export const es: Catalogue = {
  'person.someone': 'Alguien',
  'person.guest': ' (Invitado)',
  'person.external': ' (Externo)',
  'people.unnamed': '{count, plural, one {# persona} other {# personas}}',
  'people.others': '{count, plural, one {# persona más} other {# personas más}}',
  'people.alsoNamed': 'También: {names}{more, plural, =0 {} other { y # más}}',
  'summary.joined': '{count, plural, one {{people} se unió al chat} other {{people} se unieron al chat}}',
  'summary.joinedAndLeft': '{count, plural, one {{people} se unió y salió del chat} other {{people} se unieron y salieron del chat}}',
  'summary.left': '{count, plural, one {{people} salió del chat} other {{people} salieron del chat}}',
  'summary.topicSet': 'Tema del chat cambiado a {topic}',
  'summary.topicCleared': 'Tema del chat borrado (era {topic})',
  'summary.renamed': 'Chat renombrado de {from} a {to}',
  'summary.quotedTopic': '«{topic}»',
  'summary.settingsChanged': '{who} cambió la configuración de Herald: {changes}',
};
