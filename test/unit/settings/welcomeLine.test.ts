import assert from 'node:assert/strict';
import { parseCommand } from '../../../src/bot/commands/parseCommand.js';
import { SettingsError, validateSettingsPatch, welcomeLineOf } from '../../../src/settings/ChatSettingsService.js';

describe('welcome line', () => {
  it('is kept as one line of plain text: line breaks and runs of spaces become one space', () => {
    assert.equal(welcomeLineOf('  Welcome!\n\nThe plan   is in Files.  '), 'Welcome! The plan is in Files.');
  });

  it('may be at most 280 characters, counted as people count them (emoji are one)', () => {
    assert.equal(welcomeLineOf('🎉'.repeat(280)), '🎉'.repeat(280));
    assert.throws(() => welcomeLineOf('x'.repeat(281)), (e: unknown) => e instanceof SettingsError && /at most 280 characters/.test(e.message));
  });

  it('refuses control characters and anything that is not text', () => {
    assert.throws(() => welcomeLineOf('bell\u0007'), SettingsError);
    assert.throws(() => validateSettingsPatch({ welcomeLine: 42 }), /welcomeLine must be text/);
  });

  it('empty removes it', () => {
    assert.deepEqual(validateSettingsPatch({ welcomeLine: '   ' }), { welcomeLine: '' });
  });

  it('the command keeps the line\'s case and marks; "welcome off" removes it', () => {
    assert.deepEqual(parseCommand('<at>Herald</at> welcome Glad you are HERE! **Files** tab'), { name: 'set', patch: { welcomeLine: 'Glad you are HERE! **Files** tab' } });
    assert.deepEqual(parseCommand('@Herald Welcome line off'), { name: 'set', patch: { welcomeLine: '' } });
    assert.equal(parseCommand('welcome').name, 'invalid');
  });

  it('mention newcomers on|off is a setting of its own', () => {
    assert.deepEqual(parseCommand('mention newcomers on'), { name: 'set', patch: { mentionNewcomers: true } });
    assert.deepEqual(parseCommand('mention newcomers off'), { name: 'set', patch: { mentionNewcomers: false } });
  });
});
