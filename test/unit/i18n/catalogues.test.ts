import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { IntlMessageFormat } from 'intl-messageformat';
import { en, type MessageKey } from '../../../src/i18n/catalogues/en.js';
import { CATALOGUES, Messages, messagesFor } from '../../../src/i18n/Messages.js';
import { LANGUAGES, languageOf } from '../../../src/i18n/languages.js';

interface AstNode {
  type: number;
  value?: string;
  options?: Record<string, { value: AstNode[] }>;
  children?: AstNode[];
}

/** The ICU arguments a message uses ("count:plural", "people:argument"), from intl-messageformat's own parse. */
function argumentsOf(message: string): string[] {
  const kinds: Record<number, string> = { 1: 'argument', 2: 'number', 3: 'date', 4: 'time', 5: 'select', 6: 'plural', 8: 'tag' };
  const found = new Set<string>();
  const walk = (nodes: AstNode[]) => {
    for (const node of nodes) {
      if (kinds[node.type] && node.value) found.add(`${node.value}:${kinds[node.type]}`);
      for (const option of Object.values(node.options ?? {})) walk(option.value);
      if (node.children) walk(node.children);
    }
  };
  walk(new IntlMessageFormat(message, 'en', undefined, { ignoreTag: true }).getAst() as unknown as AstNode[]);
  return [...found].sort();
}

describe('message catalogues', () => {
  const keys = Object.keys(en) as MessageKey[];

  for (const language of LANGUAGES) {
    it(`${language} has every message, with the same ICU arguments as English`, () => {
      const catalogue = CATALOGUES[language];
      assert.deepEqual(Object.keys(catalogue).sort(), [...keys].sort(), 'same keys as English');
      for (const key of keys) assert.deepEqual(argumentsOf(catalogue[key] ?? ''), argumentsOf(en[key]), `${language} ${key}`);
    });
  }

  it('spells each English word one way everywhere a person reads it (chat, card, tab, advice)', () => {
    const root = new URL('../../../', import.meta.url);
    const sources = [
      ['the English catalogue', Object.values(en).join('\n')],
      ['the tab page', readFileSync(new URL('public/tab/index.html', root), 'utf8')],
      ['the error advice', readFileSync(new URL('src/kernel/errorCatalogue.ts', root), 'utf8')],
    ];
    // Teams and Microsoft Entra write US English; so does Herald.
    for (const [where, text] of sources) assert.doesNotMatch(text ?? '', /organis/i, `${where} says "organization"`);
  });

  it('falls back to English for a message a language lacks', () => {
    const catalogue = CATALOGUES.de;
    const saved = catalogue['person.someone'];
    delete catalogue['person.someone'];
    try {
      // A fresh Messages: the shared one may have compiled the message already.
      assert.equal(new Messages('de').text('person.someone'), 'Someone');
    } finally {
      catalogue['person.someone'] = saved;
    }
  });

  it('gives English for no language or one Herald does not speak', () => {
    assert.equal(messagesFor(null).language, 'en');
    assert.equal(messagesFor('xx').language, 'en');
  });

  it('reads a Teams locale or a typed language name', () => {
    assert.equal(languageOf('de-DE'), 'de');
    assert.equal(languageOf('fr-CA'), 'fr');
    assert.equal(languageOf('es-419'), 'es');
    assert.equal(languageOf('Deutsch'), 'de');
    assert.equal(languageOf('ja-JP'), null);
    assert.equal(languageOf(undefined), null);
  });

  it('writes durations with each language\'s narrow units, English as before ("2d 22h")', () => {
    const ms = (2 * 1440 + 22 * 60) * 60_000;
    assert.equal(messagesFor('en').remaining(ms, 'expired'), '2d 22h');
    assert.equal(messagesFor('de').remaining(ms, 'abgelaufen'), '2 T 22h');
    assert.equal(messagesFor('fr').remaining(ms, 'expiré'), '2j 22h');
    assert.equal(messagesFor('en').remaining(0, 'expired'), 'expired');
    assert.equal(messagesFor('en').remaining(7 * 60_000 - 1, 'expired'), '7m');
  });

  it('joins lists with each language\'s conjunction', () => {
    assert.equal(messagesFor('en').list(['Ada', 'Alan', 'Grace']), 'Ada, Alan and Grace');
    assert.equal(messagesFor('de').list(['Ada', 'Alan', 'Grace']), 'Ada, Alan und Grace');
    assert.equal(messagesFor('fr').list(['Ada', 'Alan', 'Grace']), 'Ada, Alan et Grace');
    assert.equal(messagesFor('es').list(['Ada', 'Alan', 'Grace']), 'Ada, Alan y Grace');
  });
});
