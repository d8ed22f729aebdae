/**
 * PostgreSQL's text and jsonb cannot hold U+0000; the embedded store can. Every string Herald sends to
 * PostgreSQL (columns, parameters, and each key and string inside a JSONB document) goes through
 * `toPg`, and everything read back through `fromPg`. The escape character is a private-use code point,
 * itself escaped, so the mapping is reversible for every string and leaves strings holding neither
 * character untouched (so queries and indexes see the same values as before for ordinary ids).
 */
const ESCAPE = '\uE000';
const NUL = '\u0000';
const ESCAPED = /\uE000([0e])/g;

export function toPgText(value: string): string {
  if (!value.includes(NUL) && !value.includes(ESCAPE)) return value;
  let out = '';
  for (const char of value) out += char === NUL ? `${ESCAPE}0` : char === ESCAPE ? `${ESCAPE}e` : char;
  return out;
}

export function fromPgText(value: string): string {
  if (!value.includes(ESCAPE)) return value;
  return value.replace(ESCAPED, (_, code: string) => (code === '0' ? NUL : ESCAPE));
}

/** Any value in PostgreSQL's form: strings escaped, arrays and plain objects walked (keys too); the rest as is. */
export function toPg<T>(value: T): T {
  return mapStrings(value, toPgText);
}

/** The inverse of `toPg`. Returns the same object when nothing needed unescaping. */
export function fromPg<T>(value: T): T {
  return mapStrings(value, fromPgText);
}

function mapStrings<T>(value: T, map: (text: string) => string): T {
  if (typeof value === 'string') return map(value) as T;
  if (Array.isArray(value)) {
    let changed = false;
    const next = value.map((item: unknown) => {
      const mapped = mapStrings(item, map);
      if (mapped !== item) changed = true;
      return mapped;
    });
    return (changed ? next : value) as T;
  }
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    let changed = false;
    const next: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const mappedKey = map(key);
      const mapped = mapStrings(item, map);
      if (mappedKey !== key || mapped !== item) changed = true;
      // defineProperty: a JSON key named __proto__ stays a key.
      Object.defineProperty(next, mappedKey, { value: mapped, enumerable: true, writable: true, configurable: true });
    }
    return (changed ? next : value) as T;
  }
  return value;
}
