import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, sendJson, startHttpsServer, type RunningHttpsServer } from '../../../sim/doubles/tls/httpsServer.js';
import { createLoopbackCa } from '../../../sim/doubles/tls/loopbackCa.js';
import { trustCaForFetch, type RestoreFetchTrust } from '../../../sim/doubles/tls/trustCaForFetch.js';
import { GraphApi, type NewSubscription } from '../../../src/graph/GraphApi.js';
import { GraphRequestError, GraphTokenError } from '../../../src/graph/GraphRequestError.js';
import { silentLogger } from '../../../src/log/createLogger.js';

interface SeenRequest {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
}

type Route = (req: SeenRequest, res: ServerResponse) => void;

describe('GraphApi', () => {
  let restoreTrust: RestoreFetchTrust;
  let server: RunningHttpsServer;
  let seen: SeenRequest[];
  let route: Route;
  let sleeps: number[];

  before(async () => {
    const ca = await createLoopbackCa();
    restoreTrust = trustCaForFetch(ca.caCertPem);
    // A bare Graph-shaped endpoint; each test decides the answers.
    server = await startHttpsServer(ca, async (req: IncomingMessage, res: ServerResponse) => {
      const request = { method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, body: await readBody(req) };
      seen.push(request);
      route(request, res);
    });
  });

  after(async () => {
    await server.close();
    restoreTrust();
  });

  beforeEach(() => {
    seen = [];
    sleeps = [];
    route = (_req, res) => sendJson(res, 404, { error: { code: 'NotFound', message: 'no route' } });
  });

  const api = (tokens: { getToken(tenantId: string): Promise<string> } = { getToken: async (t) => `token-for-${t}` }) =>
    new GraphApi({
      endpoint: server.origin,
      tokens,
      log: silentLogger(),
      clock: () => new Date(),
      retry: {
        maxRetries: 3,
        maxInlineDelayMs: 5_000,
        baseDelayMs: 100,
        sleep: async (ms) => void sleeps.push(ms),
      },
    });

  const graphError = (res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}) =>
    sendJson(res, status, { error: { code, message, innerError: { 'request-id': randomUUID(), date: new Date().toISOString() } } }, headers);

  it('calls GRAPH_ENDPOINT/v1.0 with the bearer token of the tenant asked about', async () => {
    route = (_req, res) => sendJson(res, 200, { id: '19:a@thread.v2', topic: 'Ops', chatType: 'group' });
    const chat = await api().getChat('tenant-1', '19:a@thread.v2');
    assert.equal(chat.topic, 'Ops');
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.method, 'GET');
    assert.equal(decodeURIComponent(seen[0]?.url ?? ''), '/v1.0/chats/19:a@thread.v2');
    assert.equal(seen[0]?.authorization, 'Bearer token-for-tenant-1');
  });

  it('creates, renews, reauthorizes and deletes subscriptions with the documented verbs and bodies', async () => {
    const expiry = new Date(Date.now() + 3 * 86_400_000).toISOString();
    route = (req, res) => {
      if (req.method === 'POST' && req.url === '/v1.0/subscriptions') {
        sendJson(res, 201, { ...(JSON.parse(req.body) as object), id: 'sub-1', clientState: null });
      } else if (req.method === 'PATCH') {
        sendJson(res, 200, { id: 'sub-1', resource: '/chats/x/members', changeType: 'created,deleted', expirationDateTime: (JSON.parse(req.body) as { expirationDateTime: string }).expirationDateTime });
      } else {
        // Separate calls: when restify is loaded it patches writeHead, which then returns nothing.
        res.writeHead(204);
        res.end();
      }
    };
    const body: NewSubscription = {
      changeType: 'created,deleted',
      notificationUrl: 'https://herald.example/api/notifications',
      lifecycleNotificationUrl: 'https://herald.example/api/notifications/lifecycle',
      resource: '/chats/x/members',
      expirationDateTime: expiry,
      clientState: 'secret',
      includeResourceData: true,
      encryptionCertificate: 'MIIB',
      encryptionCertificateId: 'cert-1',
      latestSupportedTlsVersion: 'v1_2',
    };
    const graph = api();
    const created = await graph.createSubscription('t', body);
    assert.equal(created.id, 'sub-1');
    assert.equal(created.lifecycleNotificationUrl, body.lifecycleNotificationUrl);
    assert.deepEqual(JSON.parse(seen[0]?.body ?? ''), body);
    const later = new Date(Date.now() + 4 * 86_400_000).toISOString();
    assert.equal((await graph.renewSubscription('t', 'sub-1', later)).expirationDateTime, later);
    assert.deepEqual(JSON.parse(seen[1]?.body ?? ''), { expirationDateTime: later });
    await graph.reauthorizeSubscription('t', 'sub-1');
    await graph.deleteSubscription('t', 'sub-1');
    assert.deepEqual(
      seen.map((r) => `${r.method} ${r.url}`),
      ['POST /v1.0/subscriptions', 'PATCH /v1.0/subscriptions/sub-1', 'POST /v1.0/subscriptions/sub-1/reauthorize', 'DELETE /v1.0/subscriptions/sub-1'],
    );
    assert.deepEqual(graph.stats.snapshot().calls, { createSubscription: 1, renewSubscription: 1, reauthorizeSubscription: 1, deleteSubscription: 1 });
  });

  it('follows @odata.nextLink until the last page of subscriptions', async () => {
    const sub = (id: string) => ({ id, resource: `/chats/${id}`, changeType: 'updated', expirationDateTime: new Date().toISOString(), clientState: null });
    route = (req, res) => {
      if (req.url === '/v1.0/subscriptions') sendJson(res, 200, { value: [sub('a'), sub('b')], '@odata.nextLink': `${server.origin}/v1.0/subscriptions?$skiptoken=p2` });
      else if (req.url === '/v1.0/subscriptions?$skiptoken=p2') sendJson(res, 200, { value: [sub('c')] });
      else sendJson(res, 400, { error: { code: 'BadRequest', message: req.url } });
    };
    const graph = api();
    assert.deepEqual((await graph.listSubscriptions('t')).map((s) => s.id), ['a', 'b', 'c']);
    assert.equal(graph.stats.snapshot().calls.listSubscriptions, 2);
  });

  it('waits as long as Retry-After says on 429 and 503, then succeeds', async () => {
    let attempts = 0;
    route = (_req, res) => {
      attempts++;
      if (attempts === 1) graphError(res, 429, 'TooManyRequests', 'slow down', { 'Retry-After': '2' });
      else if (attempts === 2) graphError(res, 503, 'ServiceUnavailable', 'busy', { 'Retry-After': '1' });
      else sendJson(res, 200, { value: [] });
    };
    const graph = api();
    assert.deepEqual(await graph.listChatMembers('t', 'c'), []);
    assert.deepEqual(sleeps, [2000, 1000]);
    assert.equal(graph.stats.snapshot().retries, 2);
  });

  it('backs off exponentially when a 503 has no Retry-After', async () => {
    let attempts = 0;
    route = (_req, res) => (++attempts < 3 ? graphError(res, 503, 'ServiceUnavailable', 'busy') : sendJson(res, 200, { id: 'c' }));
    await api().getChat('t', 'c');
    assert.deepEqual(sleeps, [100, 200]);
  });

  it('gives up after the bounded number of retries with a typed error carrying Retry-After', async () => {
    route = (_req, res) => graphError(res, 429, 'TooManyRequests', 'slow down', { 'Retry-After': '1' });
    const error = await api().getChat('t', 'c').catch((e: unknown) => e);
    assert.ok(error instanceof GraphRequestError);
    assert.equal(error.status, 429);
    assert.equal(error.retryAfterMs, 1000);
    assert.equal(error.transient, true);
    assert.equal(seen.length, 4);
  });

  it('does not sleep inside a call on a long Retry-After: it hands the wait back to the caller', async () => {
    route = (_req, res) => graphError(res, 429, 'TooManyRequests', 'slow down', { 'Retry-After': '120' });
    const error = await api().getChat('t', 'c').catch((e: unknown) => e);
    assert.ok(error instanceof GraphRequestError);
    assert.equal(error.retryAfterMs, 120_000);
    assert.deepEqual(sleeps, []);
    assert.equal(seen.length, 1);
  });

  it('turns a Graph error into GraphRequestError with status, code, message, tenant and path', async () => {
    route = (_req, res) => graphError(res, 403, 'Forbidden', 'Missing role permissions on the request.');
    const error = await api().listChatMembers('tenant-9', '19:z@thread.v2').catch((e: unknown) => e);
    assert.ok(error instanceof GraphRequestError);
    assert.equal(error.status, 403);
    assert.equal(error.graphCode, 'Forbidden');
    assert.equal(error.code, 'herald.graph.consent_missing');
    assert.equal(error.message, 'Missing role permissions on the request.');
    assert.equal(error.tenantId, 'tenant-9');
    assert.match(error.path, /^GET \/chats\/19%3Az%40thread\.v2\/members$/);
    assert.equal(error.accessDenied, true);
    assert.equal(error.transient, false);
  });

  it('reports a Graph host that does not answer as a transient error without status', async () => {
    const graph = new GraphApi({
      endpoint: 'https://127.0.0.1:1',
      tokens: { getToken: async () => 'x' },
      log: silentLogger(),
      clock: () => new Date(),
    });
    const error = await graph.getChat('t', 'c').catch((e: unknown) => e);
    assert.ok(error instanceof GraphRequestError);
    assert.equal(error.status, null);
    assert.equal(error.transient, true);
  });

  it('passes login failures through as GraphTokenError and makes no Graph request', async () => {
    const failing = { getToken: async (t: string) => Promise.reject(new GraphTokenError(t, 'unauthorized_client', [700016], 'no app in tenant')) };
    await assert.rejects(api(failing).getChat('t', 'c'), (e: unknown) => e instanceof GraphTokenError && e.permanent);
    assert.equal(seen.length, 0);
  });

  it('refuses resource paths that would leave Graph', async () => {
    await assert.rejects(api().getResource('t', 'https://evil.example/v1.0/x'), GraphRequestError);
    await assert.rejects(api().getResource('t', "chats('a')/../../x"), GraphRequestError);
    assert.equal(seen.length, 0);
  });

  it('GETs a notification resource path relative to the version root', async () => {
    route = (_req, res) => sendJson(res, 200, { id: 'm1', userId: 'u1' });
    assert.deepEqual(await api().getResource('t', "chats('19:a@thread.v2')/members('m1')"), { id: 'm1', userId: 'u1' });
    assert.equal(decodeURIComponent(seen[0]?.url ?? ''), "/v1.0/chats('19:a@thread.v2')/members('m1')");
  });
});
