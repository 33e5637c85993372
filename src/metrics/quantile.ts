/**
 * Percentiles of samples, one definition for the whole project: the nearest-rank rule. The
 * q-quantile (0 ≤ q ≤ 1) of n values is the smallest value with at least q·n of the sample at or
 * below it, sorted[ceil(q·n) − 1], and the minimum at q = 0. It is always a value that was
 * observed (no interpolation), so a P99 is a latency some request really had, and it is the rule
 * HDR histograms apply (`getValueAtPercentile` of hdr-histogram.ts, behind every run's latency
 * summary in latency-stats.ts): there on values kept to 3 significant digits, here exactly, so a
 * percentile of raw samples and one read from a histogram of the same samples agree to within
 * the histogram's resolution. As there, q·n is rounded up less one ulp, so that the rank of
 * 0.99 × 100 is 99 whatever the floating-point error of the product.
 *
 * A median of a set of figures that are not a latency sample (errors across configurations,
 * fixed costs of measured rounds, timings of repeated runs) is simple-statistics' `median`: the
 * middle value, or the mean of the two middle values of an even count. simple-statistics'
 * `quantile` interpolates between order statistics (R's type 7, numpy's default) and is not
 * this rule.
 */

/** One unit in the last place of a positive double. */
const ulp = (x: number) => 2 ** (Math.floor(Math.log2(x)) - 52);

function checkQ(q: number): void {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile ${q}: expected a fraction in [0, 1]`);
}

/** The nearest-rank q-quantile of values sorted in ascending order; NaN when there are none. */
export function nearestRankQuantileSorted(sorted: ArrayLike<number>, q: number): number {
  checkQ(q);
  const n = sorted.length;
  if (n === 0) return NaN;
  const exact = q * n;
  const rank = exact === 0 ? 1 : Math.max(1, Math.ceil(exact - ulp(exact)));
  return sorted[Math.min(n, rank) - 1];
}

/** The nearest-rank q-quantile of values in any order (sorts a copy); NaN when there are none. */
export function nearestRankQuantile(values: ArrayLike<number>, q: number): number {
  checkQ(q);
  return nearestRankQuantileSorted(Float64Array.from(values).sort(), q);
}
