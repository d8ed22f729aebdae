import type { Request, Response, Next } from 'restify';
import type { Logger } from 'pino';

/** Observed tokens are one short sentence; anything much longer is not Graph. */
const MAX_TOKEN_LENGTH = 4096;

/**
 * Graph validates `notificationUrl` and `lifecycleNotificationUrl` by POSTing `?validationToken=…` and
 * expects, within 10 seconds, 200 `text/plain` with the URL-decoded token as the body. It runs as a
 * `pre` handler so the answer never waits for body parsing or anything else.
 */
export function handshakePreHandler(paths: readonly string[], log: Logger) {
  const routes = new Set(paths.map((p) => p.toLowerCase()));
  return function validationHandshake(req: Request, res: Response, next: Next): void {
    const url = req.url ?? '';
    const query = url.indexOf('?');
    if (query < 0 || req.method !== 'POST') return next();
    const path = url.slice(0, query).replace(/\/+$/, '').toLowerCase();
    if (!routes.has(path)) return next();
    const params = new URLSearchParams(url.slice(query + 1));
    let token: string | null = null;
    for (const [name, value] of params) {
      if (name.toLowerCase() === 'validationtoken') {
        token = value;
        break;
      }
    }
    if (token === null) return next();
    if (token.length > MAX_TOKEN_LENGTH) {
      res.sendRaw(400, 'validationToken too long', { 'Content-Type': 'text/plain; charset=utf-8' });
      return next(false);
    }
    log.info({ route: path, tokenLength: token.length }, 'answered a subscription validation request');
    // Echoed as-is (Graph compares it exactly); text/plain with nosniff, so a browser never renders it.
    res.sendRaw(200, token, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' });
    return next(false);
  };
}
