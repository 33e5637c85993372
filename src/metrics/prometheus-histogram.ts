/**
 * Latency as a Prometheus-scraped model server reports it: counts in fixed buckets, read back
 * with histogram_quantile. InfAdapter's capacity probe and its evaluation both read TF-Serving's
 * P99 this way, so servesim computes it the same way wherever it compares with them.
 */

/** TF-Serving's request_latency histogram buckets: 10 µs × 1.8^k, k = 0 … 32 (upper bounds, seconds). */
export const TF_SERVING_BUCKETS: readonly number[] = Array.from({ length: 33 }, (_, k) => 10e-6 * 1.8 ** k);

const LOG_RATIO = Math.log(1.8);

/** The index of the TF-Serving bucket a latency falls in (33: above the last bound, the +Inf bucket). */
export function tfServingBucket(seconds: number): number {
  if (!(seconds > TF_SERVING_BUCKETS[0])) return 0;
  let b = Math.min(TF_SERVING_BUCKETS.length, Math.ceil(Math.log(seconds / 10e-6) / LOG_RATIO));
  // Guard the rounding of the logarithm at a bucket's edge (upper bounds are inclusive).
  while (b > 0 && seconds <= TF_SERVING_BUCKETS[b - 1]) b--;
  while (b < TF_SERVING_BUCKETS.length && seconds > TF_SERVING_BUCKETS[b]) b++;
  return b;
}

/**
 * Prometheus' histogram_quantile over bucket counts (`counts[b]` for bound b, one more for +Inf):
 * the bucket holding the q-th rank, then linear interpolation inside it (from 0 for the first
 * bucket); a rank in the +Inf bucket reads as the largest finite bound; NaN with no counts.
 */
export function quantileOfCounts(q: number, counts: ArrayLike<number>, bounds: readonly number[] = TF_SERVING_BUCKETS): number {
  let total = 0;
  for (let b = 0; b < counts.length; b++) total += counts[b];
  if (total === 0) return NaN;
  const rank = q * total;
  let below = 0;
  for (let b = 0; b < counts.length; b++) {
    if (below + counts[b] >= rank && counts[b] > 0) {
      if (b === bounds.length) return bounds[bounds.length - 1];
      const lower = b === 0 ? 0 : bounds[b - 1];
      return lower + (bounds[b] - lower) * ((rank - below) / counts[b]);
    }
    below += counts[b];
  }
  return bounds[bounds.length - 1];
}

/** histogram_quantile of individual latencies (seconds), bucketed first. */
export function histogramQuantile(q: number, latencies: number[], bounds: readonly number[] = TF_SERVING_BUCKETS): number {
  const counts = new Array<number>(bounds.length + 1).fill(0);
  for (const latency of latencies) {
    let b = 0;
    while (b < bounds.length && latency > bounds[b]) b++;
    counts[b]++;
  }
  return quantileOfCounts(q, counts, bounds);
}

/**
 * The paper-style SLO metric of InfAdapter's evaluation: every window (its metrics interval, 5 s)
 * the P99 of the latencies the model servers recorded in it, read from TF-Serving's buckets; the
 * share of windows whose P99 exceeds the SLO. A window in which no request finished has no P99
 * (Prometheus returns NaN) and does not count either way.
 */
export class WindowP99Violations {
  /** Windows that had a P99, and those whose P99 exceeded the SLO. */
  windows = 0;
  violations = 0;
  private readonly counts = new Float64Array(TF_SERVING_BUCKETS.length + 1);

  constructor(private readonly sloSeconds: number) {}

  record(latencySeconds: number): void {
    this.counts[tfServingBucket(latencySeconds)]++;
  }

  closeWindow(): void {
    const p99 = quantileOfCounts(0.99, this.counts);
    this.counts.fill(0);
    if (Number.isNaN(p99)) return;
    this.windows++;
    if (p99 > this.sloSeconds) this.violations++;
  }

  rate(): number | null {
    return this.windows === 0 ? null : this.violations / this.windows;
  }
}
