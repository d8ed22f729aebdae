import assert from 'node:assert/strict';
import { startOutageProxy, type OutageProxy } from '../../support/storage/outageProxy.js';
import { startScaleOutWorld, type ScaleOutWorld } from '../../support/scaleOut/scaleOutWorld.js';
import { installWithWindowZero, quiet } from '../../support/scaleOut/scaleOutSteps.js';

describe('three Herald instances on one PostgreSQL: the database away for 10 s while running', function () {
  this.timeout(240_000);
  let world: ScaleOutWorld;
  let relay: OutageProxy;
  before(async () => {
    world = await startScaleOutWorld({
      relayDatabase: async (url) => {
        relay = await startOutageProxy(url);
        return relay.url;
      },
    });
  });
  after(async () => {
    await world?.close();
    await relay?.close();
  });

  it('answers 5xx while it is away, so Graph retries, and announces the change once it is back', async () => {
    await installWithWindowZero(world);
    await relay.cut();
    const change = world.controller.addMember({ name: 'Olga Outage' });
    await quiet(10_000);
    await relay.restore();
    await change;
    // Teams' bot event for the change was refused while the database was away (it is not retried), so
    // the announcement comes from Graph alone and cannot name who added her.
    await world.waitForPost(/Olga Outage\b/, 60_000).catch((error: Error) => {
      const wire = world.simulated.graphWorld.wire.ofKind('notification').map((e) => JSON.stringify(e).slice(0, 300));
      throw new Error(`${error.message}\n${wire.slice(-20).join('\n')}\n${world.instances.map((i) => `--- ${i.id}\n${i.output.slice(-3000)}`).join('\n')}`);
    });
    await quiet();
    assert.equal(world.texts().filter((t) => /Olga Outage\b/.test(t)).length, 1, JSON.stringify(world.texts()));
    assert.ok(world.instances.every((i) => i.child?.exitCode === null && i.child.signalCode === null), 'every instance is still running');
  });
});
