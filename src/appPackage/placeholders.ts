import { UnresolvedPlaceholderError } from './AppPackageError.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Teams Toolkit's placeholder syntax: `${{NAME}}`, spaces allowed inside the braces. */
const PLACEHOLDER = /\$\{\{ *([A-Za-z_][A-Za-z0-9_]*) *\}\}/g;

/** Variables a text refers to, each once, in order of first use. */
export function placeholdersIn(text: string): string[] {
  return [...new Set(Array.from(text.matchAll(PLACEHOLDER), (m) => m[1]))];
}

/** Where the values came from, highest precedence first (for error messages). */
export interface VariableSource {
  values: Readonly<Record<string, string>>;
  searched: readonly string[];
}

/**
 * Replaces every placeholder in one pass (a value that itself contains `${{…}}` is not expanded again).
 * Like Teams Toolkit, an empty value leaves the placeholder unresolved; those names go into `missing`.
 */
function substitute(text: string, values: Readonly<Record<string, string>>, missing: Set<string>): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => {
    const value = Object.hasOwn(values, name) ? values[name] : '';
    if (value === '') {
      missing.add(name);
      return whole;
    }
    return value;
  });
}

/** Resolves placeholders in a text; throws naming every unresolved variable. */
export function resolvePlaceholders(text: string, source: VariableSource, what: string): string {
  const missing = new Set<string>();
  const resolved = substitute(text, source.values, missing);
  if (missing.size > 0) throw new UnresolvedPlaceholderError([...missing], what, source.searched);
  return resolved;
}

/**
 * Resolves placeholders in every string of a parsed JSON document. Working on parsed strings (rather than
 * the raw text, as Teams Toolkit does) means a value with a quote or backslash cannot break the JSON.
 */
export function resolveJsonPlaceholders(document: JsonValue, source: VariableSource, what: string): JsonValue {
  const missing = new Set<string>();
  const walk = (value: JsonValue): JsonValue => {
    if (typeof value === 'string') return substitute(value, source.values, missing);
    if (Array.isArray(value)) return value.map(walk);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, walk(inner)]));
    }
    return value;
  };
  const resolved = walk(document);
  if (missing.size > 0) throw new UnresolvedPlaceholderError([...missing], what, source.searched);
  return resolved;
}
