import assert from 'node:assert/strict';
import { DEFAULT_CHAT_SETTINGS } from '../../../src/model/chat.js';
import { WELCOME_TEXT, welcomeText } from '../../../src/bot/welcomeText.js';

describe('welcome text, from the chat’s settings', () => {
  it('promises joins, leaves and renames with the default settings', () => {
    assert.equal(WELCOME_TEXT, "Hi, I'm Herald. I'll post here when people join or leave this chat and when it is renamed. Mention me with `help` to see what I can do.");
    assert.equal(welcomeText(DEFAULT_CHAT_SETTINGS), WELCOME_TEXT);
  });

  it('promises no joins when joins are off', () => {
    const text = welcomeText({ ...DEFAULT_CHAT_SETTINGS, announceJoins: false });
    assert.equal(text, "Hi, I'm Herald. I'll post here when people leave this chat and when it is renamed. Mention me with `help` to see what I can do.");
  });

  it('says who is announced when only guests and external people are', () => {
    assert.match(welcomeText({ ...DEFAULT_CHAT_SETTINGS, guestsOnly: true, announceTopic: false }), /I'll post here when guests or people from other organizations join or leave this chat\./);
  });

  it('names only renames when people are not announced', () => {
    assert.match(welcomeText({ ...DEFAULT_CHAT_SETTINGS, announceJoins: false, announceLeaves: false }), /I'll post here when this chat is renamed\./);
  });

  it('says announcements are paused in a quiet chat, and what resume brings back', () => {
    const text = welcomeText({ ...DEFAULT_CHAT_SETTINGS, enabled: false, announceTopic: false });
    assert.match(text, /Announcements are paused in this chat \(quiet\); after `resume` I'll post here when people join or leave this chat\./);
    assert.doesNotMatch(text, /renamed/);
  });

  it('says so when every announcement is off', () => {
    const text = welcomeText({ ...DEFAULT_CHAT_SETTINGS, announceJoins: false, announceLeaves: false, announceTopic: false });
    assert.match(text, /every announcement turned off/);
    assert.doesNotMatch(text, /join|leave|renamed/);
  });

  it('mentions that only owners may change settings when that is the rule', () => {
    assert.match(welcomeText({ ...DEFAULT_CHAT_SETTINGS, whoMayChange: 'owners' }), /Only chat owners can change my settings here\./);
    assert.doesNotMatch(WELCOME_TEXT, /owners/);
  });
});
