import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

/**
 * An HTTP load balancer for multi-instance tests: each request (method, path, headers, body streamed)
 * goes to the next upstream in turn. An upstream that refuses the connection is skipped for that
 * request (the next one is tried, the body not yet sent); when every upstream refuses, 502.
 */
export interface RoundRobinProxy {
  /** Base URL of the proxy, e.g. http://127.0.0.1:40123 (no trailing slash). */
  url: string;
  /** Requests each upstream accepted, in the order of the upstreams given. */
  counts(): number[];
  stop(): Promise<void>;
}

export interface RoundRobinProxyOptions {
  port?: number;
  host?: string;
}

// Hop-by-hop: they describe the client's connection to the proxy, not the request.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'upgrade', 'te', 'trailer']);

type Attempt = 'refused' | 'forwarded';

export async function startRoundRobinProxy(upstreams: readonly string[], options: RoundRobinProxyOptions = {}): Promise<RoundRobinProxy> {
  if (upstreams.length === 0) throw new Error('startRoundRobinProxy: at least one upstream');
  const bases = upstreams.map((u) => new URL(u));
  const counts = upstreams.map(() => 0);
  let next = 0;

  const server = createServer((req, res) => {
    void (async () => {
      const first = next;
      next = (next + 1) % bases.length;
      for (let i = 0; i < bases.length; i += 1) {
        const index = (first + i) % bases.length;
        if ((await forward(req, res, bases[index]!, () => (counts[index]! += 1))) === 'forwarded') return;
      }
      // Separate calls: restify (loaded in the same process by the doubles) patches writeHead, which then returns nothing.
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'no upstream accepted the connection' }));
    })();
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address}:${address.port}`,
    counts: () => [...counts],
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

function forward(req: IncomingMessage, res: ServerResponse, base: URL, accepted: () => void): Promise<Attempt> {
  return new Promise((resolve) => {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    headers.host = base.host;
    const request = base.protocol === 'https:' ? httpsRequest : httpRequest;
    // A fresh connection per request (no agent): "refused" then always means before any byte was sent.
    const upstream = request({
      protocol: base.protocol,
      hostname: base.hostname,
      port: base.port,
      method: req.method,
      path: `${base.pathname.replace(/\/+$/, '')}${req.url ?? '/'}`,
      headers,
      agent: false,
    });
    let connected = false;
    upstream.once('socket', (socket) =>
      socket.once('connect', () => {
        connected = true;
        accepted();
        req.pipe(upstream);
      }),
    );
    upstream.once('response', (reply) => {
      const replyHeaders: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(reply.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) replyHeaders[name] = value;
      res.writeHead(reply.statusCode ?? 502, reply.statusMessage, replyHeaders);
      reply.pipe(res);
      reply.once('end', () => resolve('forwarded'));
      reply.once('error', () => {
        res.destroy();
        resolve('forwarded');
      });
    });
    upstream.once('error', (error: NodeJS.ErrnoException) => {
      if (!connected && error.code === 'ECONNREFUSED') return resolve('refused');
      // It had the request: retrying elsewhere could run it twice.
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: `upstream failed: ${error.code ?? error.message}` }));
      } else res.destroy();
      resolve('forwarded');
    });
  });
}
