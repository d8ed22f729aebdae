import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import { LoginDouble, type RegisteredApp, type TenantRefusal } from '../../../sim/doubles/login/LoginDouble.js';
import { CHANGE_TRACKING_APP_ID, TEAMS_CLIENT_APP_ID } from '../../../sim/doubles/login/tokenClaims.js';
import { createLoopbackCa } from '../../../sim/doubles/tls/loopbackCa.js';
import { trustCaForFetch, type RestoreFetchTrust } from '../../../sim/doubles/tls/trustCaForFetch.js';
import { WireLog } from '../../../sim/doubles/world/WireLog.js';

const GRAPH = 'https://graph.double.test';

interface TokenResponse {
  access_token?: string;
  token_type?: string;
  expires_in?: number;
  error?: string;
  error_description?: string;
  error_codes?: number[];
  trace_id?: string;
  correlation_id?: string;
}

describe('login double', () => {
  let login: LoginDouble;
  let restoreTrust: RestoreFetchTrust;
  let app: RegisteredApp;
  let wire: WireLog;
  const tenantId = randomUUID();

  before(async () => {
    const ca = await createLoopbackCa();
    restoreTrust = trustCaForFetch(ca.caCertPem);
    wire = new WireLog();
    login = await LoginDouble.start({ tls: ca, wire });
    app = login.registerApp({ displayName: 'Herald', roles: ['ChatMember.Read.WhereInstalled'] });
  });

  after(async () => {
    await login.close();
    restoreTrust();
  });

  async function requestToken(form: Record<string, string>, init: { tenant?: string; headers?: Record<string, string> } = {}) {
    const response = await fetch(`${login.origin}/${init.tenant ?? tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...init.headers },
      body: new URLSearchParams(form).toString(),
    });
    return { status: response.status, body: (await response.json()) as TokenResponse };
  }

  const validForm = () => ({
    grant_type: 'client_credentials',
    client_id: app.clientId,
    client_secret: app.clientSecret,
    scope: `${GRAPH}/.default`,
  });

  describe('token endpoint', () => {
    it('issues a client-credentials token for a registered app (client_secret_post)', async () => {
      const { status, body } = await requestToken(validForm());
      assert.equal(status, 200);
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.expires_in, 3599);
      const claims = decodeJwt(body.access_token ?? '');
      assert.equal(claims.aud, GRAPH);
      assert.equal(claims.tid, tenantId);
      assert.equal(claims.appid, app.clientId);
      assert.equal(claims.iss, `https://sts.windows.net/${tenantId}/`);
      assert.deepEqual(claims.roles, ['ChatMember.Read.WhereInstalled']);
      assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 3599);
      assert.equal(decodeProtectedHeader(body.access_token ?? '').alg, 'RS256');
    });

    it('accepts client_secret_basic', async () => {
      const basic = Buffer.from(`${encodeURIComponent(app.clientId)}:${encodeURIComponent(app.clientSecret)}`).toString('base64');
      const { status } = await requestToken(
        { grant_type: 'client_credentials', scope: `${GRAPH}/.default` },
        { headers: { Authorization: `Basic ${basic}` } },
      );
      assert.equal(status, 200);
    });

    const failures: Array<[string, () => Record<string, string>, number, string, number]> = [
      ['a wrong secret', () => ({ ...validForm(), client_secret: 'nope' }), 401, 'invalid_client', 7000215],
      ['a missing secret', () => ({ ...validForm(), client_secret: '' }), 401, 'invalid_client', 7000218],
      ['an unknown client', () => ({ ...validForm(), client_id: randomUUID() }), 400, 'unauthorized_client', 700016],
      ['a scope without /.default', () => ({ ...validForm(), scope: `${GRAPH}/User.Read` }), 400, 'invalid_scope', 1002012],
      ['a missing scope', () => ({ ...validForm(), scope: '' }), 400, 'invalid_request', 900144],
      ['another grant type', () => ({ ...validForm(), grant_type: 'password' }), 400, 'unsupported_grant_type', 70003],
    ];
    for (const [what, form, status, error, code] of failures) {
      it(`refuses ${what} with AADSTS${code}`, async () => {
        const result = await requestToken(Object.fromEntries(Object.entries(form()).filter(([, v]) => v !== '')));
        assert.equal(result.status, status);
        assert.equal(result.body.error, error);
        assert.deepEqual(result.body.error_codes, [code]);
        assert.match(result.body.error_description ?? '', new RegExp(`^AADSTS${code}: .*Trace ID: .*Correlation ID: .*Timestamp: `));
        assert.ok(result.body.trace_id && result.body.correlation_id);
      });
    }

    it('refuses the tenant-independent endpoints and unknown tenants', async () => {
      assert.deepEqual((await requestToken(validForm(), { tenant: 'common' })).body.error_codes, [50059]);
      assert.deepEqual((await requestToken(validForm(), { tenant: 'not-a-tenant' })).body.error_codes, [90002]);
    });

    const refusals: Array<[TenantRefusal, number, string, number, RegExp]> = [
      ['tenantNotFound', 400, 'invalid_request', 90002, /^AADSTS90002: Tenant '[^']+' not found\./],
      ['appNotInTenant', 400, 'unauthorized_client', 700016, /^AADSTS700016: Application with identifier '[^']+' was not found in the directory/],
      ['consentRequired', 400, 'invalid_grant', 65001, /^AADSTS65001: The user or administrator has not consented to use the application/],
      ['servicePrincipalMissing', 400, 'invalid_client', 7000229, /^AADSTS7000229: The client application \S+ is missing service principal in the tenant/],
    ];
    for (const [refusal, status, error, code, description] of refusals) {
      it(`refuses a tenant told to (${refusal}) as Entra ID does: ${status} JSON with AADSTS${code}`, async () => {
        const refused = randomUUID();
        login.refuseTenant(refused, refusal);
        const result = await requestToken(validForm(), { tenant: refused });
        assert.equal(result.status, status);
        assert.equal(result.body.error, error);
        assert.deepEqual(result.body.error_codes, [code]);
        assert.match(result.body.error_description ?? '', description);
        login.admitTenant(refused);
        assert.equal((await requestToken(validForm(), { tenant: refused })).status, 200);
      });
    }

    it('answers the OpenID metadata of a tenant it does not know with AADSTS90002', async () => {
      const refused = randomUUID();
      login.refuseTenant(refused, 'tenantNotFound');
      const response = await fetch(`${login.origin}/${refused}/v2.0/.well-known/openid-configuration`);
      assert.equal(response.status, 400);
      assert.deepEqual(((await response.json()) as TokenResponse).error_codes, [90002]);
    });

    it('counts token requests per tenant and client, and logs them without secrets', async () => {
      login.resetTokenRequestCounts();
      const other = randomUUID();
      await requestToken(validForm());
      await requestToken(validForm());
      await requestToken(validForm(), { tenant: other });
      assert.equal(login.tokenRequestCount({ tenantId, clientId: app.clientId }), 2);
      assert.equal(login.tokenRequestCount({ tenantId: other }), 1);
      assert.equal(login.tokenRequestCount(), 3);
      const logged = JSON.stringify(wire.entries());
      assert.ok(!logged.includes(app.clientSecret));
      assert.ok(wire.ofKind('token').some((e) => e.status === 200 && e.clientId === app.clientId));
    });
  });

  describe('metadata and keys', () => {
    it('serves OpenID metadata whose jwks_uri publishes keys with kids', async () => {
      const config = (await (await fetch(`${login.origin}/${tenantId}/v2.0/.well-known/openid-configuration`)).json()) as Record<string, string>;
      assert.equal(config.issuer, `${login.origin}/${tenantId}/v2.0`);
      assert.equal(config.token_endpoint, `${login.origin}/${tenantId}/oauth2/v2.0/token`);
      const jwks = (await (await fetch(config.jwks_uri ?? '')).json()) as { keys: Array<Record<string, unknown>> };
      assert.equal(jwks.keys[0]?.kid, login.activeKid);
      assert.equal(jwks.keys[0]?.kty, 'RSA');
      assert.equal(jwks.keys[0]?.use, 'sig');
      assert.ok(Array.isArray(jwks.keys[0]?.x5c));
      const common = (await (await fetch(`${login.origin}/common/discovery/v2.0/keys`)).json()) as { keys: unknown[] };
      assert.equal(common.keys.length, jwks.keys.length);
    });

    it('issues tokens that verify with jose against the remote JWKS', async () => {
      const { body } = await requestToken(validForm());
      const keys = createRemoteJWKSet(new URL(`${login.origin}/common/discovery/v2.0/keys`));
      const { payload } = await jwtVerify(body.access_token ?? '', keys, {
        audience: GRAPH,
        issuer: `https://sts.windows.net/${tenantId}/`,
        algorithms: ['RS256'],
      });
      assert.equal(payload.tid, tenantId);
    });

    it('rotates the signing key, keeping or dropping old keys', async () => {
      const oldKid = login.activeKid;
      const oldToken = await login.signValidationToken({ tenantId, audience: app.clientId });
      const newKid = await login.rotateSigningKey();
      assert.notEqual(newKid, oldKid);
      const keys = () => createRemoteJWKSet(new URL(`${login.origin}/common/discovery/v2.0/keys`), { cooldownDuration: 0 });
      await jwtVerify(oldToken, keys());
      const newToken = await login.signValidationToken({ tenantId, audience: app.clientId });
      assert.equal(decodeProtectedHeader(newToken).kid, newKid);
      await jwtVerify(newToken, keys());

      await login.rotateSigningKey({ keepOld: false });
      await assert.rejects(jwtVerify(oldToken, keys()), joseErrors.JWKSNoMatchingKey);
    });
  });

  describe('token helpers', () => {
    const keys = () => createRemoteJWKSet(new URL(`${login.origin}/common/discovery/v2.0/keys`), { cooldownDuration: 0 });

    it('mints v2 Graph validation tokens as documented', async () => {
      const token = await login.signValidationToken({ tenantId, audience: app.clientId });
      const { payload } = await jwtVerify(token, keys(), { audience: app.clientId, issuer: `${login.origin}/${tenantId}/v2.0` });
      assert.equal(payload.azp, CHANGE_TRACKING_APP_ID);
      assert.equal(payload.tid, tenantId);
      assert.equal(payload.ver, '2.0');
      assert.ok((payload.exp ?? 0) > Date.now() / 1000);
    });

    it('mints v1 Graph validation tokens with the sts.windows.net issuer and appid', async () => {
      const token = await login.signValidationToken({ tenantId, audience: app.clientId, version: 'v1' });
      const { payload } = await jwtVerify(token, keys(), { audience: app.clientId, issuer: `https://sts.windows.net/${tenantId}/` });
      assert.equal(payload.appid, CHANGE_TRACKING_APP_ID);
      assert.equal(payload.azp, undefined);
    });

    it('mints broken tokens on request: foreign key, expired, wrong claims', async () => {
      const foreign = await login.signValidationToken({ tenantId, audience: app.clientId, key: 'foreign' });
      await assert.rejects(jwtVerify(foreign, keys()), joseErrors.JWKSNoMatchingKey);
      const forged = await login.signValidationToken({ tenantId, audience: app.clientId, key: 'foreignWithActiveKid' });
      assert.equal(decodeProtectedHeader(forged).kid, login.activeKid);
      await assert.rejects(jwtVerify(forged, keys()), joseErrors.JWSSignatureVerificationFailed);
      const expired = await login.signValidationToken({ tenantId, audience: app.clientId, lifetimeSeconds: -60 });
      await assert.rejects(jwtVerify(expired, keys()), joseErrors.JWTExpired);
      const wrongAzp = await login.signValidationToken({ tenantId, audience: app.clientId, overrides: { azp: randomUUID() } });
      assert.notEqual(decodeJwt(wrongAzp).azp, CHANGE_TRACKING_APP_ID);
      const noTid = await login.signValidationToken({ tenantId, audience: app.clientId, overrides: { tid: undefined } });
      assert.equal(decodeJwt(noTid).tid, undefined);
    });

    it('mints Teams SSO user tokens', async () => {
      const oid = randomUUID();
      const token = await login.signUserToken({ tenantId, clientId: app.clientId, oid, name: 'Ada Lovelace', preferredUsername: 'ada@contoso.test' });
      const { payload } = await jwtVerify(token, keys(), {
        audience: `api://localhost/${app.clientId}`,
        issuer: `${login.origin}/${tenantId}/v2.0`,
      });
      assert.equal(payload.scp, 'access_as_user');
      assert.equal(payload.oid, oid);
      assert.equal(payload.name, 'Ada Lovelace');
      assert.equal(payload.preferred_username, 'ada@contoso.test');
      assert.equal(payload.azp, TEAMS_CLIENT_APP_ID);
      const bare = await login.signUserToken({ tenantId, clientId: app.clientId, oid, name: 'Ada', audienceIsClientId: true });
      assert.equal(decodeJwt(bare).aud, app.clientId);
    });
  });

  describe('with msal-node 7', () => {
    it('acquires a client-credentials token through knownAuthorities, then serves it from cache', async () => {
      login.resetTokenRequestCounts();
      const cca = new ConfidentialClientApplication({
        auth: {
          clientId: app.clientId,
          clientSecret: app.clientSecret,
          authority: `${login.origin}/${tenantId}`,
          knownAuthorities: [login.authorityHostName],
        },
      });
      const first = await cca.acquireTokenByClientCredential({ scopes: [`${GRAPH}/.default`] });
      assert.ok(first?.accessToken);
      assert.equal(decodeJwt(first.accessToken).aud, GRAPH);
      const second = await cca.acquireTokenByClientCredential({ scopes: [`${GRAPH}/.default`] });
      assert.equal(second?.fromCache, true);
      assert.equal(login.tokenRequestCount({ tenantId, clientId: app.clientId }), 1);
    });

    it('surfaces the AADSTS error for a wrong secret', async () => {
      const cca = new ConfidentialClientApplication({
        auth: { clientId: app.clientId, clientSecret: 'wrong', authority: `${login.origin}/${tenantId}`, knownAuthorities: [login.authorityHostName] },
      });
      await assert.rejects(cca.acquireTokenByClientCredential({ scopes: [`${GRAPH}/.default`] }), (error: Error & { errorCode?: string }) => {
        assert.equal(error.errorCode, 'invalid_client');
        assert.match(error.message, /AADSTS7000215/);
        return true;
      });
    });
  });
});
