/**
 * Makes Node's global `fetch` trust an extra CA at run time. NODE_EXTRA_CA_CERTS only works when set
 * before Node starts, but msal-node 7, the Graph client and jose all go through global fetch, whose
 * dispatcher lives under `Symbol.for('undici.globalDispatcher.1')` — the same slot the npm `undici` 6
 * package's setGlobalDispatcher writes — so swapping the dispatcher is enough.
 */
import { rootCertificates } from 'node:tls';
import { Agent, getGlobalDispatcher, setGlobalDispatcher, type Dispatcher } from 'undici';

/** Restores the dispatcher that was active before the matching trustCaForFetch call. */
export type RestoreFetchTrust = () => void;

// Which dispatcher each trusting agent replaced, so restores in any order never reinstate a closed agent.
const replaced = new WeakMap<Dispatcher, { previous: Dispatcher; restored: boolean }>();

export function trustCaForFetch(caPem: string | readonly string[]): RestoreFetchTrust {
  const extra = typeof caPem === 'string' ? [caPem] : [...caPem];
  const agent = new Agent({ connect: { ca: [...rootCertificates, ...extra] } });
  const link = { previous: getGlobalDispatcher(), restored: false };
  replaced.set(agent, link);
  setGlobalDispatcher(agent);
  return () => {
    if (link.restored) return;
    link.restored = true;
    if (getGlobalDispatcher() === agent) {
      let previous = link.previous;
      for (let hop = replaced.get(previous); hop?.restored; hop = replaced.get(previous)) previous = hop.previous;
      setGlobalDispatcher(previous);
    }
    // Anyone who replaced this agent later will skip it on their restore, so closing it is safe.
    agent.close().catch(() => undefined);
  };
}
