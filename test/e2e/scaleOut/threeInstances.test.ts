import assert from 'node:assert/strict';
import { startOutageProxy, type OutageProxy } from '../../support/storage/outageProxy.js';
import { startScaleOutWorld, type ScaleOutWorld } from '../../support/scaleOut/scaleOutWorld.js';

const WELCOME = /^Hi, I'm Herald/;
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const added = (name: string) => new RegExp(`added ${escape(name)}\\b`);
/** An announcement of the person, whether it names who added them or not. */
const announced = (name: string) => new RegExp(`\\b${escape(name)}\\b`);

/** Lets late duplicates (a second instance, a redelivery) show up before counting. */
const quiet = (ms = 3_000) => new Promise((resolve) => setTimeout(resolve, ms));

/** Installs Herald, sets the window to 0 and waits until Graph has the chat's two subscriptions. */
async function installWithWindowZero(world: ScaleOutWorld): Promise<void> {
  await world.controller.installHerald();
  await world.waitForPost(WELCOME);
  await world.controller.send('@Herald window 0');
  await world.waitForPost(/window 0s/);
  const deadline = Date.now() + 30_000;
  while (world.controller.subscriptions().filter((s) => s.resource.startsWith('/chats/')).length < 2) {
    if (Date.now() > deadline) throw new Error('the chat\'s subscriptions were not created within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
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

    it('announces a leave once, and a change Graph delivers twice (a redelivery) once', async () => {
      const lena = await world.controller.addMember({ name: 'Lena Leave' });
      await world.waitForPost(added('Lena Leave'));
      await world.controller.removeMember(lena.userId);
      await world.waitForPost(/removed Lena Leave/);
      await world.controller.trouble('duplicate');
      await world.controller.addMember({ name: 'Dora Double' });
      await world.waitForPost(added('Dora Double'));
      await quiet();
      assert.equal(world.texts().filter((t) => /removed Lena Leave/.test(t)).length, 1, JSON.stringify(world.texts()));
      assert.equal(world.texts().filter((t) => added('Dora Double').test(t)).length, 1, JSON.stringify(world.texts()));
    });

    it('loses nothing when an instance is killed (SIGKILL) during a burst: another takes its work over', async () => {
      const names = ['Kai Burst', 'Kim Burst', 'Kit Burst', 'Kev Burst', 'Kat Burst'];
      // Teams' bot event in flight to the killed instance fails (the proxy answers 502, Teams does not
      // retry): that change is then announced from Graph alone, without who made it.
      const refused: string[] = [];
      const burst = (async () => {
        for (const name of names) await world.controller.addMember({ name }).catch(() => void refused.push(name));
      })();
      await world.waitForPost(announced(names[0] as string));
      await world.kill(1);
      await burst;
      assert.ok(refused.length <= 1, `at most the bot event in flight is refused: ${refused.join(', ')}`);
      for (const name of names) await world.waitForPost(announced(name), 90_000);
      await quiet();
      for (const name of names) assert.equal(world.texts().filter((t) => announced(name).test(t)).length, 1, `${name}: ${JSON.stringify(world.texts())}`);
      await world.start(1);
    });
  });

  describe('the database away for 30 s while running', () => {
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
      await quiet(30_000);
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
});
