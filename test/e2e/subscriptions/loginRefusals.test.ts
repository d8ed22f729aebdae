import assert from 'node:assert/strict';
import type sinon from 'sinon';
import type { TenantRefusal } from '../../../sim/doubles/login/LoginDouble.js';
import type { HeraldErrorCode } from '../../../src/kernel/errors.js';
import type { ProblemHealth } from '../../../src/subscriptions/subscriptionViews.js';
import { chatSubscriptionsView } from '../../../src/tab/subscriptionHealth.js';
import { advance, fakeTime, SubscriptionHarness } from '../../support/subscriptions/subscriptionHarness.js';

const DAY = 24 * 60 * 60_000;

describe('permanent login failures (the identity platform refuses the chat’s tenant)', () => {
  let h: SubscriptionHarness;
  let clock: sinon.SinonFakeTimers;

  beforeEach(async () => {
    const time = fakeTime();
    clock = time.clock;
    h = await SubscriptionHarness.start({ timers: time.timers, random: () => 0.5 });
  });

  afterEach(async () => {
    await h?.close();
    clock?.restore();
  });

  const healthz = async () => {
    const body = (await (await fetch(`${h.publicUrl}/healthz`)).json()) as { subscriptions: { problems: ProblemHealth[] } };
    return body.subscriptions.problems;
  };

  const cases: Array<[TenantRefusal, HeraldErrorCode, RegExp, RegExp]> = [
    ['tenantNotFound', 'herald.login.tenant_not_found', /AADSTS90002/, /AAD_AUTHORITY_HOST/],
    ['appNotInTenant', 'herald.login.app_not_in_tenant', /AADSTS700016/, /consent to Herald/],
    ['consentRequired', 'herald.login.consent_required', /AADSTS65001/, /Grant admin consent/],
    ['servicePrincipalMissing', 'herald.login.service_principal_missing', /AADSTS7000229/, /enterprise application/],
  ];
  for (const [refusal, code, reason, fix] of cases) {
    it(`${refusal}: keeps the AADSTS code, stops retrying, and shows reason and fix in status, the tab and /healthz`, async () => {
      const [tenant, other] = h.tenants as [string, string];
      h.gw.login.refuseTenant(tenant, refusal);
      const chatId = h.createChat(tenant);
      const fine = h.createChat(other);
      await h.install(chatId);
      await h.install(fine);
      await h.idle();

      const problem = (await h.store.chats.get(chatId))?.problem;
      assert.equal(problem?.error, code);
      const status = (await h.herald.statusLines(chatId)).join('\n');
      assert.match(status, new RegExp(`Problem: .*${reason.source}`));
      assert.match(status, fix);
      assert.doesNotMatch(status, /retrying in/);

      const tab = (await chatSubscriptionsView({ store: h.store, insight: (id) => h.manager.describeChat(id) }, chatId, tenant, new Date()));
      assert.match(tab.problem?.advice ?? '', fix);

      const problems = await healthz();
      assert.deepEqual(problems.map((p) => [p.code, p.tenantIds, p.chats]), [[code, [tenant], 1]]);
      assert.match(problems[0]?.reason ?? '', reason);
      assert.match(problems[0]?.advice ?? '', fix);

      // Permanent: no more token requests for that tenant on a timer; the other tenant is unaffected.
      const asked = h.gw.login.tokenRequestCount({ tenantId: tenant });
      await advance(h, clock, 2 * DAY);
      assert.equal(h.gw.login.tokenRequestCount({ tenantId: tenant }), asked);
      assert.equal(h.live(other).length, 2);
      assert.equal(h.posts.filter((p) => p.chatId === chatId).length, 1, 'the chat is told once');
    });
  }

  it('clears the problem once the tenant lets Herald in and Herald is added again', async () => {
    const [tenant] = h.tenants as [string];
    h.gw.login.refuseTenant(tenant, 'consentRequired');
    const chatId = h.createChat(tenant);
    await h.install(chatId);
    await h.idle();
    assert.equal((await healthz()).length, 1);

    h.gw.login.admitTenant(tenant);
    await h.uninstall(chatId);
    h.gw.world.installApp(chatId, h.app.teamsAppId);
    await h.install(chatId);
    await h.idle();
    assert.equal((await h.store.chats.get(chatId))?.problem, null);
    assert.equal(h.live(tenant).length, 2);
    assert.deepEqual(await healthz(), []);
  });
});
