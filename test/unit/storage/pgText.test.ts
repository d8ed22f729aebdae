import assert from 'node:assert/strict';
import { fromPg, fromPgText, toPg, toPgText } from '../../../src/storage/postgres/pgText.js';

describe('PostgreSQL text escaping (U+0000)', () => {
  it('leaves strings without NUL or the escape character as they are', () => {
    assert.equal(toPgText('19:abc@thread.v2 ü 🎉'), '19:abc@thread.v2 ü 🎉');
  });

  it('produces no NUL, and gives back every string exactly, escape sequences included', () => {
    for (const text of ['\u0000', 'a\u0000b', '\uE000', '\uE0000', '\uE000e', '\uE000\u0000\uE000', '\\u0000', '\u0000\u0000🎉']) {
      assert.ok(!toPgText(text).includes('\u0000'), JSON.stringify(text));
      assert.equal(fromPgText(toPgText(text)), text);
    }
  });

  it('walks documents: keys, nested values and arrays, leaving numbers, booleans and null', () => {
    const doc = { 'k\u0000': [{ v: 'x\u0000' }, 1, true, null], __proto__key: '\uE000' };
    const stored = toPg(doc);
    assert.ok(!JSON.stringify(stored).includes('\\u0000'));
    assert.deepEqual(fromPg(JSON.parse(JSON.stringify(stored)) as unknown), doc);
  });

  it('keeps a JSON key named __proto__ a key', () => {
    const doc = JSON.parse('{"__proto__":{"a":"\\u0000"}}') as Record<string, unknown>;
    const back = fromPg(toPg(doc));
    assert.ok(Object.prototype.hasOwnProperty.call(back, '__proto__'));
    assert.deepEqual(Object.getPrototypeOf(back), Object.prototype);
  });
});
