import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import sinon from 'sinon';
import { LoginDouble, type RegisteredApp } from '../../../sim/doubles/login/LoginDouble.js';
import { startHttpsServer } from '../../../sim/doubles/tls/httpsServer.js';
import { createLoopbackCa, type LoopbackCa } from '../../../sim/doubles/tls/loopbackCa.js';
import { trustCaForFetch, type RestoreFetchTrust } from '../../../sim/doubles/tls/trustCaForFetch.js';
import { WireLog } from '../../../sim/doubles/world/WireLog.js';
import { GraphTokenError } from '../../../src/graph/GraphRequestError.js';
import { GraphTokenProvider } from '../../../src/graph/GraphTokenProvider.js';
import { silentLogger } from '../../../src/log/createLogger.js';

const GRAPH = 'https://graph.double.test';

describe('GraphTokenProvider', () => {
  let login: LoginDouble;
  let restoreTrust: RestoreFetchTrust;
  let app: RegisteredApp;
  let wire: WireLog;
  let ca: LoopbackCa;

  before(async () => {
    ca = await createLoopbackCa();
    restoreTrust = trustCaForFetch(ca.caCertPem);
    wire = new WireLog();
    login = await LoginDouble.start({ tls: ca, wire });
    app = login.registerApp({ displayName: 'Herald', roles: ['ChatMember.Read.WhereInstalled'] });
  });

  after(async () => {
    await login.close();
    restoreTrust();
  });

  afterEach(() => sinon.restore());

  const provider = (overrides: Partial<{ clientSecret: string }> = {}) =>
    new GraphTokenProvider({
      clientId: app.clientId,
      clientSecret: overrides.clientSecret ?? app.clientSecret,
      authorityHost: login.origin,
      graphEndpoint: GRAPH,
      log: silentLogger(),
    });

  it('acquires an app-only token for the tenant it is asked about, from the configured authority host', async () => {
    const tenantA = randomUUID();
    const tenantB = randomUUID();
    const tokens = provider();
    const a = decodeJwt(await tokens.getToken(tenantA));
    const b = decodeJwt(await tokens.getToken(tenantB));
    assert.equal(a.tid, tenantA);
    assert.equal(b.tid, tenantB);
    assert.equal(a.aud, GRAPH);
    assert.equal(a.appid, app.clientId);
  });

  it('caches each tenant\'s token: repeated and concurrent requests make one token call per tenant', async () => {
    login.resetTokenRequestCounts();
    const tenantA = randomUUID();
    const tenantB = randomUUID();
    const tokens = provider();
    await Promise.all([tokens.getToken(tenantA), tokens.getToken(tenantA), tokens.getToken(tenantB)]);
    for (let i = 0; i < 5; i++) {
      await tokens.getToken(tenantA);
      await tokens.getToken(tenantB);
    }
    assert.equal(login.tokenRequestCount({ tenantId: tenantA }), 1);
    assert.equal(login.tokenRequestCount({ tenantId: tenantB }), 1);
    assert.deepEqual(tokens.tokenStats(tenantA), { requested: 7, fromNetwork: 1 });
    assert.deepEqual(tokens.tokenStats(), { requested: 13, fromNetwork: 2 });
  });

  it('gets a fresh token when the cached one is about to expire', async () => {
    const clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    login.resetTokenRequestCounts();
    const tenant = randomUUID();
    const tokens = provider();
    const first = await tokens.getToken(tenant);
    clock.tick(50 * 60_000);
    assert.equal(await tokens.getToken(tenant), first, 'still valid for 10 minutes: cached');
    clock.tick(6 * 60_000);
    const renewed = await tokens.getToken(tenant);
    assert.notEqual(renewed, first);
    assert.equal(login.tokenRequestCount({ tenantId: tenant }), 2);
  });

  it('never asks Microsoft\'s public host for instance discovery', async () => {
    const fetchSpy = sinon.spy(globalThis, 'fetch');
    await provider().getToken(randomUUID());
    const hosts = fetchSpy.getCalls().map((call) => {
      const input = call.args[0];
      return new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url).host;
    });
    assert.ok(hosts.length > 0);
    assert.deepEqual([...new Set(hosts)], [login.authorityHostName]);
  });

  it('throws a typed, permanent GraphTokenError for a wrong secret, without the secret in it', async () => {
    const tenant = randomUUID();
    const error = await provider({ clientSecret: 'wrong-secret-value' }).getToken(tenant).then(
      () => assert.fail('expected a failure'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof GraphTokenError);
    assert.equal(error.tenantId, tenant);
    assert.equal(error.errorCode, 'invalid_client');
    assert.ok(error.aadCodes.includes(7000215));
    assert.equal(error.permanent, true);
    assert.ok(!error.message.includes('wrong-secret-value'));
  });

  it('keeps the AADSTS code of a tenant the identity platform does not know, and calls it permanent', async () => {
    const tenant = randomUUID();
    login.refuseTenant(tenant, 'tenantNotFound');
    const error = await provider().getToken(tenant).catch((e: unknown) => e);
    assert.ok(error instanceof GraphTokenError);
    assert.deepEqual(error.aadCodes, [90002]);
    assert.equal(error.code, 'herald.login.tenant_not_found');
    assert.equal(error.permanent, true);
  });

  it('keeps the AADSTS code when the tenant has not consented to the app', async () => {
    const tenant = randomUUID();
    login.refuseTenant(tenant, 'consentRequired');
    const error = await provider().getToken(tenant).catch((e: unknown) => e);
    assert.ok(error instanceof GraphTokenError);
    assert.deepEqual([error.errorCode, error.aadCodes, error.code, error.permanent], ['invalid_grant', [65001], 'herald.login.consent_required', true]);
  });

  it('refuses tenant ids that would change the authority path', async () => {
    await assert.rejects(provider().getToken('../common'), (e: unknown) => e instanceof GraphTokenError && e.errorCode === 'invalid_tenant');
  });

  it('gives up on a login service that does not answer, with a transient error', async () => {
    const stalled = await startHttpsServer(ca, () => new Promise<void>(() => {}));
    try {
      const tokens = new GraphTokenProvider({ clientId: app.clientId, clientSecret: app.clientSecret, authorityHost: stalled.origin, graphEndpoint: GRAPH, log: silentLogger(), timeoutMs: 200 });
      const error = await tokens.getToken(randomUUID()).catch((e: unknown) => e);
      assert.ok(error instanceof GraphTokenError);
      assert.equal(error.errorCode, 'timeout');
      assert.equal(error.permanent, false);
    } finally {
      await stalled.close();
    }
  });
});
