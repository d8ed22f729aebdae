import type { KeyObject } from 'node:crypto';

/**
 * Messages between KeyUnwrapPool and its workers. A private key crosses once per worker (a KeyObject is
 * cloned by postMessage), then unwrap requests name it by thumbprint: ids may be reused across a rotation,
 * thumbprints cannot.
 */
export type ToUnwrapWorker =
  | { type: 'key'; thumbprint: string; key: KeyObject }
  | { type: 'unwrap'; id: number; thumbprints: string[]; wrapped: Uint8Array[] };

/** One entry per requested item, in order: the symmetric key, or null when it did not open. */
export interface FromUnwrapWorker {
  type: 'unwrapped';
  id: number;
  keys: Array<Uint8Array | null>;
}
