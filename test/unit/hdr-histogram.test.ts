import * as hdr from 'hdr-histogram-js';
import { randomLcg } from 'd3-random';
import { beforeAll, describe, expect, it } from 'vitest';
import { HdrHistogram } from '../../src/metrics/hdr-histogram.js';

const PERCENTILES = [0, 0.1, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100];
const build = (useWebAssembly: boolean) => hdr.build({ bitBucketSize: 64, lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 3, autoResize: true, useWebAssembly });

/** Value sets of microseconds: light and heavy tails from 10 µs to hours, constants, and every bucket edge. */
function valueSets(): [string, number[]][] {
  const u = randomLcg(11);
  const exponential = (mean: number, n: number) => Array.from({ length: n }, () => Math.round(-Math.log1p(-u()) * mean));
  const lognormal = (median: number, sigma: number, n: number) =>
    Array.from({ length: n }, () => Math.round(median * Math.exp(sigma * Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u()))));
  const edges = [0, 1, 2, 1023, 1024, 1025, 2047, 2048, 2049, 4095, 4096, 4097, 8191, 8192];
  for (let k = 13; k <= 42; k++) edges.push(2 ** k - 1, 2 ** k, 2 ** k + 1, 3 * 2 ** (k - 1));
  return [
    ['empty', []],
    ['one zero', [0]],
    ['constant', Array(1000).fill(29_690)],
    ['bucket edges', edges],
    ...[10, 1e3, 3e4, 1e6, 1e7].map((mean): [string, number[]] => [`exponential, mean ${mean} µs`, exponential(mean, 20_000)]),
    ['lognormal, heavy tail', lognormal(40_000, 2.5, 20_000)],
    ['hours', exponential(3.6e9, 2_000)],
  ];
}

describe('HdrHistogram', () => {
  beforeAll(() => hdr.initWebAssembly());

  for (const [name, values] of valueSets()) {
    it(`reports what hdr-histogram-js reports (JavaScript and WebAssembly builds): ${name}`, () => {
      const ours = new HdrHistogram();
      const references = [build(false), build(true)];
      for (const v of values) {
        ours.recordValue(v);
        for (const r of references) r.recordValue(v);
      }
      for (const r of references) {
        expect(ours.totalCount).toBe(r.totalCount);
        expect(ours.maxValue).toBe(r.maxValue);
        for (const p of PERCENTILES) expect([p, ours.getValueAtPercentile(p)]).toEqual([p, r.getValueAtPercentile(p)]);
        r.destroy();
      }
    });
  }

  it('merges with add and starts afresh after reset', () => {
    const [, a] = valueSets()[4];
    const [, b] = valueSets()[9];
    const merged = new HdrHistogram();
    const second = new HdrHistogram();
    const reference = build(false);
    for (const v of a) merged.recordValue(v);
    for (const v of b) second.recordValue(v);
    for (const v of [...a, ...b]) reference.recordValue(v);
    merged.add(second);
    expect(merged.totalCount).toBe(reference.totalCount);
    expect(merged.maxValue).toBe(reference.maxValue);
    for (const p of PERCENTILES) expect(merged.getValueAtPercentile(p)).toBe(reference.getValueAtPercentile(p));
    merged.reset();
    expect([merged.totalCount, merged.maxValue, merged.getValueAtPercentile(50)]).toEqual([0, 0, 0]);
    merged.recordValue(5);
    expect(merged.getValueAtPercentile(99)).toBe(5);
  });

  it('refuses a negative or NaN value', () => {
    const h = new HdrHistogram();
    expect(() => h.recordValue(-1)).toThrow(RangeError);
    expect(() => h.recordValue(Number.NaN)).toThrow(RangeError);
  });
});
