import assert from 'node:assert/strict';
import { messagesFor } from '../../../src/i18n/Messages.js';
import { DEFAULT_CHAT_SETTINGS } from '../../../src/model/chat.js';
import { describeSettingChanges, readSettingChanges, recordedChanges, settingChanges } from '../../../src/settings/settingChanges.js';

describe('settings changes as facts, said in the reader’s language', () => {
  const en = messagesFor('en');
  const de = messagesFor('de');

  it('records what changed, not the words of the language it was changed in', () => {
    const changes = settingChanges(DEFAULT_CHAT_SETTINGS, { ...DEFAULT_CHAT_SETTINGS, announceJoins: false, windowMs: 0, welcomeLine: 'Hi' });
    assert.deepEqual(changes, [
      { setting: 'announceJoins', to: false },
      { setting: 'windowMs', to: 0 },
      { setting: 'welcomeLine', change: 'set' },
    ]);
    assert.equal(describeSettingChanges(changes, en), 'joins off; summary window 0s (post at once); welcome line set');
    assert.equal(describeSettingChanges(changes, de), 'Beitritte aus; Zusammenfassungsfenster 0 Sek. (sofort posten); Willkommenszeile gesetzt');
  });

  it('says an entry recorded before Herald kept the facts as it was written', () => {
    assert.equal(recordedChanges({ detail: 'welcome line set' }, de), 'welcome line set');
    assert.equal(recordedChanges({ detail: 'welcome line set', settings: [{ setting: 'welcomeLine', change: 'set' }] }, de), de.text('change.welcomeLine', { change: 'set' }));
  });

  it('falls back to the text when a stored change is not one Herald knows', () => {
    assert.equal(readSettingChanges([{ setting: 'windowMs', to: 'soon' }]), null);
    assert.equal(readSettingChanges([{ setting: 'colour', to: 'blue' }]), null);
    assert.equal(readSettingChanges('joins off'), null);
    assert.equal(recordedChanges({ detail: 'joins off', settings: [{ setting: 'colour' }] as never }, de), 'joins off');
  });
});
