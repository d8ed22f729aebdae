import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Constant-time comparison of the `clientState` Graph echoed with the subscription's secret. Both
 * sides are hashed first so neither the length nor a common prefix leaks through timing.
 */
export function verifyClientState(received: string | null, expected: string): boolean {
  if (received === null || expected.length === 0) return false;
  const a = createHash('sha256').update(received, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}
