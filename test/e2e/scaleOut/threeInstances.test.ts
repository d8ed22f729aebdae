import assert from 'node:assert/strict';
import { startScaleOutWorld, type ScaleOutWorld } from '../../support/scaleOut/scaleOutWorld.js';
import { added, announced, installWithWindowZero, quiet, WELCOME } from '../../support/scaleOut/scaleOutSteps.js';


describe('three Herald instances on one PostgreSQL, behind a round-robin proxy', function () {
  this.timeout(240_000);

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
});
