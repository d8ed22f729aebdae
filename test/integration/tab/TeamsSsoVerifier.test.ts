import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { LoginDouble } from '../../../sim/doubles/login/LoginDouble.js';
import { createLoopbackCa } from '../../../sim/doubles/tls/loopbackCa.js';
import { trustCaForFetch, type RestoreFetchTrust } from '../../../sim/doubles/tls/trustCaForFetch.js';
import { SsoTokenError, TeamsSsoVerifier, type SsoRejectReason } from '../../../src/tab/TeamsSsoVerifier.js';

describe('Teams SSO token verification', () => {
  let login: LoginDouble;
  let restoreTrust: RestoreFetchTrust;
  let verifier: TeamsSsoVerifier;
  const clientId = randomUUID();
  const tenantId = randomUUID();
  const apiHost = 'herald.example.test';
  const oid = randomUUID();
  let now = new Date();

  before(async () => {
    const ca = await createLoopbackCa();
    restoreTrust = trustCaForFetch(ca.caCertPem);
    login = await LoginDouble.start({ tls: ca, clock: () => now });
    verifier = new TeamsSsoVerifier({ authorityHost: login.origin, clientId, apiHost, clock: () => now, clockToleranceSeconds: 60 });
  });

  after(async () => {
    await login?.close();
    restoreTrust?.();
  });

  afterEach(() => {
    now = new Date();
  });

  const sign = (overrides: Parameters<LoginDouble['signUserToken']>[0] extends infer R ? Partial<R> : never = {}) =>
    login.signUserToken({ tenantId, clientId, apiHost, oid, name: 'Ada Lovelace', preferredUsername: 'ada@contoso.test', ...overrides });

  async function rejection(token: string | null): Promise<SsoRejectReason> {
    try {
      await verifier.verify(token);
    } catch (error) {
      assert.ok(error instanceof SsoTokenError, `expected SsoTokenError, got ${String(error)}`);
      return error.reason;
    }
    assert.fail('the token was accepted');
  }

  it('returns the caller (oid, tenant, name, username) for a valid v2 token', async () => {
    assert.deepEqual(await verifier.verify(await sign()), { oid, tenantId, name: 'Ada Lovelace', username: 'ada@contoso.test' });
  });

  it('accepts exactly the Application ID URI on PUBLIC_URL’s host and the bare client id', () => {
    assert.deepEqual(verifier.acceptedAudiences, [clientId, `api://${apiHost}/${clientId}`]);
  });

  it('judges expiry by the injected clock, with the configured skew', async () => {
    const token = await sign({ lifetimeSeconds: 600 });
    now = new Date(Date.now() + 630_000);
    assert.equal((await verifier.verify(token)).oid, oid);
    now = new Date(Date.now() + 700_000);
    assert.equal(await rejection(token), 'expired');
  });

  it('refuses a token that is not valid yet', async () => {
    const token = await sign({ overrides: { nbf: Math.floor(Date.now() / 1000) + 600 } });
    assert.equal(await rejection(token), 'not_yet_valid');
  });

  it('names why a token is refused', async () => {
    assert.equal(await rejection(null), 'missing');
    assert.equal(await rejection('abc.def.ghi'), 'malformed');
    assert.equal(await rejection(await sign({ apiHost: 'other.example' })), 'audience');
    assert.equal(await rejection(await sign({ overrides: { iss: `https://evil.example/${tenantId}/v2.0` } })), 'issuer');
    assert.equal(await rejection(await sign({ overrides: { iss: `https://sts.windows.net/${randomUUID()}/` } })), 'issuer');
    assert.equal(await rejection(await sign({ key: 'foreign' })), 'signature');
    assert.equal(await rejection(await sign({ key: 'foreignWithActiveKid' })), 'signature');
    assert.equal(await rejection(await sign({ scp: 'User.Read' })), 'scope');
    assert.equal(await rejection(await sign({ overrides: { tid: 'contoso.onmicrosoft.com' } })), 'claims');
    assert.equal(await rejection(await sign({ overrides: { oid: undefined } })), 'claims');
  });

  it('refuses every token when Herald has no client id configured', async () => {
    const unconfigured = new TeamsSsoVerifier({ authorityHost: login.origin, clientId: '', apiHost, clock: () => now });
    await assert.rejects(unconfigured.verify(await sign()), (error: unknown) => error instanceof SsoTokenError && error.reason === 'audience');
  });

  it('reports unreachable signing keys as such (not as a bad token)', async () => {
    const offline = new TeamsSsoVerifier({ authorityHost: 'https://127.0.0.1:9', clientId, apiHost, clock: () => now });
    await assert.rejects(offline.verify(await sign()), (error: unknown) => error instanceof SsoTokenError && error.reason === 'keys_unavailable');
  });
});
