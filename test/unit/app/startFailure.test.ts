import assert from 'node:assert/strict';
import { describeStartFailure } from '../../../src/app/startFailure.js';
import { StoreMigrationError, StoreUnavailableError } from '../../../src/storage/StoreErrors.js';

const config = { port: 3978, host: '0.0.0.0', dataDir: '/srv/herald/data' };

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
