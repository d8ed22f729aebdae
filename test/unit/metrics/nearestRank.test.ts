import assert from 'node:assert/strict';
import { nearestRank } from '../../../src/metrics/nearestRank.js';

describe('nearest-rank percentile', () => {
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1);

  it('takes the smallest sample with at least q of the samples at or below it', () => {
    assert.equal(nearestRank(sorted, 0.5), 50);
    assert.equal(nearestRank(sorted, 0.99), 99);
    assert.equal(nearestRank(sorted, 1), 100);
    assert.equal(nearestRank([7, 9], 0.5), 7);
  });

  it('stays inside the samples for tiny quantiles and has no answer without samples', () => {
    assert.equal(nearestRank(sorted, 0.0001), 1);
    assert.equal(nearestRank([], 0.5), undefined);
  });
});
