/** Starting an HTTPS server on loopback with the loopback certificate, and reading request bodies. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { LoopbackCa } from './loopbackCa.js';

export interface RunningHttpsServer {
  /** Origin without trailing slash, e.g. `https://127.0.0.1:43123`. */
  origin: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export async function startHttpsServer(
  tls: Pick<LoopbackCa, 'certPem' | 'keyPem'>,
  handler: HttpHandler,
  options: { host?: string; port?: number; onError?: (error: unknown) => void } = {},
): Promise<RunningHttpsServer> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    Promise.resolve(handler(req, res)).catch((error: unknown) => {
      options.onError?.(error);
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'InternalServerError', message: 'The double failed to handle the request.' } }));
      } else {
        res.destroy();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  return {
    origin: `https://${hostInUrl}:${port}`,
    host,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function readBody(req: IncomingMessage, limitBytes = 1_000_000): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.length;
    if (size > limitBytes) throw new Error('request body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
