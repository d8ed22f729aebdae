import { DEFAULT_CHAT_SETTINGS, type ChatSettings } from '../model/chat.js';

function announcedPeople(s: ChatSettings): string | null {
  const who = s.guestsOnly ? 'guests or people from other organizations' : 'people';
  if (s.announceJoins && s.announceLeaves) return `when ${who} join or leave this chat`;
  if (s.announceJoins) return `when ${who} join this chat`;
  if (s.announceLeaves) return `when ${who} leave this chat`;
  return null;
}

/**
 * The welcome, built from the chat's actual settings: they survive a removal, so a chat that turned
 * joins off before removing Herald must not be promised join announcements when it adds Herald back.
 */
export function welcomeText(s: ChatSettings): string {
  const people = announcedPeople(s);
  const topic = s.announceTopic ? (people ? 'when it is renamed' : 'when this chat is renamed') : null;
  const what = [people, topic].filter((part): part is string => part !== null);
  const sentences = ["Hi, I'm Herald."];
  if (what.length === 0) sentences.push("This chat's settings have every announcement turned off, so I'll stay quiet until someone turns one on.");
  else if (!s.enabled) sentences.push(`Announcements are paused in this chat (quiet); after \`resume\` I'll post here ${what.join(' and ')}.`);
  else sentences.push(`I'll post here ${what.join(' and ')}.`);
  if (s.whoMayChange === 'owners') sentences.push('Only chat owners can change my settings here.');
  sentences.push('Mention me with `help` to see what I can do.');
  return sentences.join(' ');
}

/** The welcome of a chat with default settings. */
export const WELCOME_TEXT = welcomeText(DEFAULT_CHAT_SETTINGS);
