import assert from 'node:assert/strict';
import { formatSoakReport, runSubscriptionsSoak } from '../../../bench/subscriptionsSoak.js';

describe('subscription upkeep over a simulated week', () => {
  it('100 chats in 3 tenants, 7 days with a restart midway: every subscription alive, no duplicates', async function () {
    this.timeout(300_000);
    const report = await runSubscriptionsSoak({ chats: 100, tenants: 3, days: 7 });
    assert.equal(report.expected, 100 * 2 + 3 * 2);
    assert.equal(report.live, report.expected, formatSoakReport(report));
    const said = formatSoakReport(report);
    assert.equal(report.stored, report.expected, said);
    assert.equal(report.duplicates, 0, said);
    assert.equal(report.notAlive, 0, said);
    assert.equal(report.createdDuringRun, 0, `renewed and adopted, never recreated: ${said}`);
    assert.equal(report.run.calls.listSubscriptions, 3, 'the restart lists each tenant once');
    assert.ok((report.run.calls.renewSubscription ?? 0) > 0);
  });
});
