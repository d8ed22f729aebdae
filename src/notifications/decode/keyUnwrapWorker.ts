/**
 * Worker entry of KeyUnwrapPool: RSA-OAEP unwraps of Graph `dataKey`s off Herald's event loop. Holds the
 * private keys it was sent and nothing else; answers every request with one entry per item.
 */
import type { KeyObject } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { unwrapDataKey } from './decryptResourceData.js';
import type { FromUnwrapWorker, ToUnwrapWorker } from './keyUnwrapProtocol.js';

const port = parentPort;
if (!port) throw new Error('keyUnwrapWorker runs as a worker thread only');
const keys = new Map<string, KeyObject>();

port.on('message', (message: ToUnwrapWorker) => {
  if (message.type === 'key') {
    keys.set(message.thumbprint, message.key);
    return;
  }
  const opened = message.thumbprints.map((thumbprint, i) => {
    const key = keys.get(thumbprint);
    // The pool sends a key before the first request that needs it; a miss is a bug, and crashing lets the pool retry on a fresh worker.
    if (!key) throw new Error(`keyUnwrapWorker has no key ${thumbprint}`);
    return unwrapDataKey(key, message.wrapped[i] as Uint8Array);
  });
  port.postMessage({ type: 'unwrapped', id: message.id, keys: opened } satisfies FromUnwrapWorker);
});
