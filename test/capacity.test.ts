import { describe, expect, it } from 'vitest';
import { measureCapacity } from '../src/experiment/capacity.js';
import { histogramQuantile } from '../src/metrics/prometheus-histogram.js';
import { servesim } from './helpers/cli.js';

describe("Prometheus' histogram_quantile", () => {
  const bounds = [0.1, 0.2, 0.4, 0.8];

  it('interpolates linearly within the bucket that holds the rank', () => {
    // 100 values: 50 in (0, 0.1], 50 in (0.2, 0.4]; rank 99 is 49/50 of the way through the third bucket.
    const values = [...Array(50).fill(0.05), ...Array(50).fill(0.3)];
    expect(histogramQuantile(0.99, values, bounds)).toBeCloseTo(0.2 + 0.2 * (49 / 50), 12);
    expect(histogramQuantile(0.5, values, bounds)).toBeCloseTo(0.1, 12);
  });

  it('returns the largest finite bound for ranks in the overflow bucket, NaN with no data', () => {
    expect(histogramQuantile(0.99, [5, 5, 5], bounds)).toBe(0.8);
    expect(histogramQuantile(0.99, [], bounds)).toBeNaN();
  });
});

describe('capacity by simulation', () => {
  it('more cores and a looser SLO never lower the capacity (probe method)', async () => {
    const pod = (cores: number) => ({ cores, concurrency: cores, serviceTime: { dist: 'lognormal', mean: 0.1 * cores ** 0, cv: 0.2 } as const });
    const at = async (cores: number, slo: number) => (await measureCapacity(pod(cores), { sloSeconds: slo, method: 'probe', seed: 1 })).capacityRps;
    expect(await at(2, 0.75)).toBeGreaterThanOrEqual(await at(1, 0.75));
    expect(await at(4, 0.75)).toBeGreaterThanOrEqual(await at(2, 0.75));
    expect(await at(4, 1.5)).toBeGreaterThanOrEqual(await at(4, 0.5));
  });

  it('steady state matches M/M/1: sojourn ~ Exp(μ − λ), so P99 ≤ S holds up to λ = μ − ln(100)/S', async () => {
    const result = await measureCapacity({ cores: 1, serviceTime: { dist: 'exponential', mean: 0.01 } }, { sloSeconds: 0.2, method: 'steady', seed: 1 });
    const theory = 100 - Math.log(100) / 0.2; // 76.97 requests/s
    expect(Math.abs(result.capacityRps / theory - 1)).toBeLessThan(0.03);
    expect(Math.abs(result.saturationRps / 100 - 1)).toBeLessThan(0.05);
  });

  it('`servesim capacity --json` prints only {"capacityRps": …}, near the measured 36/s for resnet50 on 4 cores at 750 ms', () => {
    const r = servesim('capacity', '--profile', 'infadapter', '--variant', 'resnet50', '--cores', '4', '--slo-p99', '0.75', '--json');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(['capacityRps']);
    expect(out.capacityRps).toBeGreaterThanOrEqual(32);
    expect(out.capacityRps).toBeLessThanOrEqual(40);
  });

  it('rejects an unknown variant and bad numbers with exit 2', () => {
    const bad = servesim('capacity', '--profile', 'infadapter', '--variant', 'vgg', '--cores', '4', '--slo-p99', '0.75');
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toMatch(/^servesim: profile "infadapter" has no variant "vgg"/);
    const cores = servesim('capacity', '--profile', 'infadapter', '--variant', 'resnet50', '--cores', 'many', '--slo-p99', '0.75');
    expect(cores.status).toBe(2);
    expect(cores.stderr.trim()).toBe('servesim: --cores: expected a positive number, got "many"');
  });
});
