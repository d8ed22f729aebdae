import assert from 'node:assert/strict';
import { markdownLiteral, xmlLiteral } from '../../../src/bot/teamsText.js';

/** What Markdown and HTML both do with numeric character references: decode them to the character. */
const decodeReferences = (text: string) => text.replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)));
/** The text without its character references: what is left for a Markdown or HTML parser to read as syntax. */
const withoutReferences = (text: string) => text.replace(/&#\d+;/g, '');

const HOSTILE = [
  '<b>Eve</b>',
  '**Mallory**',
  '[x](https://evil.example)',
  '![img](https://evil.example/a.png)',
  '_Ivy_ ~~Stan~~ `code` | pipe \\ slash',
  '&amp; already an entity &#42;',
  '# Heading',
  '- Listed',
  '+ Plussed',
  '1. Numbered',
  '2) Numbered',
  '> Quoted',
  'Line one\n=== setext',
];

describe('names and topics shown literally in Teams text', () => {
  describe('markdownLiteral (message text, Adaptive Card TextBlock and fallbackText)', () => {
    for (const text of HOSTILE) {
      it(`leaves no Markdown or HTML syntax in ${JSON.stringify(text)}, and decodes back to it exactly`, () => {
        const literal = markdownLiteral(text);
        assert.equal(decodeReferences(literal), text);
        assert.doesNotMatch(withoutReferences(literal), /[\\`*_~[\]<>&#|]/);
        assert.doesNotMatch(literal, /^\s*(?:[-+=]|\d+[.)])/m, 'no list marker or underline at a line start');
      });
    }

    it('leaves ordinary names and punctuation readable', () => {
      assert.equal(markdownLiteral("Zoë O'Brien-Smith (Guest), Dr. Who"), "Zoë O'Brien-Smith (Guest), Dr. Who");
      assert.equal(markdownLiteral('Launch crew 🚀'), 'Launch crew 🚀');
    });
  });

  describe('xmlLiteral (speak, SSML)', () => {
    it('escapes the five XML specials and nothing else', () => {
      assert.equal(xmlLiteral(`<b>Eve</b> & "Mo" 'x' **y**`), '&lt;b&gt;Eve&lt;/b&gt; &amp; &quot;Mo&quot; &apos;x&apos; **y**');
    });
  });
});
