import { messagesFor, type Messages } from '../i18n/Messages.js';
import { DEFAULT_CHAT_SETTINGS, type ChatSettings } from '../model/chat.js';

function announcedPeople(s: ChatSettings, m: Messages): string | null {
  const guests = s.guestsOnly;
  if (s.announceJoins && s.announceLeaves) return m.text('welcome.joinOrLeave', { guests });
  if (s.announceJoins) return m.text('welcome.join', { guests });
  if (s.announceLeaves) return m.text('welcome.leave', { guests });
  return null;
}

/**
 * The welcome, built from the chat's actual settings: they survive a removal, so a chat that turned
 * joins off before removing Herald must not be promised join announcements when it adds Herald back.
 * In the chat's language.
 */
export function welcomeText(s: ChatSettings): string {
  const m = messagesFor(s.language);
  const people = announcedPeople(s, m);
  const topic = s.announceTopic ? m.text('welcome.renamed', { alone: people === null }) : null;
  const what = m.list([people, topic].filter((part): part is string => part !== null));
  const sentences = [m.text('welcome.hi')];
  if (what === '') sentences.push(m.text('welcome.allOff'));
  else if (!s.enabled) sentences.push(m.text('welcome.paused', { what }));
  else sentences.push(m.text('welcome.posting', { what }));
  if (s.whoMayChange === 'owners') sentences.push(m.text('welcome.ownersOnly'));
  sentences.push(m.text('welcome.help'));
  return sentences.join(' ');
}

/** The welcome of a chat with default settings. */
export const WELCOME_TEXT = welcomeText(DEFAULT_CHAT_SETTINGS);
