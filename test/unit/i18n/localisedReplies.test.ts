import assert from 'node:assert/strict';
import { helpText, parseCommand } from '../../../src/bot/commands/parseCommand.js';
import { welcomeText } from '../../../src/bot/welcomeText.js';
import { messagesFor } from '../../../src/i18n/Messages.js';
import { DEFAULT_CHAT_SETTINGS } from '../../../src/model/chat.js';
import { describeSettings, SettingsError, validateSettingsPatch } from '../../../src/settings/ChatSettingsService.js';
import { refusalMessage } from '../../../src/settings/settingsPermission.js';

describe('replies in the chat\'s language', () => {
  it('reads "language xx" by code, Teams locale or the language\'s own name', () => {
    assert.deepEqual(parseCommand('<at>Herald</at> language de'), { name: 'set', patch: { language: 'de' } });
    assert.deepEqual(parseCommand('language fr-CA'), { name: 'set', patch: { language: 'fr' } });
    assert.deepEqual(parseCommand('language Español'), { name: 'set', patch: { language: 'es' } });
    assert.deepEqual(parseCommand('language xx'), { name: 'invalid', message: 'command.badLanguage', values: { word: 'xx' } });
  });

  it('welcomes in the chat\'s language', () => {
    assert.equal(
      welcomeText({ ...DEFAULT_CHAT_SETTINGS, language: 'de', whoMayChange: 'owners' }),
      'Hallo, ich bin Herald. Ich poste hier, wenn Personen diesem Chat beitreten oder ihn verlassen und wenn er umbenannt wird. Nur Chatbesitzer können meine Einstellungen hier ändern. Erwähne mich mit `help`, um zu sehen, was ich kann.',
    );
    assert.match(welcomeText({ ...DEFAULT_CHAT_SETTINGS, language: 'es', announceTopic: false }), /^Hola, soy Herald\. Publicaré aquí cuando alguien entre o salga de este chat\./);
  });

  it('describes settings, refusals and help in the language', () => {
    const es = messagesFor('es');
    assert.match(describeSettings({ ...DEFAULT_CHAT_SETTINGS, language: 'es' }, es), /^anuncios activados · entradas activadas · .* · ventana 5s · .* · idioma Español$/);
    assert.equal(refusalMessage('owners', 'guest', messagesFor('de')), 'Du kannst die Einstellungen von Herald hier nicht ändern: du bist Gast in diesem Chat. Nur Chatbesitzer aus der Organisation dieses Chats (keine Gäste) können das.');
    assert.match(helpText(messagesFor('fr')), /`language fr` : la langue dans laquelle j’écris ici \(en \(English\), de \(Deutsch\), fr \(Français\) et es \(Español\)\)$/);
  });

  it('describes the welcome line and mentions in the language, and shows `welcome <line>` in help as typed', () => {
    const de = messagesFor('de');
    assert.match(describeSettings({ ...DEFAULT_CHAT_SETTINGS, welcomeLine: 'Hallo!', mentionNewcomers: true, language: 'de' }, de), / · Willkommenszeile an · Neue werden erwähnt · Sprache Deutsch$/);
    assert.match(helpText(de), /- `welcome <Zeile>` \/ `welcome off`: /);
    assert.match(helpText(), /- `welcome <line>` \/ `welcome off`: /);
  });

  it('gives the reason a setting is refused in the language, English in the error\'s own message', () => {
    const refused = (patch: unknown): SettingsError => {
      try {
        validateSettingsPatch(patch);
      } catch (error) {
        if (error instanceof SettingsError) return error;
      }
      return assert.fail('not refused');
    };
    const fr = messagesFor('fr');
    const window = refused({ windowMs: 3_600_000 });
    assert.equal(window.reason(fr), 'windowMs doit être un nombre entier de millisecondes de 0 à 600000');
    assert.equal(window.message, 'windowMs must be a whole number of milliseconds from 0 to 600000');
    assert.equal(refused({ welcomeLine: 'x'.repeat(281) }).reason(fr), 'welcomeLine peut compter au plus 280 caractères');
    assert.equal(refused({ loud: true }).reason(messagesFor('de')), 'unbekannte Einstellung „loud“');
    assert.equal(refused({ guestsOnly: 'yes' }).reason(messagesFor('es')), 'guestsOnly debe ser true o false');
  });

  it('says in French why a welcome line typed in the chat cannot be used', () => {
    const command = parseCommand(`welcome ${'x'.repeat(281)}`);
    assert.ok(command.name === 'invalid');
    assert.equal(messagesFor('fr').text(command.message, command.values), 'Cette ligne de bienvenue ne peut pas être utilisée : elle peut compter au plus 280 caractères.');
    assert.equal(messagesFor('en').text(command.message, command.values), 'That welcome line cannot be used: it can be at most 280 characters.');
  });

  it('takes a language from the tab\'s settings, and refuses one Herald does not speak', () => {
    assert.deepEqual(validateSettingsPatch({ language: 'fr' }), { language: 'fr' });
    assert.deepEqual(validateSettingsPatch({ language: null }), { language: null });
    assert.throws(() => validateSettingsPatch({ language: 'klingon' }), (e: unknown) => e instanceof SettingsError && /language must be one of en, de, fr, es/.test(e.message));
  });
});
