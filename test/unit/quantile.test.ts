import { median, quantile } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { LatencyStats } from '../../src/metrics/latency-stats.js';
import { nearestRankQuantile, nearestRankQuantileSorted } from '../../src/metrics/quantile.js';

/** A small seeded generator (Park–Miller), so that the samples are the same on every run. */
function uniforms(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 48271) % 2147483647) / 2147483647;
}

/** The definition, by brute force: the smallest observed value with at least q·n of the sample at or below it. */
function byDefinition(values: number[], q: number): number {
  const candidates = [...new Set(values)].sort((a, b) => a - b);
  return candidates.find((x) => values.filter((v) => v <= x).length >= q * values.length) as number;
}

describe('nearest-rank quantile', () => {
  it('is sorted[ceil(q·n) − 1], the minimum at q = 0 and the maximum at q = 1', () => {
    const sorted = Array.from({ length: 400 }, (_, i) => i + 1);
    expect(nearestRankQuantileSorted(sorted, 0.5)).toBe(200);
    expect(nearestRankQuantileSorted(sorted, 0.99)).toBe(396);
    expect(nearestRankQuantileSorted(sorted, 0)).toBe(1);
    expect(nearestRankQuantileSorted(sorted, 1)).toBe(400);
    const odd = sorted.slice(0, 150);
    expect(nearestRankQuantileSorted(odd, 0.5)).toBe(75);
    expect(nearestRankQuantileSorted(odd, 0.99)).toBe(149);
    expect(nearestRankQuantileSorted([7], 0.3)).toBe(7);
    // 0.99 × 100 is 99 whatever the product's rounding: the 99th value, not the 100th.
    expect(nearestRankQuantileSorted(sorted.slice(0, 100), 0.99)).toBe(99);
  });

  it('matches the definition on random samples with ties, in any order', () => {
    const u = uniforms(42);
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + Math.floor(u() * 60);
      const values = Array.from({ length: n }, () => Math.floor(u() * 20));
      for (const q of [0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1, u()]) expect(nearestRankQuantile(values, q)).toBe(byDefinition(values, q));
    }
  });

  it('leaves its input alone, is NaN on no values and refuses q outside [0, 1]', () => {
    const values = [3, 1, 2];
    expect(nearestRankQuantile(values, 0.5)).toBe(2);
    expect(values).toEqual([3, 1, 2]);
    expect(nearestRankQuantile([], 0.5)).toBeNaN();
    expect(() => nearestRankQuantile(values, 1.5)).toThrow(RangeError);
    expect(() => nearestRankQuantile(values, Number.NaN)).toThrow(RangeError);
    expect(nearestRankQuantile(new Float64Array([0.2, 0.1]), 0.5)).toBe(0.1);
  });

  it("agrees with the run latencies' HDR histogram to within its resolution (0.1%)", () => {
    const u = uniforms(7);
    const seconds = Array.from({ length: 20_000 }, () => 0.01 * Math.exp(1.2 * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u())));
    const stats = new LatencyStats();
    for (const s of seconds) stats.record(s);
    for (const q of [0.5, 0.9, 0.95, 0.99, 0.999]) {
      const exact = nearestRankQuantile(seconds, q);
      const histogram = stats.percentile(100 * q);
      // The histogram reports the top of the value's bucket: at or above it, by at most 0.1% (and 1 µs of rounding).
      expect(histogram).toBeGreaterThanOrEqual(exact - 1e-6);
      expect(histogram).toBeLessThanOrEqual(exact * 1.001 + 1e-6);
    }
  });

  it("is not simple-statistics' quantile (interpolated) nor its median (mean of the middle two)", () => {
    const values = [1, 2, 3, 4];
    expect(nearestRankQuantile(values, 0.5)).toBe(2);
    expect(median(values)).toBe(2.5);
    expect(quantile(values, 0.9)).toBeCloseTo(3.7, 12);
    expect(nearestRankQuantile(values, 0.9)).toBe(4);
  });
});
