import { exceedsJsonDepth, MAX_JSON_DEPTH } from './jsonDepth.js';
import restify, { type Next, type Request, type Response, type Server } from 'restify';
import type { Logger } from 'pino';
import type { HealthRegistry } from './HealthRegistry.js';
import { asHeraldError } from '../kernel/errors.js';

export interface HttpServerOptions {
  log: Logger;
  health: HealthRegistry;
  /** Largest accepted request body; larger ones get 413. */
  maxBodyBytes?: number;
  /** Reports whether the server is shutting down (healthz answers 503 then). */
  isStopping?: () => boolean;
  /** Slow-client limits (ms); tests shrink them. */
  timeouts?: Partial<HttpTimeouts>;
}

export interface HttpTimeouts {
  /** Time to receive all request headers. */
  headersMs: number;
  /** Time to receive the whole request, body included; a client trickling its body gets 408 and is cut off. */
  requestMs: number;
  /** How long an idle keep-alive connection stays open. */
  keepAliveMs: number;
  /** How often Node checks the two limits above (its default, 30 s, would let a slow client stay twice as long). */
  checkIntervalMs: number;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = { headersMs: 20_000, requestMs: 30_000, keepAliveMs: 5_000, checkIntervalMs: 1_000 };

/**
 * The restify server every route hangs off: body limits, JSON errors, `/healthz`. Routes are added by
 * the modules that own them (bot, notifications, tab, playground).
 */
export function createHttpServer(options: HttpServerOptions): Server {
  const { log, health } = options;
  const server = restify.createServer({ name: 'herald', handleUncaughtExceptions: false });
  const maxBodySize = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  applyTimeouts(server, { ...DEFAULT_HTTP_TIMEOUTS, ...options.timeouts });

  server.pre(restify.plugins.pre.context());
  server.pre(refuseEncodedBodies);
  server.use(restify.plugins.queryParser({ mapParams: false }));
  server.use(restify.plugins.bodyParser({ maxBodySize, mapParams: false, mapFiles: false, rejectUnknown: false }));
  // Every route, not only Graph's: a body nested this deep overflows the stack of whatever walks it later
  // (storing an activity's conversation reference, logging), so it is refused before any handler runs.
  server.use((req, res, next) => {
    if (exceedsJsonDepth(req.body)) {
      res.send(400, { code: 'BadRequest', message: `JSON nested deeper than ${MAX_JSON_DEPTH} levels` });
      return next(false);
    }
    return next();
  });

  server.get('/healthz', async (_req, res) => {
    const stopping = options.isStopping?.() ?? false;
    let sections: Record<string, unknown>;
    try {
      sections = await health.snapshot();
    } catch (error) {
      // A section could not be read (the store went away): say so rather than fail the probe blindly.
      log.warn({ err: error }, 'health could not be read in full');
      res.json(503, { status: 'unhealthy', error: asHeraldError(error).code });
      return;
    }
    res.json(stopping ? 503 : 200, { status: stopping ? 'stopping' : 'ok', ...sections });
  });

  server.on('restifyError', (req, res, err: Error & { statusCode?: number }, callback: () => void) => {
    const status = err.statusCode ?? 500;
    if (status >= 500) log.error({ err, method: req.method, url: req.url }, 'request failed');
    else log.debug({ status, method: req.method, url: req.url, reason: err.message }, 'request rejected');
    // Restify renders errors as JSON `{ code, message }`; keep 5xx messages generic so nothing leaks.
    if (status >= 500) err.message = 'Internal error';
    return callback();
  });

  return server;
}

function applyTimeouts(server: Server, timeouts: HttpTimeouts): void {
  // Node 20 reads connectionsCheckingInterval when the server starts listening, so setting it here works.
  const http = server.server as typeof server.server & { connectionsCheckingInterval: number };
  http.headersTimeout = timeouts.headersMs;
  http.requestTimeout = timeouts.requestMs;
  http.keepAliveTimeout = timeouts.keepAliveMs;
  http.connectionsCheckingInterval = timeouts.checkIntervalMs;
}

/**
 * No client of Herald (Graph, Bot Framework, the tab) compresses request bodies. Restify's gunzip has no
 * error handler (bad gzip crashes the process) and its size limit counts compressed bytes (a gzip bomb
 * gets through), so any encoded body is refused before the body parser sees it.
 */
function refuseEncodedBodies(req: Request, res: Response, next: Next): void {
  const encoding = (req.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (encoding === '' || encoding === 'identity') {
    // Restify's body reader refuses every encoding but gzip, `identity` included; identity means none.
    delete req.headers['content-encoding'];
    return next();
  }
  res.setHeader('Connection', 'close');
  res.send(415, { code: 'UnsupportedMediaType', message: 'Request bodies must not be compressed (Content-Encoding must be absent or identity)' });
  return next(false);
}
