/**
 * The playground's routes on Herald's restify server, all under `/playground/`: the page, its script
 * and styles, a JSON API for the controls, a live event stream, and the tab's SSO token stand-in.
 * Registered by the playground wiring next to Herald's own routes; Herald's pipeline never sees them.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import restify, { type Next, type Request, type Response, type Server } from 'restify';
import { PlaygroundError, TROUBLE_KINDS, type MemberKind, type PlaygroundController, type TroubleKind } from './PlaygroundController.js';
import { SseStreams } from './SseStreams.js';
import { findPublicDir } from '../../src/http/findPublicDir.js';

export interface PlaygroundRoutesOptions {
  controller: PlaygroundController;
  /** The repository's `public/` folder (found from this module's location by default). */
  publicDir?: string;
  log?: Logger;
  heartbeatMs?: number;
}

export interface PlaygroundRoutes {
  streams: SseStreams;
  /** Ends the live streams (before Herald's server closes). */
  close(): void;
}

// Everything the page needs is served from here. Adaptive Cards set element styles from script, hence
// 'unsafe-inline' for styles only.
const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

type Body = Record<string, unknown>;

function bodyOf(req: Request): Body {
  const body: unknown = req.body;
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Body) : {};
}

function stringField(body: Body, name: string): string {
  const value = body[name];
  if (typeof value !== 'string') throw new PlaygroundError(400, `"${name}" must be a string`);
  return value;
}

/**
 * The controls change a local simulated world; still, a web page on another site must not drive them.
 * JSON bodies (a non-simple request, so browsers preflight it) and a same-origin `Origin` are required.
 */
function sameSiteJson(req: Request): void {
  const origin = req.headers.origin;
  if (origin && origin !== `http://${req.headers.host ?? ''}`) throw new PlaygroundError(400, 'cross-site requests are refused');
  if (req.method !== 'DELETE' && !req.is('application/json')) throw new PlaygroundError(400, 'send JSON (Content-Type: application/json)');
}

export function registerPlaygroundRoutes(server: Server, options: PlaygroundRoutesOptions): PlaygroundRoutes {
  const { controller, log } = options;
  const publicDir = options.publicDir ?? findPublicDir('playground/index.html');
  const streams = new SseStreams({ heartbeatMs: options.heartbeatMs });
  const stopForwarding = controller.on((event) => {
    switch (event.type) {
      case 'chat':
        return streams.broadcast('chat', event.chat);
      case 'timeline':
        return streams.broadcast('timeline', event.change);
      case 'wire':
        return streams.broadcast('wire', event.item);
      case 'subscriptions':
        return streams.broadcast('subscriptions', event.subscriptions);
    }
  });

  const sendError = (res: Response, error: unknown) => {
    if (error instanceof PlaygroundError) {
      res.json(error.status, { code: error.name, message: error.message });
    } else {
      log?.error({ err: error }, 'playground: request failed');
      res.json(500, { code: 'InternalError', message: 'The playground failed; see the log.' });
    }
  };

  /** Wraps a control: JSON in, JSON out, PlaygroundError → its status. */
  const control =
    (work: (req: Request) => Promise<unknown>, status = 200) =>
    // restify 12 refuses async handlers that also take `next`: run the promise, then call next.
    (req: Request, res: Response, next: Next) => {
      void (async () => {
        try {
          sameSiteJson(req);
          res.json(status, await work(req));
        } catch (error) {
          sendError(res, error);
        }
      })().finally(() => next());
    };

  const noStore = (_req: Request, res: Response, next: Next) => {
    res.header('Cache-Control', 'no-cache');
    res.header('X-Content-Type-Options', 'nosniff');
    res.header('Referrer-Policy', 'no-referrer');
    next();
  };

  // ---- page --------------------------------------------------------------------------------
  server.get('/playground', (_req, res, next) => res.redirect(302, '/playground/', next));
  server.get(
    '/playground/build/*',
    noStore,
    restify.plugins.serveStatic({ directory: join(publicDir, 'build'), appendRequestPath: false, maxAge: 0, match: /\/playground\.js(\.map)?$/ }),
  );
  server.get(
    '/playground/*',
    noStore,
    (req: Request, res: Response, next: Next) => {
      if (!req.path().startsWith('/playground/api/')) res.header('Content-Security-Policy', PAGE_CSP);
      next();
    },
    restify.plugins.serveStatic({ directory: publicDir, maxAge: 0, default: 'index.html', match: /(\/|\.html|\.css|\.svg)$/ }),
  );

  // ---- API ---------------------------------------------------------------------------------
  server.get('/playground/api/state', noStore, (_req, res, next) => {
    try {
      res.json(200, controller.view());
    } catch (error) {
      sendError(res, error);
    }
    return next();
  });

  server.get('/playground/api/events', (req, res, next) => {
    // The first event is the whole view, so a page that (re)connects never misses what happened meanwhile.
    streams.accept(res, [{ event: 'snapshot', data: controller.view() }], () => next());
    req.on('error', () => undefined);
  });

  server.post('/playground/api/herald/install', control(() => controller.installHerald()));
  server.post('/playground/api/herald/remove', control(() => controller.removeHerald()));
  server.post(
    '/playground/api/members',
    control((req) => {
      const body = bodyOf(req);
      const kind = body.kind === undefined ? 'member' : stringField(body, 'kind');
      return controller.addMember({ name: stringField(body, 'name'), kind: kind as MemberKind });
    }, 201),
  );
  server.del('/playground/api/members/:userId', control((req) => controller.removeMember(String(req.params.userId ?? ''))));
  server.put('/playground/api/topic', control((req) => controller.rename(stringField(bodyOf(req), 'topic'))));
  server.post('/playground/api/messages', control((req) => controller.send(stringField(bodyOf(req), 'text')), 201));
  server.post(
    '/playground/api/card-actions',
    control((req) => {
      const body = bodyOf(req);
      const data = body.data === undefined ? {} : body.data;
      if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new PlaygroundError(400, 'data must be an object');
      return controller.pressCardAction({ activityId: stringField(body, 'activityId'), verb: stringField(body, 'verb'), data: data as Record<string, unknown> });
    }),
  );
  server.put('/playground/api/acting', control((req) => controller.setActing(stringField(bodyOf(req), 'userId'))));
  server.post(
    '/playground/api/trouble/:kind',
    control((req) => {
      const kind = String(req.params.kind ?? '');
      if (!TROUBLE_KINDS.includes(kind as TroubleKind)) throw new PlaygroundError(400, `unknown trouble "${kind}"; one of ${TROUBLE_KINDS.join(', ')}`);
      return controller.trouble(kind as TroubleKind);
    }),
  );

  // The simulated Teams host's token source for the companion tab (Teams' SSO, played by the login double).
  server.get('/playground/api/sso-token', noStore, (req: Request, res: Response, next: Next) => {
    const query = (req.query ?? {}) as Record<string, unknown>;
    const oid = typeof query.oid === 'string' ? query.oid : '';
    controller
      .ssoToken(oid)
      .then(
        (token) => res.json(200, { token }),
        (error: unknown) => sendError(res, error),
      )
      .finally(() => next());
  });

  return {
    streams,
    close() {
      stopForwarding();
      streams.close();
    },
  };
}
