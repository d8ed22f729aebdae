import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { LoginDouble } from '../../../../sim/doubles/login/LoginDouble.js';
import { createLoopbackCa } from '../../../../sim/doubles/tls/loopbackCa.js';
import { trustCaForFetch, type RestoreFetchTrust } from '../../../../sim/doubles/tls/trustCaForFetch.js';
import { CHANGE_TRACKING_APP_ID, SigningKeysUnavailableError, ValidationTokenVerifier } from '../../../../src/notifications/verify/ValidationTokenVerifier.js';
import { verifyClientState } from '../../../../src/notifications/verify/verifyClientState.js';

describe('validation tokens', () => {
  let login: LoginDouble;
  let restoreTrust: RestoreFetchTrust;
  const clientId = randomUUID();
  const tenantId = randomUUID();

  before(async () => {
    const ca = await createLoopbackCa();
    restoreTrust = trustCaForFetch(ca.caCertPem);
    login = await LoginDouble.start({ tls: ca });
  });
  after(async () => {
    await login.close();
    restoreTrust();
  });

  const verifier = (options: { cooldownMs?: number; authorityHost?: string } = {}) =>
    new ValidationTokenVerifier({ authorityHost: options.authorityHost ?? login.origin, clientId, clock: () => new Date(), cooldownMs: options.cooldownMs });
  const sign = (overrides: Partial<Parameters<LoginDouble['signValidationToken']>[0]> = {}) =>
    login.signValidationToken({ tenantId, audience: clientId, ...overrides });

  it('accepts a v2 token from the identity platform for its tenant, minted for Herald by Graph Change Tracking', async () => {
    const verdict = await verifier().verify(await sign({ version: 'v2' }));
    assert.deepEqual(verdict.ok && verdict.tenantId, tenantId);
  });

  it('accepts a v1 token (issuer https://sts.windows.net/{tid}/, appid)', async () => {
    const verdict = await verifier().verify(await sign({ version: 'v1' }));
    assert.equal(verdict.ok, true);
  });

  const rejections: Array<[string, () => Promise<string>, string]> = [
    ['an expired token', () => sign({ lifetimeSeconds: -3600 }), 'expired'],
    ['a token for another app (aud)', () => sign({ audience: randomUUID() }), 'audience'],
    ['a token minted by another caller (azp)', () => sign({ overrides: { azp: randomUUID() } }), 'caller'],
    ['a v1 token minted by another caller (appid)', () => sign({ version: 'v1', overrides: { appid: randomUUID() } }), 'caller'],
    ['a token naming no caller', () => sign({ overrides: { azp: undefined } }), 'caller'],
    ['a token whose issuer is another tenant', () => sign({ overrides: { iss: `https://sts.windows.net/${randomUUID()}/` } }), 'issuer'],
    ['a token from another identity host', () => sign({ overrides: { iss: `https://login.example.com/${tenantId}/v2.0` } }), 'issuer'],
    ['a token without a tenant', () => sign({ overrides: { tid: undefined } }), 'claims'],
    ['a token signed by a key outside the JWKS', () => sign({ key: 'foreign' }), 'signature'],
    ['a token with a published kid but signed by another key', () => sign({ key: 'foreignWithActiveKid' }), 'signature'],
  ];
  for (const [what, token, reason] of rejections) {
    it(`rejects ${what}`, async () => {
      const verdict = await verifier().verify(await token());
      assert.equal(verdict.ok ? 'accepted' : verdict.reason, reason);
    });
  }

  it('rejects garbage', async () => {
    const verdict = await verifier().verify('not.a.jwt');
    assert.equal(verdict.ok, false);
  });

  it('refetches the key set when a token names an unknown kid (signing key rotation)', async () => {
    const v = verifier({ cooldownMs: 0 });
    assert.equal((await v.verify(await sign())).ok, true);
    await login.rotateSigningKey({ keepOld: false });
    const verdict = await v.verify(await sign());
    assert.equal(verdict.ok, true);
  });

  it('reports an unreachable key set as unavailable (retry later), not as a bad token', async () => {
    const token = await sign();
    await assert.rejects(verifier({ authorityHost: 'https://127.0.0.1:1' }).verify(token), SigningKeysUnavailableError);
  });

  it('remembers verified tokens until they expire', async () => {
    let now = new Date();
    const v = new ValidationTokenVerifier({ authorityHost: login.origin, clientId, clock: () => now, clockToleranceSeconds: 0 });
    const token = await sign({ lifetimeSeconds: 60 });
    assert.equal((await v.verify(token)).ok, true);
    assert.equal((await v.verify(token)).ok, true);
    now = new Date(now.getTime() + 120_000);
    const later = await v.verify(token);
    assert.equal(later.ok ? 'accepted' : later.reason, 'expired');
  });

  it('judges a token as of when it was received, so a stored batch replayed later keeps it', async () => {
    let now = new Date();
    const v = new ValidationTokenVerifier({ authorityHost: login.origin, clientId, clock: () => now, clockToleranceSeconds: 0 });
    const token = await sign({ lifetimeSeconds: 60 });
    const receivedAt = new Date(now);
    now = new Date(now.getTime() + 2 * 60 * 60_000);
    assert.equal((await v.verify(token, receivedAt)).ok, true, 'valid when it arrived');
    const late = await v.verify(token);
    assert.equal(late.ok ? 'accepted' : late.reason, 'expired', 'a token arriving now is judged now');
  });

  it('knows the Graph Change Tracking app id', () => {
    assert.equal(CHANGE_TRACKING_APP_ID, '0bf30f3b-4a52-48df-9a82-234910c4a086');
  });
});

describe('clientState', () => {
  it('matches only the exact secret', () => {
    assert.equal(verifyClientState('s3cret', 's3cret'), true);
    assert.equal(verifyClientState('s3cre', 's3cret'), false);
    assert.equal(verifyClientState('S3CRET', 's3cret'), false);
    assert.equal(verifyClientState(null, 's3cret'), false);
    assert.equal(verifyClientState('', ''), false);
  });
});
