/** The deepest nesting of arrays/objects accepted in a request body; real payloads stay far below it. */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether a parsed JSON value nests arrays/objects deeper than `max`. Iterative on purpose: a recursive
 * walk (like JSON.stringify in the storage write) overflows the stack on the bodies this guards against.
 */
export function exceedsJsonDepth(value: unknown, max: number = MAX_JSON_DEPTH): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth + 1 > max) return true;
    for (const child of Object.values(current)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}
