import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../../src/engine/random.js';
import { lognormalCv, lognormalP99, lognormalSigma } from '../../src/profiles/latency-model.js';
import { capacityFileOf, formatCapacityCsv, profileCapacity, readCapacityCsv, type CapacityPoint } from '../../src/profiles/capacity-data.js';
import { readInfAdapterCapacity } from '../../src/profiles/infadapter.js';
import { loadLatencyModel, NAMED_PROFILES } from '../../src/profiles/registry.js';
import { fitSponge } from '../../src/profiles/sponge-model.js';
import { serviceTimeCapacity, serviceTimeModel, serviceTimeSourceOf } from '../../src/profiles/service-time-source.js';
import { formatProfileCsv, readProfileCsv, tableModel, type ProfilePoint } from '../../src/profiles/table-model.js';
import { tempDir } from '../helpers/temp.js';

const point = (cores: number, batch: number, meanMs: number, p99Ms: number): ProfilePoint => ({
  variant: 'm',
  device: 'cpu',
  cores,
  batch,
  mean: meanMs / 1000,
  p50: NaN,
  p99: p99Ms / 1000,
  throughputRps: NaN,
  concurrency: NaN,
});

describe('lognormal fit to a mean and a p99', () => {
  it('recovers the spread it was built from', () => {
    for (const cv of [0.05, 0.3, 1, 2]) {
      const p99 = lognormalP99(0.1, cv);
      expect(lognormalCv(lognormalSigma(0.1, p99))).toBeCloseTo(cv, 8);
    }
  });

  it('has no spread when the p99 is not above the mean', () => {
    expect(lognormalSigma(0.1, 0.1)).toBe(0);
  });

  it('samples with the profiled mean and p99', () => {
    const model = tableModel([point(1, 1, 50, 120)], 'test');
    const draw = model.sampler(new RandomStreams(1).uniform('s'));
    const values = Array.from({ length: 200_000 }, () => draw(1, 1)).sort((a, b) => a - b);
    expect(values.reduce((a, b) => a + b, 0) / values.length).toBeCloseTo(0.05, 3);
    expect(values[Math.floor(0.99 * values.length)]).toBeCloseTo(0.12, 2);
  });
});

describe('profile tables', () => {
  const grid = [point(1, 1, 100, 150), point(2, 1, 60, 90), point(4, 1, 40, 60), point(1, 4, 300, 450), point(4, 4, 120, 180)];
  const model = tableModel(grid, 'test');

  it('returns the profiled points exactly', () => {
    expect(model.mean(1, 2)).toBeCloseTo(0.06, 12);
    expect(model.mean(4, 4)).toBeCloseTo(0.12, 12);
  });

  it('interpolates linearly in 1/cores and in batch, monotonically', () => {
    // 3 cores: 1/3 lies between 1/2 and 1/4, at 1/3 of the way from 1/2.
    expect(model.mean(1, 3)).toBeCloseTo(0.06 + (0.04 - 0.06) * ((1 / 2 - 1 / 3) / (1 / 2 - 1 / 4)), 12);
    expect(model.mean(2, 1)).toBeCloseTo(0.1 + (0.3 - 0.1) / 3, 12);
    let previous = Infinity;
    for (let cores = 1; cores <= 4; cores += 0.25) {
      expect(model.mean(1, cores)).toBeLessThanOrEqual(previous);
      previous = model.mean(1, cores);
    }
  });

  it('assumes no speed-up beyond the largest profiled core count', () => {
    expect(model.mean(1, 16)).toBeCloseTo(0.04, 12);
  });

  it('rejects a point without a p99 (no silent constant spread)', () => {
    expect(() => tableModel([{ ...point(1, 1, 10, 20), p99: NaN }], 'prof')).toThrow('prof: batch 1, 1 cores has no p99_ms');
  });

  it('reads back what it writes, in the documented CSV format', () => {
    const path = join(tempDir('servesim-profile-'), 'p.csv');
    writeFileSync(path, formatProfileCsv(grid));
    const back = readProfileCsv(path);
    expect(back.map((p) => [p.cores, p.batch, p.mean, p.p99])).toEqual(grid.map((p) => [p.cores, p.batch, p.mean, p.p99]));
  });

  it('rejects points that contradict one another, naming the file and line', () => {
    const path = join(tempDir('servesim-profile-'), 'p.csv');
    const header = 'variant,device,cores,batch,mean_ms,p50_ms,p99_ms,throughput_rps';
    for (const [rows, message] of [
      [['m,cpu,1,1,10,,8,'], ':2: p99_ms 8 is below mean_ms 10'],
      [['m,cpu,1,1,10,,20,50'], ':2: throughput_rps 50 does not match'],
      [['m,cpu,1,1,10,,20,', 'm,cpu,1,1,12,,20,'], ':3: duplicate point'],
      [['m,cpu,1,2,10,,20,', 'm,cpu,1,1,12,,13,'], ':2: mean_ms 10 at batch 2 is below 12 at batch 1 (line 3)'],
    ] as const) {
      writeFileSync(path, `${[header, ...rows].join('\n')}\n`);
      expect(() => readProfileCsv(path)).toThrow(`${path}${message}`);
    }
  });

  it('names the file and line of a bad value', () => {
    const path = join(tempDir('servesim-profile-'), 'p.csv');
    writeFileSync(path, 'variant,device,cores,batch,mean_ms,p50_ms,p99_ms,throughput_rps\nm,cpu,1,1,fast,,20,\n');
    expect(() => readProfileCsv(path)).toThrow(`${path}:2: column "mean_ms" expected a positive number, got "fast"`);
  });
});

describe('Sponge latency model', () => {
  it('least squares recovers the coefficients of exact data', () => {
    const truth = { gamma: 0.02, delta: 0.004, epsilon: 0.05, eta: 0.002 };
    const points = [1, 2, 4, 8, 16].flatMap((batch) =>
      [1, 2, 4, 8].map((cores) => ({ batch, cores, latency: truth.gamma * (batch / cores) + truth.delta * batch + truth.epsilon / cores + truth.eta })),
    );
    const fit = fitSponge(points);
    for (const key of ['gamma', 'delta', 'epsilon', 'eta'] as const) expect(fit[key]).toBeCloseTo(truth[key], 9);
    expect(fit.residualCv).toBeLessThan(1e-9);
  });

  it('fits the shipped profile with a stated spread', () => {
    const model = loadLatencyModel({ name: 'sponge', variant: 'yolov5', device: 'cpu' });
    expect(model.mean(1, 1)).toBeCloseTo(0.07, 2);
    expect(model.mean(16, 32)).toBeGreaterThan(model.mean(16, 64) - 1e-12);
  });
});

describe('named profiles', () => {
  it('IPA Fig. 2: one core, batch 1, mean 1/throughput', () => {
    const model = loadLatencyModel({ name: 'ipa-fig2', variant: 'resnet18', device: 'cpu' });
    expect(model.mean(1, 1)).toBeCloseTo(1 / 19, 10);
  });

  it('InfAdapter: calibrated pods serve one request per core', () => {
    const model = loadLatencyModel({ name: 'infadapter', variant: 'resnet50', device: 'cpu' });
    expect(model.concurrency?.(4)).toBe(4);
    expect(model.mean(1, 4)).toBeGreaterThan(0.05);
    expect(model.mean(1, 4)).toBeLessThan(0.2);
  });

  it('InfAdapter: no shipped pod is faster than InfAdapter measured it, and more cores never serve less beyond noise', () => {
    const saturation = new Map(
      readInfAdapterCapacity('profiles/infadapter/capacity_result_Feb_21.csv')
        .filter((r) => r.sloMs === 750)
        .map((r) => [`${r.variant}@${r.cores}`, r.saturationRps]),
    );
    const points = readProfileCsv('profiles/infadapter/calibrated_service_times.csv');
    expect(points).toHaveLength(100);
    for (const variant of ['resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152']) {
      const mine = points.filter((p) => p.variant === variant).sort((a, b) => a.cores - b.cores);
      expect(mine.map((p) => p.cores)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      for (const p of mine) expect(p.throughputRps, `${variant} on ${p.cores} cores`).toBeLessThanOrEqual(1.1 * (saturation.get(`${variant}@${p.cores}`) as number));
      // The measured saturation itself dips by up to 2% between neighbours (resnet34 at 19→20 cores).
      for (let i = 1; i < mine.length; i++) expect(mine[i].throughputRps, `${variant} at ${mine[i].cores} cores`).toBeGreaterThanOrEqual(0.97 * mine[i - 1].throughputRps);
    }
  });

  it('every shipped profile loads, each of its variants, past the checks of its points', () => {
    // The variants a named profile has, as it lists them when asked for one it lacks.
    const variantsOf = (name: keyof typeof NAMED_PROFILES) => {
      try {
        loadLatencyModel({ name, variant: 'none', device: 'cpu' });
      } catch (error) {
        return [...(error as Error).message.matchAll(/([\w.-]+)\/cpu/g)].map((m) => m[1]);
      }
      return [];
    };
    for (const name of Object.keys(NAMED_PROFILES) as (keyof typeof NAMED_PROFILES)[]) {
      const variants = name === 'sponge' ? ['yolov5'] : variantsOf(name);
      expect(variants.length, name).toBeGreaterThan(0);
      for (const variant of variants) expect(() => loadLatencyModel({ name, variant, device: 'cpu' }), `${name} ${variant}`).not.toThrow();
    }
    expect(readProfileCsv(NAMED_PROFILES.infadapter)).toHaveLength(100);
  });

  it('names the variants a profile has when asked for one it lacks', () => {
    expect(() => loadLatencyModel({ name: 'ipa-fig2', variant: 'vgg', device: 'cpu' })).toThrow(/no variant "vgg" on device "cpu" \(it has resnet18\/cpu/);
  });
});

describe('IPA video stand-in', () => {
  it("has every video-pipeline variant, with published accuracies, IPA's own YOLO scale and batch scaling", () => {
    const yolo = loadLatencyModel({ name: 'ipa-video', variant: 'yolov5s', device: 'cpu' });
    // Ultralytics' 98 ms, times IPA's yolov5m measurement on one core (293.608 ms) over Ultralytics' 224 ms.
    expect(yolo.mean(1, 1)).toBeCloseTo((0.098 * 0.293608) / 0.224, 10);
    expect(yolo.accuracy).toBeCloseTo(0.568, 10);
    expect(yolo.mean(8, 1) / yolo.mean(1, 1)).toBeGreaterThan(3);
    const resnet = loadLatencyModel({ name: 'ipa-video', variant: 'resnet152', device: 'cpu' });
    expect(resnet.mean(1, 1)).toBeCloseTo(1 / 4, 10);
    expect(resnet.mean(1, 4)).toBeLessThan(resnet.mean(1, 1));
  });

  it('InfAdapter variants carry their torchvision top-1 accuracy', () => {
    expect(loadLatencyModel({ name: 'infadapter', variant: 'resnet18', device: 'cpu' }).accuracy).toBe(0.69758);
  });
});

describe('service-time sources', () => {
  it('normalises the field a deployment names into one source of the union', () => {
    expect(serviceTimeSourceOf({ serviceTime: { dist: 'exponential', mean: 0.01 } })).toEqual({ kind: 'distribution', settings: { dist: 'exponential', mean: 0.01 } });
    const profile = { name: 'ipa-fig2' as const, variant: 'resnet18', device: 'cpu' };
    expect(serviceTimeSourceOf({ profile })).toEqual({ kind: 'profile', settings: profile });
    expect(() => serviceTimeSourceOf({})).toThrow('expected exactly one of "serviceTime", "profile" and "biathlon"');
  });

  it('a distribution ignores batch and cores; a profile names its variant', () => {
    const u = new RandomStreams(1).uniform('s');
    const distribution = serviceTimeModel({ kind: 'distribution', settings: { dist: 'deterministic', value: 0.02 } }, (f) => f);
    expect(distribution.sampler(u)(8, 4)).toBe(0.02);
    expect(distribution.variant).toBeUndefined();
    const profile = serviceTimeModel({ kind: 'profile', settings: { name: 'ipa-fig2', variant: 'resnet18', device: 'cpu' } }, (f) => f);
    expect(profile.variant).toBe('resnet18');
    expect(profile.mean(1, 1)).toBeCloseTo(1 / 19, 10);
  });
});

describe('capacity data', () => {
  const points: CapacityPoint[] = [
    { variant: 'm', device: 'cpu', cores: 1, sloMs: 100, capacityRps: 69.12, p99Ms: 99.5352, saturationRps: 101 },
    { variant: 'm', device: 'cpu', cores: 2, sloMs: 100, capacityRps: 137.42, p99Ms: NaN, saturationRps: 168 },
  ];
  const profileWithCapacity = () => {
    const profile = join(tempDir('servesim-capacity-'), 'profile.csv');
    writeFileSync(profile, formatProfileCsv([point(1, 1, 10, 30), point(2, 1, 6, 18)]));
    writeFileSync(capacityFileOf(profile), formatCapacityCsv(points));
    return profile;
  };

  it('lies next to its profile and reads back exactly what was written', () => {
    expect(capacityFileOf('runs/profile.csv')).toBe('runs/profile.capacity.csv');
    const profile = profileWithCapacity();
    expect(readCapacityCsv(capacityFileOf(profile))).toEqual(points);
    expect(profileCapacity({ file: profile, variant: 'm', device: 'cpu' }, 100, (f) => f, 'd')).toEqual(points);
  });

  it('rejects a measurement given twice, naming the file and both lines', () => {
    const profile = profileWithCapacity();
    writeFileSync(capacityFileOf(profile), formatCapacityCsv([...points, points[0]]));
    expect(() => readCapacityCsv(capacityFileOf(profile))).toThrow(`${capacityFileOf(profile)}:4: duplicate capacity (variant m, device cpu, 1 cores, 100 ms SLO), first on line 2`);
  });

  it("the infadapter profile's is InfAdapter's table at the core counts its controller fits", () => {
    const resnet18 = profileCapacity({ name: 'infadapter', variant: 'resnet18', device: 'cpu' }, 750, (f) => f, 'r18');
    expect(resnet18.map((p) => [p.cores, p.capacityRps])).toEqual([
      [1, 19],
      [2, 43],
      [4, 90],
      [8, 190],
      [16, 385],
    ]);
  });

  it('missing data is one line naming the deployment, the profile and what to run', () => {
    const profile = profileWithCapacity();
    expect(() => profileCapacity({ file: profile, variant: 'm', device: 'cpu' }, 750, (f) => f, 'cnn-m')).toThrow(
      `deployment "cnn-m": profile ${profile} has no capacity data for m/cpu at a 750 ms P99 (it has 100 ms; profile again with \`servesim profile --out ${profile} --capacity-slo-ms 750\`)`,
    );
    const bare = join(tempDir('servesim-capacity-'), 'bare.csv');
    writeFileSync(bare, formatProfileCsv([point(1, 1, 10, 30)]));
    expect(() => profileCapacity({ file: 'bare.csv', variant: 'm', device: 'cpu' }, 100, () => bare, 'cnn-m')).toThrow(
      `deployment "cnn-m": profile bare.csv has no capacity data (expected ${capacityFileOf(bare)}; profile again with \`servesim profile --out bare.csv --capacity-slo-ms 100\`)`,
    );
    expect(() => profileCapacity({ name: 'infadapter', variant: 'resnet18', device: 'cpu' }, 600, (f) => f, 'r18')).toThrow(
      'deployment "r18": profile "infadapter" has no capacity data for resnet18/cpu at a 600 ms P99 (it has 500, 750, 1000, 1500 ms)',
    );
    expect(() => profileCapacity({ name: 'sponge', variant: 'yolov5', device: 'cpu' }, 750, (f) => f, 'y')).toThrow(/^deployment "y": profile "sponge" has no capacity data \(of the named profiles only infadapter has it/);
    expect(() => serviceTimeCapacity({ name: 'svc', serviceTime: { dist: 'exponential', mean: 0.01 } }, 750, (f) => f)).toThrow(
      'deployment "svc": its "serviceTime" service times carry no capacity data (only a "profile" does: see README "Profiles")',
    );
  });
});
