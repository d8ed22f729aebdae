import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startRoundRobinProxy, type RoundRobinProxy } from '../../support/process/roundRobinProxy.js';

interface Upstream {
  url: string;
  close(): Promise<void>;
}

/** An upstream that answers with its name, the method, path, a header and the body it received. */
async function upstream(name: string): Promise<Upstream> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      res.writeHead(201, { 'content-type': 'application/json', 'x-upstream': name });
      res.end(JSON.stringify({ name, method: req.method, path: req.url, probe: req.headers['x-probe'] ?? null, body: Buffer.concat(chunks).toString('utf8') }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A URL nothing listens on (a port that was just free). */
/**
 * A port nothing listens on. Not a port just freed: connecting to a free port of the ephemeral range can
 * pick that same port as its own and connect to itself (TCP self-connect), which then hangs.
 */
async function refusingUrl(): Promise<string> {
  return 'http://127.0.0.1:1';
}

describe('round-robin proxy (test support)', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  async function start(urls: string[]): Promise<RoundRobinProxy> {
    const proxy = await startRoundRobinProxy(urls);
    cleanups.push(() => proxy.stop());
    return proxy;
  }
  async function upstreams(...names: string[]): Promise<Upstream[]> {
    const started = await Promise.all(names.map(upstream));
    for (const u of started) cleanups.push(() => u.close());
    return started;
  }

  it('forwards method, path, query, headers and body, and passes the answer back', async () => {
    const [a] = await upstreams('a');
    const proxy = await start([a!.url]);
    const response = await fetch(`${proxy.url}/api/notifications?validationToken=x`, { method: 'POST', headers: { 'x-probe': 'yes' }, body: '{"value":[]}' });
    assert.equal(response.status, 201);
    assert.equal(response.headers.get('x-upstream'), 'a');
    assert.deepEqual(await response.json(), { name: 'a', method: 'POST', path: '/api/notifications?validationToken=x', probe: 'yes', body: '{"value":[]}' });
  });

  it('sends each request to the next upstream in turn and counts them', async () => {
    const started = await upstreams('a', 'b', 'c');
    const proxy = await start(started.map((u) => u.url));
    const names: string[] = [];
    for (let i = 0; i < 4; i += 1) names.push(((await (await fetch(`${proxy.url}/healthz`)).json()) as { name: string }).name);
    assert.deepEqual(names, ['a', 'b', 'c', 'a']);
    assert.deepEqual(proxy.counts(), [2, 1, 1]);
  });

  it('skips an upstream that refuses the connection, body and all', async () => {
    const [b] = await upstreams('b');
    const proxy = await start([await refusingUrl(), b!.url]);
    const response = await fetch(`${proxy.url}/x`, { method: 'PUT', body: 'payload' });
    assert.deepEqual(await response.json(), { name: 'b', method: 'PUT', path: '/x', probe: null, body: 'payload' });
    assert.deepEqual(proxy.counts(), [0, 1]);
  });

  it('answers 502 when every upstream refuses', async () => {
    const proxy = await start([await refusingUrl(), await refusingUrl()]);
    assert.equal((await fetch(`${proxy.url}/x`)).status, 502);
    assert.deepEqual(proxy.counts(), [0, 0]);
  });

  it('stops listening on stop()', async () => {
    const [a] = await upstreams('a');
    const proxy = await startRoundRobinProxy([a!.url]);
    await proxy.stop();
    await assert.rejects(fetch(`${proxy.url}/x`));
  });
});
