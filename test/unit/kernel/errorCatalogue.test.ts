import assert from 'node:assert/strict';
import { describeStartFailure } from '../../../src/app/startFailure.js';
import { ConfigError } from '../../../src/config/ConfigError.js';
import { codeForFailureText, describeFailure } from '../../../src/graph/describeFailure.js';
import { GraphRequestError, GraphTokenError } from '../../../src/graph/GraphRequestError.js';
import { adviceFor, catalogueEntry, explain } from '../../../src/kernel/errorCatalogue.js';
import { asHeraldError, HERALD_ERROR_CODES, HeraldError, isHeraldErrorCode, type HeraldErrorCode } from '../../../src/kernel/errors.js';

describe('the error catalogue', () => {
  it('has a reason and advice for every code (the switch over codes is exhaustive, so a code without an entry does not compile)', () => {
    for (const code of HERALD_ERROR_CODES) {
      const entry = catalogueEntry(code);
      assert.ok(entry.reason.trim().length > 0, `${code} has a reason`);
      assert.ok(entry.advice.trim().length > 10, `${code} has advice`);
      assert.equal(typeof entry.permanent, 'boolean');
    }
  });

  it('refuses a code it does not know, at run time too', () => {
    assert.throws(() => catalogueEntry('herald.nope' as HeraldErrorCode), /no catalogue entry for herald\.nope/);
    // @ts-expect-error: the codes are a closed union, so a misspelt code does not compile
    assert.throws(() => catalogueEntry('herald.graph.consent_mising'));
  });

  it('keeps codes stable in shape and unique', () => {
    assert.equal(new Set(HERALD_ERROR_CODES).size, HERALD_ERROR_CODES.length);
    for (const code of HERALD_ERROR_CODES) assert.match(code, /^herald(\.[a-z_]+){1,2}$/);
    assert.ok(isHeraldErrorCode('herald.graph.consent_missing'));
    assert.ok(!isHeraldErrorCode('graphAccessDenied'));
  });

  it('fills the occurrence into the advice (the port, the folder, the tenant)', () => {
    assert.equal(explain('herald.start.port_in_use', { port: 4000 }), 'port 4000 is in use: stop the other process or set PORT to a free port.');
    assert.match(catalogueEntry('herald.login.tenant_not_found', { tenantId: 'contoso-id' }).reason, /contoso-id.*AADSTS90002/);
    assert.match(adviceFor('herald.start.data_dir_not_writable', { dataDir: '/srv/herald' }), /DATA_DIR \(\/srv\/herald\)/);
  });
});

describe('coded errors', () => {
  it('gives each Graph answer its code, keeping the class, the status and Graph’s own code', () => {
    const cases: Array<[number | null, HeraldErrorCode]> = [
      [403, 'herald.graph.consent_missing'],
      [401, 'herald.graph.consent_missing'],
      [402, 'herald.graph.billing_missing'],
      [404, 'herald.graph.not_found'],
      [409, 'herald.graph.conflict'],
      [429, 'herald.graph.throttled'],
      [503, 'herald.graph.unavailable'],
      [null, 'herald.graph.no_answer'],
      [400, 'herald.graph.request_rejected'],
    ];
    for (const [status, code] of cases) {
      const error = new GraphRequestError(status, 'SomeCode', 'refused', 't1', 'GET /chats/x');
      assert.ok(error instanceof GraphRequestError && error instanceof HeraldError && error instanceof Error);
      assert.equal(error.name, 'GraphRequestError');
      assert.equal(error.code, code, `status ${status}`);
      assert.equal(error.graphCode, 'SomeCode');
      assert.equal(error.context.tenantId, 't1');
    }
    const validation = new GraphRequestError(400, 'ValidationError', 'Subscription validation request failed. Notification endpoint must respond with 200 OK', 't', 'POST /subscriptions');
    assert.equal(validation.code, 'herald.graph.notification_url_unreachable');
    assert.match(validation.advice, /PUBLIC_URL/);
  });

  it('gives login failures the code of their AADSTS number, and calls the admin-fixable ones permanent', () => {
    const cases: Array<[string, number[], HeraldErrorCode, boolean]> = [
      ['invalid_request', [90002], 'herald.login.tenant_not_found', true],
      ['unauthorized_client', [700016], 'herald.login.app_not_in_tenant', true],
      ['invalid_grant', [65001], 'herald.login.consent_required', true],
      ['invalid_client', [7000229], 'herald.login.service_principal_missing', true],
      ['invalid_client', [7000215], 'herald.login.bad_secret', true],
      ['invalid_resource', [500011], 'herald.login.refused', true],
      ['unauthorized_client', [], 'herald.login.refused', true],
      ['timeout', [], 'herald.login.unavailable', false],
      ['network_error', [], 'herald.login.unavailable', false],
    ];
    for (const [oauth, aad, code, permanent] of cases) {
      const error = new GraphTokenError('t1', oauth, aad, 'login failed');
      assert.equal(error.code, code, `${oauth} ${aad.join(',')}`);
      assert.equal(error.permanent, permanent, code);
      assert.equal(error.name, 'GraphTokenError');
    }
  });

  it('keeps names and instanceof of the other error classes', () => {
    const config = new ConfigError(['PORT: not a number']);
    assert.ok(config instanceof ConfigError && config instanceof HeraldError);
    assert.equal(config.name, 'ConfigError');
    assert.equal(config.code, 'herald.config.invalid');
    assert.match(config.advice, /Fix each setting/);
  });

  it('wraps anything else as herald.internal, and leaves coded errors alone', () => {
    const plain = asHeraldError(new Error('boom'));
    assert.equal(plain.code, 'herald.internal');
    assert.equal(plain.message, 'boom');
    const coded = new ConfigError(['X: bad']);
    assert.equal(asHeraldError(coded), coded);
  });
});

describe('one describeFailure for Graph failures', () => {
  it('describes Herald’s errors and the Graph client’s alike, and reads its own summaries back to a code', () => {
    const refused = describeFailure(new GraphRequestError(403, 'Forbidden', 'no consent', 't', 'GET /chats/c'));
    assert.deepEqual(refused, { status: 403, graphCode: 'Forbidden', code: 'herald.graph.consent_missing', summary: '403 Forbidden: no consent' });
    const login = describeFailure(new GraphTokenError('t', 'invalid_request', [90002], 'no tenant'));
    assert.deepEqual(login, { status: null, graphCode: null, code: 'herald.login.tenant_not_found', summary: 'login failed: invalid_request AADSTS90002' });
    const library = describeFailure({ statusCode: 429, code: 'TooManyRequests', message: 'slow down' });
    assert.deepEqual([library.status, library.graphCode, library.code], [429, 'TooManyRequests', 'herald.graph.throttled']);
    assert.equal(codeForFailureText(refused.summary), 'herald.graph.consent_missing');
    assert.equal(codeForFailureText(login.summary), 'herald.login.tenant_not_found');
    assert.equal(codeForFailureText('something odd'), 'herald.internal');
  });
});

describe('start-up failures', () => {
  const config = { port: 3978, host: '0.0.0.0', dataDir: '/srv/herald' };
  it('names what to change, from the catalogue', () => {
    assert.equal(describeStartFailure(Object.assign(new Error('x'), { code: 'EADDRINUSE' }), config), 'Herald could not start: port 3978 is in use: stop the other process or set PORT to a free port.');
    assert.match(describeStartFailure(Object.assign(new Error('x'), { code: 'EACCES', path: '/srv/herald/db.json' }), config) ?? '', /may not write \/srv\/herald\/db\.json: make DATA_DIR \(\/srv\/herald\) writable/);
    assert.match(describeStartFailure(Object.assign(new Error('x'), { code: 'EACCES' }), config) ?? '', /PORT to a port above 1023/);
    assert.equal(describeStartFailure(new Error('other'), config), null);
  });
});
