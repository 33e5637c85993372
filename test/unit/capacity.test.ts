import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { measureCapacity, PROFILE_CAPACITY_SEED, writeProfileCapacity } from '../../src/experiment/capacity.js';
import { validateSpec } from '../../src/experiment/load-spec.js';
import { runSpec } from '../../src/experiment/run.js';
import { capacityFileOf, readCapacityCsv } from '../../src/profiles/capacity-data.js';
import { formatProfileCsv } from '../../src/profiles/table-model.js';
import { histogramQuantile } from '../../src/metrics/prometheus-histogram.js';
import { servesim } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

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

describe("a profile's capacity data", () => {
  const profile = join(tempDir('servesim-profile-capacity-'), 'profile.csv');
  const at = (cores: number, meanMs: number) => ({ variant: 'm', device: 'cpu', cores, batch: 1, mean: meanMs / 1000, p50: NaN, p99: (3 * meanMs) / 1000, throughputRps: 1000 / meanMs, concurrency: 1 });
  writeFileSync(profile, formatProfileCsv([at(1, 10), at(2, 6)]));

  it('is written next to the profile as the steady method measures one pod of it, and InfAdapter reads its lines from it', async () => {
    const written = await writeProfileCapacity(profile, [100]);
    expect(readCapacityCsv(capacityFileOf(profile))).toEqual(written);
    expect(written.map((p) => [p.variant, p.cores, p.sloMs])).toEqual([
      ['m', 1, 100],
      ['m', 2, 100],
    ]);
    const one = await measureCapacity({ cores: 1, profile: { file: profile, variant: 'm', device: 'cpu' } }, { sloSeconds: 0.1, method: 'steady', seed: PROFILE_CAPACITY_SEED });
    expect(written[0].capacityRps).toBe(one.capacityRps);

    const spec = (capacitySloMs: number) =>
      validateSpec(
        {
          name: 'infadapter-measured',
          duration: 30,
          workload: { arrivals: { process: 'poisson', rate: 60 }, slo: 0.1 },
          deployments: ['small', 'large'].map((name, i) => ({ name, replicas: 1 - i, accuracy: 0.7 + 0.05 * i, profile: { file: profile, variant: 'm' }, lifecycle: { modelLoadSeconds: 0.1 } })),
          pipelines: [{ name: 'p', stages: [{ name: 's', deployments: ['small', 'large'] }] }],
          policy: { name: 'infadapter', stage: 's', deployments: ['small', 'large'], budgetCores: 2, minCores: 1, capacitySloMs, firstDecisionSeconds: 10, intervalSeconds: 10, predictor: 'ewma' },
        },
        'spec.json',
      );
    const summary = await runSpec(spec(100));
    expect(summary.completed).toBeGreaterThan(0);
    expect(summary.policy).toBe('infadapter');
    expect(summary.reconfigurations).toBeGreaterThan(0);
    await expect(runSpec(spec(750))).rejects.toThrow(`deployment "small": profile ${profile} has no capacity data for m/cpu at a 750 ms P99 (it has 100 ms;`);
  }, 60_000);
});
