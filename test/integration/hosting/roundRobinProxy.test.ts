import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startRoundRobinProxy, type RoundRobinProxy } from '../../support/process/roundRobinProxy.js';

async function upstream(name: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'X-Upstream': name });
      res.end(JSON.stringify({ name, method: req.method, path: req.url, body }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('the round-robin proxy the scale-out tests put in front of several instances', () => {
  let upstreams: Array<{ server: Server; url: string }>;
  let proxy: RoundRobinProxy;
  beforeEach(async () => {
    upstreams = [await upstream('a'), await upstream('b'), await upstream('c')];
    proxy = await startRoundRobinProxy({ upstreams: upstreams.map((u) => u.url) });
  });
  afterEach(async () => {
    await proxy.stop();
    for (const u of upstreams) await new Promise<void>((resolve) => u.server.close(() => resolve()));
  });

  it('sends each request to the next upstream in turn, with method, path and body', async () => {
    const names: string[] = [];
    for (let i = 0; i < 6; i++) {
      const response = await fetch(`${proxy.url}/api/notifications?x=${i}`, { method: 'POST', body: `body ${i}` });
      const answer = (await response.json()) as { name: string; method: string; path: string; body: string };
      assert.deepEqual([answer.method, answer.path, answer.body], ['POST', `/api/notifications?x=${i}`, `body ${i}`]);
      names.push(answer.name);
    }
    assert.deepEqual(names, ['a', 'b', 'c', 'a', 'b', 'c']);
    assert.deepEqual(proxy.counts(), [2, 2, 2]);
  });

  it('skips an upstream that refuses connections (a killed instance)', async () => {
    await new Promise<void>((resolve) => upstreams[1]?.server.close(() => resolve()));
    const names: string[] = [];
    for (let i = 0; i < 4; i++) names.push(((await (await fetch(`${proxy.url}/healthz`)).json()) as { name: string }).name);
    assert.ok(!names.includes('b'));
    assert.equal(names.length, 4);
    assert.equal(proxy.counts()[1], 0);
    upstreams[1] = await upstream('b-again'); // so afterEach can close it
  });

  it('answers 502 when no upstream answers', async () => {
    for (const u of upstreams) await new Promise<void>((resolve) => u.server.close(() => resolve()));
    assert.equal((await fetch(`${proxy.url}/healthz`)).status, 502);
    upstreams = [await upstream('x')];
  });
});
