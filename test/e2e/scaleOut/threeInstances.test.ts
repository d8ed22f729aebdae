import assert from 'node:assert/strict';
import { startOutageProxy, type OutageProxy } from '../../support/storage/outageProxy.js';
import { startScaleOutWorld, type ScaleOutWorld } from '../../support/scaleOut/scaleOutWorld.js';

const WELCOME = /^Hi, I'm Herald/;
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const added = (name: string) => new RegExp(`added ${escape(name)}\\b`);

/** Lets late duplicates (a second instance, a redelivery) show up before counting. */
const quiet = (ms = 3_000) => new Promise((resolve) => setTimeout(resolve, ms));

async function installWithWindowZero(world: ScaleOutWorld): Promise<void> {
  await world.controller.installHerald();
  await world.waitForPost(WELCOME);
  await world.controller.send('@Herald window 0');
  await world.waitForPost(/window 0s/);
}

describe('three Herald instances on one PostgreSQL, behind a round-robin proxy', function () {
  this.timeout(240_000); // three Node processes compile Herald with tsx first

  describe('all three running', () => {
    let world: ScaleOutWorld;
    before(async () => {
      world = await startScaleOutWorld();
      await installWithWindowZero(world);
    });
    after(async () => world?.close());

    it('installs once: one welcome, one subscription per resource', async () => {
      await quiet();
      assert.equal(world.texts().filter((t) => WELCOME.test(t)).length, 1, JSON.stringify(world.texts()));
      const resources = world.controller.subscriptions().map((s) => s.resource).sort();
      assert.equal(new Set(resources).size, resources.length, `no duplicate subscriptions: ${resources.join(', ')}`);
      assert.equal(resources.filter((r) => r.startsWith('/chats/')).length, 2);
    });

    it('announces each change once, whichever instance each notification and bot event reaches', async () => {
      const names = ['Ines One', 'Ivan Two', 'Iris Three', 'Igor Four'];
      for (const name of names) await world.controller.addMember({ name });
      await world.controller.rename('Scaled out');
      for (const name of names) await world.waitForPost(added(name));
      await world.waitForPost(/Scaled out/);
      await quiet();
      for (const name of names) assert.equal(world.texts().filter((t) => added(name).test(t)).length, 1, `${name}: ${JSON.stringify(world.texts())}`);
      assert.equal(world.texts().filter((t) => /Scaled out/.test(t)).length, 1);
      assert.ok(world.proxy.counts().every((n) => n > 0), `every instance served requests: ${world.proxy.counts().join(', ')}`);
    });

    it('loses nothing when an instance is killed (SIGKILL) during a burst: another takes its work over', async () => {
      const names = ['Kai Burst', 'Kim Burst', 'Kit Burst', 'Kev Burst', 'Kat Burst'];
      const burst = (async () => {
        for (const name of names) await world.controller.addMember({ name });
      })();
      await world.waitForPost(added(names[0] as string));
      await world.kill(1);
      await burst;
      for (const name of names) await world.waitForPost(added(name), 90_000);
      await quiet();
      for (const name of names) assert.equal(world.texts().filter((t) => added(name).test(t)).length, 1, `${name}: ${JSON.stringify(world.texts())}`);
      await world.start(1);
    });
  });

  describe('the database away for 15 s while running', () => {
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
      await quiet(15_000);
      await relay.restore();
      await change;
      await world.waitForPost(added('Olga Outage'), 60_000);
      await quiet();
      assert.equal(world.texts().filter((t) => added('Olga Outage').test(t)).length, 1);
    });
  });
});
