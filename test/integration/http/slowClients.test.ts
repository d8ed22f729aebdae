import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import type { Server } from 'restify';
import { HealthRegistry } from '../../../src/http/HealthRegistry.js';
import { createHttpServer, DEFAULT_HTTP_TIMEOUTS } from '../../../src/http/createHttpServer.js';
import { silentLogger } from '../../../src/log/createLogger.js';

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Opens a raw connection, writes `head`, then trickles `drip` one byte every `everyMs`; resolves with what came back and when the socket closed. */
function trickle(port: number, head: string, drip: string, everyMs: number): Promise<{ received: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let received = '';
    let timer: NodeJS.Timeout | undefined;
    const socket: Socket = connect(port, '127.0.0.1', () => {
      socket.write(head);
      let i = 0;
      timer = setInterval(() => {
        if (i < drip.length && !socket.destroyed) socket.write(drip[i++]);
      }, everyMs);
    });
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => void (received += chunk));
    socket.on('error', () => undefined); // a reset after the 408 is fine; 'close' follows
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ received, closedAfterMs: Date.now() - started });
    });
    setTimeout(() => reject(new Error('socket still open after 5 s')), 5_000).unref();
  });
}

describe('slow clients (createHttpServer timeouts)', () => {
  let server: Server;
  let port: number;

  before(async () => {
    server = createHttpServer({ log: silentLogger(), health: new HealthRegistry(), timeouts: { headersMs: 300, requestMs: 300, keepAliveMs: 200, checkIntervalMs: 50 } });
    server.post('/echo', (req, res, next) => {
      res.json(200, { got: req.body as unknown });
      return next();
    });
    server.post('/slow-answer', async (_req, res) => {
      await pause(500); // longer than requestMs, but the request itself arrived quickly
      res.json(200, { ok: true });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = server.address().port;
  });

  after(async () => {
    server.server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('defaults to ~20 s for headers, ~30 s for the whole request and 5 s keep-alive', () => {
    const http = createHttpServer({ log: silentLogger(), health: new HealthRegistry() }).server;
    assert.deepEqual([http.headersTimeout, http.requestTimeout, http.keepAliveTimeout], [20_000, 30_000, 5_000]);
    assert.deepEqual(DEFAULT_HTTP_TIMEOUTS, { headersMs: 20_000, requestMs: 30_000, keepAliveMs: 5_000, checkIntervalMs: 1_000 });
  });

  it('answers 408 and closes the socket of a client trickling its body', async () => {
    const body = JSON.stringify({ value: 'x'.repeat(200) });
    const head = `POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const result = await trickle(port, head, body, 20); // would take ~4 s to finish
    assert.match(result.received, /^HTTP\/1\.1 408 /);
    assert.ok(result.closedAfterMs < 1_500, `closed after ${result.closedAfterMs} ms`);
  });

  it('closes the socket of a client trickling its headers', async () => {
    const result = await trickle(port, 'POST /echo HTTP/1.1\r\n', 'X-Slow: ' + 'a'.repeat(200), 20);
    assert.match(result.received, /^(HTTP\/1\.1 408 |$)/);
    assert.ok(result.closedAfterMs < 1_500, `closed after ${result.closedAfterMs} ms`);
  });

  it('serves a normal POST, and a slow answer to a request that arrived quickly', async () => {
    const echo = await fetch(`http://127.0.0.1:${port}/echo`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"a":1}' });
    assert.deepEqual([echo.status, await echo.json()], [200, { got: { a: 1 } }]);
    const slow = await fetch(`http://127.0.0.1:${port}/slow-answer`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    assert.deepEqual([slow.status, await slow.json()], [200, { ok: true }]);
  });
});
