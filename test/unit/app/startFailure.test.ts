import assert from 'node:assert/strict';
import { describeStartFailure } from '../../../src/app/startFailure.js';
import { StoreMigrationError, StoreUnavailableError } from '../../../src/storage/errors.js';
import { ConfigError } from '../../../src/config/ConfigError.js';

const config = { port: 3978, host: '10.1.2.3', dataDir: '/srv/herald/data' };
const failure = (code: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(`${code}: raw`), { code, ...extra });

describe('describeStartFailure', () => {
  it('a busy port names PORT', () => {
    assert.equal(describeStartFailure(failure('EADDRINUSE'), config), 'Herald could not start: port 3978 is in use: stop the other process or set PORT to a free port.');
  });

  it('an address the machine does not have names the host and port, and HOST', () => {
    assert.equal(describeStartFailure(failure('EADDRNOTAVAIL'), config), 'Herald could not start: cannot listen on 10.1.2.3:3978: this machine has no such address: set HOST to one of its addresses (or 0.0.0.0).');
  });

  for (const code of ['EACCES', 'EPERM', 'EROFS']) {
    it(`${code} on a file names DATA_DIR and the file`, () => {
      assert.equal(
        describeStartFailure(failure(code, { path: '/srv/herald/data/herald.json' }), config),
        'Herald could not start: it may not write /srv/herald/data/herald.json: make DATA_DIR (/srv/herald/data) writable for this user, or set DATA_DIR to a folder it can write.',
      );
    });
  }

  for (const code of ['EACCES', 'EPERM']) {
    it(`${code} without a file is the port: names PORT`, () => {
      assert.equal(describeStartFailure(failure(code), config), 'Herald could not start: permission denied to listen on port 3978: set PORT to a port above 1023.');
    });
  }

  it('a configuration error found while starting is shown as it is, with the closing advice of every configuration error', () => {
    const error = new ConfigError(['NOTIFICATION_KEY_FILE: cannot read /k.pem (permission denied): set it to a readable key']);
    assert.equal(
      describeStartFailure(error, config),
      'Invalid configuration:\n  - NOTIFICATION_KEY_FILE: cannot read /k.pem (permission denied): set it to a readable key\nFix each setting named above (environment or .env file) and start Herald again.',
    );
  });

  it('anything else has no plain message (it is logged with its stack)', () => {
    assert.equal(describeStartFailure(failure('ECONNRESET'), config), null);
    assert.equal(describeStartFailure(new Error('boom'), config), null);
    assert.equal(describeStartFailure(undefined, config), null);
  });
});

describe('start-up failures caused by the database', () => {
  it('names DATABASE_URL (without its password) and what to do when the database cannot be reached', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' });
    const message = describeStartFailure(new StoreUnavailableError('migrate', 'postgres://herald@10.0.0.5:5432/herald', refused), config);
    assert.ok(message);
    assert.match(message, /^Herald could not start: the database in DATABASE_URL \(postgres:\/\/herald@10\.0\.0\.5:5432\/herald\) cannot be reached/);
    assert.match(message, /ECONNREFUSED/);
    assert.match(message, /start the database or fix DATABASE_URL\.$/);
  });

  it('says a failed migration was rolled back and left the database as it was', () => {
    const message = describeStartFailure(new StoreMigrationError(2, 'add columns', new Error('column "x" already exists')), config);
    assert.ok(message);
    assert.match(message, /migration 2 \(add columns\) failed and was rolled back: column "x" already exists/);
    assert.match(message, /DATABASE_URL/);
  });
});
