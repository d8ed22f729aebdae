/**
 * The q-quantile (0 < q ≤ 1) of ascending-sorted samples by the nearest-rank method: the smallest sample
 * with at least q of all samples at or below it. `undefined` when there are no samples.
 */
export function nearestRank(sorted: readonly number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
