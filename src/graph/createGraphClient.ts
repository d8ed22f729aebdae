import { AuthenticationHandler, Client, HTTPMessageHandler, TelemetryHandler } from '@microsoft/microsoft-graph-client';
import { RetryAfterMiddleware, type RetryPolicy } from './RetryAfterMiddleware.js';

export interface GraphClientOptions {
  /** `GRAPH_ENDPOINT`, e.g. `https://graph.microsoft.com` (no version, no trailing slash). */
  endpoint: string;
  /** The bearer token for each request (app-only, for one tenant). */
  getToken(): Promise<string>;
  retry: RetryPolicy;
}

/**
 * A Graph client for one tenant against any Graph host. The host goes into `customHosts` (hostname
 * only, no port) because the client only attaches the token to `graph.microsoft.com` and its custom
 * hosts; without it requests to a national cloud or a double would silently go out unauthenticated.
 */
export function createGraphClient(options: GraphClientOptions): Client {
  const endpoint = new URL(options.endpoint);
  if (endpoint.protocol !== 'https:') throw new Error(`GRAPH_ENDPOINT must be https (got ${options.endpoint})`);
  const auth = new AuthenticationHandler({ getAccessToken: () => options.getToken() });
  const retry = new RetryAfterMiddleware(options.retry);
  const telemetry = new TelemetryHandler();
  const http = new HTTPMessageHandler();
  auth.setNext(retry);
  retry.setNext(telemetry);
  telemetry.setNext(http);
  return Client.initWithMiddleware({
    middleware: auth,
    baseUrl: endpoint.origin,
    defaultVersion: 'v1.0',
    customHosts: new Set([endpoint.hostname]),
  });
}
