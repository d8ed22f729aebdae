import type { Catalogue } from './en.js';

export const fr: Catalogue = {
  'person.someone': "Quelqu''un",
  'person.guest': ' (Invité)',
  'person.external': ' (Externe)',
  'people.unnamed': '{count, plural, one {# personne} other {# personnes}}',
  'people.others': '{count, plural, one {# autre personne} other {# autres personnes}}',
  'people.alsoNamed': 'Aussi : {names}{more, plural, =0 {} other { et # de plus}}',
  'summary.joined': '{count, plural, one {{people} a rejoint la conversation} other {{people} ont rejoint la conversation}}',
  'summary.joinedAndLeft': '{count, plural, one {{people} a rejoint puis quitté la conversation} other {{people} ont rejoint puis quitté la conversation}}',
  'summary.left': '{count, plural, one {{people} a quitté la conversation} other {{people} ont quitté la conversation}}',
  'summary.topicSet': 'Sujet de la conversation défini : {topic}',
  'summary.topicCleared': 'Sujet de la conversation effacé (était {topic})',
  'summary.renamed': 'Conversation renommée de {from} en {to}',
  'summary.quotedTopic': '« {topic} »',
  'summary.settingsChanged': '{who} a modifié les paramètres de Herald : {changes}',
};
