import type { Logger } from 'pino';
import type { HeraldConfig } from '../config/HeraldConfig.js';
import { GraphApi } from './GraphApi.js';
import { GraphTokenProvider } from './GraphTokenProvider.js';
import type { RetryPolicy } from './RetryAfterMiddleware.js';

export interface GraphAccess {
  tokens: GraphTokenProvider;
  /** Implements ChatGraph too; share this one instance so every module uses one token cache. */
  api: GraphApi;
}

/** Herald's one way into Microsoft Graph, from configuration: per-tenant app-only tokens and the typed API. */
export function createGraphAccess(deps: {
  config: Pick<HeraldConfig, 'aad' | 'graph'>;
  log: Logger;
  clock: () => Date;
  retry?: Partial<Omit<RetryPolicy, 'clock' | 'onRetry'>>;
}): GraphAccess {
  const { config, log, clock } = deps;
  const tokens = new GraphTokenProvider({
    clientId: config.aad.clientId,
    clientSecret: config.aad.clientSecret,
    authorityHost: config.aad.authorityHost,
    graphEndpoint: config.graph.endpoint,
    log,
  });
  const api = new GraphApi({ endpoint: config.graph.endpoint, tokens, log, clock, retry: deps.retry });
  return { tokens, api };
}
