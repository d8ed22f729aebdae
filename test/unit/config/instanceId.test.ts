import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/config/ConfigError.js';
import { defaultInstanceId } from '../../../src/config/instanceId.js';
import { loadConfig } from '../../../src/config/loadConfig.js';

const machine = { hostname: () => 'web-7', pid: 42, random: () => 'a1b2c3' };

describe('instance id', () => {
  it('is HERALD_INSTANCE_ID when set', () => {
    assert.equal(loadConfig({ HERALD_INSTANCE_ID: 'herald-blue-1' }, '/srv/herald', machine).instanceId, 'herald-blue-1');
  });

  it('defaults to hostname-pid-random', () => {
    assert.equal(loadConfig({}, '/srv/herald', machine).instanceId, 'web-7-42-a1b2c3');
  });

  it('differs between two processes on the machine by its random part', () => {
    assert.notEqual(defaultInstanceId(), defaultInstanceId());
  });

  it('keeps only safe characters of a strange host name', () => {
    assert.equal(defaultInstanceId({ ...machine, hostname: () => 'my host/é' }), 'my_host__-42-a1b2c3');
  });

  it('refuses a malformed HERALD_INSTANCE_ID, naming the setting', () => {
    assert.throws(
      () => loadConfig({ HERALD_INSTANCE_ID: 'has spaces' }, '/srv/herald', machine),
      (error: unknown) => error instanceof ConfigError && error.problems.some((p) => p.startsWith('HERALD_INSTANCE_ID:')),
    );
  });
});
