import { join } from 'node:path';
import restify, { type Request, type Response, type Next, type Server } from 'restify';

/** The bundles (built by scripts/buildWeb.mjs into public/build/) the tab pages load. */
export const TAB_BUNDLES = ['tab', 'tabconfig', 'teamsHost'] as const;

export interface TabPagesOptions {
  publicDir: string;
  /** Serve `/tab/host-demo.html` (the simulated Teams host); on in the playground and tests only. */
  hostDemo: boolean;
}

/**
 * The one address off this origin the pages talk to: teams-js fetches Microsoft's current list of Teams
 * host domains from it as soon as it loads (and falls back to its built-in copy when that fails).
 * Refusing it by CSP cost two console errors on every load; the list is what teams-js checks the
 * host's messages against, so it is allowed, and nothing else on that CDN.
 */
export const TEAMS_JS_VALID_DOMAINS_URL = 'https://res.cdn.office.net/teams-js/validDomains/json/validDomains.json';

// Everything else the pages need is served from here: no CDN scripts, no inline script.
const PAGE_CSP = `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ${TEAMS_JS_VALID_DOMAINS_URL}; frame-src 'self'; object-src 'none'; base-uri 'none'`;

/**
 * The tab's pages: `/tab/index.html` (content), `/tab/config.html` (configurable-tab setup),
 * `/tab/tab.css`, and the script bundles under `/tab/build/`.
 */
export function registerTabPages(server: Server, options: TabPagesOptions): void {
  const noStore = (_req: Request, res: Response, next: Next) => {
    // Small pages that change with every release; always revalidate.
    res.header('Cache-Control', 'no-cache');
    res.header('X-Content-Type-Options', 'nosniff');
    res.header('Referrer-Policy', 'no-referrer');
    next();
  };
  const pageHeaders = (req: Request, res: Response, next: Next) => {
    if (req.path().endsWith('.html')) res.header('Content-Security-Policy', PAGE_CSP);
    next();
  };
  const hideDemo = (req: Request, res: Response, next: Next) => {
    if (!options.hostDemo && req.path() === '/tab/host-demo.html') {
      res.json(404, { code: 'ResourceNotFound', message: `${req.path()} does not exist` });
      return next(false);
    }
    next();
  };

  const bundleNames = TAB_BUNDLES.map((b) => b.replace(/[^a-zA-Z]/g, '')).join('|');
  server.get(
    '/tab/build/*',
    noStore,
    restify.plugins.serveStatic({
      directory: join(options.publicDir, 'build'),
      appendRequestPath: false,
      maxAge: 0,
      match: new RegExp(`/(${bundleNames})\\.js(\\.map)?$`),
    }),
  );
  server.get('/tab', (_req, res, next) => {
    res.redirect(302, '/tab/index.html', next);
  });
  server.get(
    '/tab/*',
    noStore,
    pageHeaders,
    hideDemo,
    restify.plugins.serveStatic({ directory: options.publicDir, maxAge: 0, default: 'index.html', match: /\.(html|css|svg|png)$/ }),
  );
}
