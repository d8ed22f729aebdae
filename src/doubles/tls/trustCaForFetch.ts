/**
 * Makes Node's global `fetch` trust an extra CA at run time. NODE_EXTRA_CA_CERTS only works when set
 * before Node starts, but msal-node 7, the Graph client and jose all go through global fetch, whose
 * dispatcher lives under `Symbol.for('undici.globalDispatcher.1')` — the same slot the npm `undici` 6
 * package's setGlobalDispatcher writes — so swapping the dispatcher is enough.
 */
import { rootCertificates } from 'node:tls';
import { Agent, getGlobalDispatcher, setGlobalDispatcher } from 'undici';

/** Restores the dispatcher that was active before the matching trustCaForFetch call. */
export type RestoreFetchTrust = () => void;

export function trustCaForFetch(caPem: string | readonly string[]): RestoreFetchTrust {
  const extra = typeof caPem === 'string' ? [caPem] : [...caPem];
  const previous = getGlobalDispatcher();
  const agent = new Agent({ connect: { ca: [...rootCertificates, ...extra] } });
  setGlobalDispatcher(agent);
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    // Only put the previous one back if nobody replaced ours in between (nested trusts restore LIFO).
    if (getGlobalDispatcher() === agent) setGlobalDispatcher(previous);
    agent.close().catch(() => undefined);
  };
}
