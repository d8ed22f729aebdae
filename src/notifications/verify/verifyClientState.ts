import { timingSafeEqual } from 'node:crypto';

/**
 * Constant-time comparison of the `clientState` Graph echoed with the subscription's secret. Only the
 * length can leak through timing, and Herald's secrets all have the same length.
 */
export function verifyClientState(received: string | null, expected: string): boolean {
  if (received === null || expected.length === 0) return false;
  const a = Buffer.from(received, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
