import assert from 'node:assert/strict';
import { DEFAULT_CHAT_SETTINGS } from '../../../src/model/chat.js';
import type { TabHistoryEntry } from '../../../src/tab/tabApiTypes.js';
import { describeEntry } from '../../../web/tab/historyView.js';
import { parseWindowSeconds, settingsPatch } from '../../../web/tab/settingsView.js';
import { timeAgo } from '../../../web/tab/subscriptionsView.js';

const entry = (extra: Partial<TabHistoryEntry>): TabHistoryEntry => ({
  id: 'e', at: '2026-03-01T10:00:00Z', kind: 'joined', actor: null, userId: null, guest: false, external: false, from: null, to: null, detail: null, settings: null, by: null, source: null, ...extra,
});

describe('tab page wording and form logic', () => {
  it('describes timeline entries in words', () => {
    assert.equal(describeEntry(entry({ kind: 'joined', actor: 'Ada' })).text, 'Ada joined the chat');
    assert.equal(describeEntry(entry({ kind: 'left', actor: null })).text, 'Someone left the chat');
    assert.equal(describeEntry(entry({ kind: 'renamed', actor: 'Ada', from: 'Old', to: 'New' })).text, 'Ada renamed the chat from “Old” to “New”');
    assert.equal(describeEntry(entry({ kind: 'renamed', from: null, to: 'New' })).text, 'The chat was renamed to “New”');
    assert.equal(describeEntry(entry({ kind: 'renamed', from: 'Old', to: '' })).text, "The chat's name was removed");
    assert.deepEqual(describeEntry(entry({ kind: 'settingsChanged', actor: 'Bea', detail: 'joins off' })), { text: "Bea changed Herald's settings", detail: 'joins off' });
  });

  it('reads the summary window in seconds, from 0 to 600', () => {
    assert.equal(parseWindowSeconds('5'), 5000);
    assert.equal(parseWindowSeconds(' 2,5 '), 2500);
    assert.equal(parseWindowSeconds('0'), 0);
    assert.equal(parseWindowSeconds('600'), 600_000);
    assert.equal(parseWindowSeconds('601'), null);
    assert.equal(parseWindowSeconds('-1'), null);
    assert.equal(parseWindowSeconds('soon'), null);
    assert.equal(parseWindowSeconds(''), null);
  });

  it('sends only the settings that changed', () => {
    assert.deepEqual(settingsPatch(DEFAULT_CHAT_SETTINGS, { ...DEFAULT_CHAT_SETTINGS, announceJoins: false, windowMs: 0 }), { announceJoins: false, windowMs: 0 });
    assert.deepEqual(settingsPatch(DEFAULT_CHAT_SETTINGS, { ...DEFAULT_CHAT_SETTINGS }), {});
    assert.deepEqual(settingsPatch(DEFAULT_CHAT_SETTINGS, { ...DEFAULT_CHAT_SETTINGS, whoMayChange: 'owners' }), { whoMayChange: 'owners' });
    assert.deepEqual(settingsPatch(DEFAULT_CHAT_SETTINGS, { ...DEFAULT_CHAT_SETTINGS, language: 'en' }), {}, 'a chat that never chose reads English already');
    assert.deepEqual(settingsPatch({ ...DEFAULT_CHAT_SETTINGS, language: 'en' }, { ...DEFAULT_CHAT_SETTINGS, language: 'es' }), { language: 'es' });
  });

  it('keeps names and topics with markup as typed (the page shows them as text)', () => {
    const name = '<b>Eve</b> **Mallory** [x](https://evil.example)';
    assert.equal(describeEntry(entry({ kind: 'joined', actor: name })).text, `${name} joined the chat`);
    assert.equal(describeEntry(entry({ kind: 'renamed', actor: name, from: '**Old**', to: '<i>New</i>' })).text, `${name} renamed the chat from “**Old**” to “<i>New</i>”`);
  });

  it('says how long ago something happened, against the server’s clock', () => {
    const now = '2026-03-01T10:00:00Z';
    assert.equal(timeAgo(null, now), 'none yet');
    assert.equal(timeAgo('2026-03-01T09:59:50Z', now), 'just now');
    assert.equal(timeAgo('2026-03-01T09:59:00Z', now), '1 minute ago');
    assert.equal(timeAgo('2026-03-01T07:00:00Z', now), '3 hours ago');
    assert.equal(timeAgo('2026-02-20T10:00:00Z', now), '9 days ago');
  });
});
