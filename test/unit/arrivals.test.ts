import { describe, expect, it } from 'vitest';
import { RandomStreams, sampler } from '../../src/engine/random.js';
import {
  gammaArrivals,
  mmppArrivals,
  poissonArrivals,
  poissonWithinSecond,
  scheduledPoissonArrivals,
  type ArrivalProcess,
} from '../../src/workload/arrivals.js';
import { serviceTimeSampler } from '../../src/profiles/service-time.js';
import { MAX_GAMMA_CV, MIN_GAMMA_CV, MIN_MMPP_SOJOURN_SECONDS } from '../../src/workload/limits.js';
import { arrivalsSchema } from '../../src/workload/schema.js';

const stream = (name = 'test') => new RandomStreams(11).uniform(name);

function take(process: ArrivalProcess, until: number): number[] {
  const times: number[] = [];
  for (let t = process.next(); t < until; t = process.next()) times.push(t);
  return times;
}

function cv(values: number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  return Math.sqrt(variance) / mean;
}

const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]);

describe('arrival processes', () => {
  it('Poisson: rate and exponential gaps (cv 1)', () => {
    const times = take(poissonArrivals(stream(), 50), 2000);
    expect(times.length / 2000).toBeCloseTo(50, 0);
    expect(cv(gaps(times))).toBeCloseTo(1, 1);
  });

  it('piecewise-constant schedule: each step keeps its own rate, and a final 0 ends it', () => {
    const process = scheduledPoissonArrivals(stream(), [
      { time: 0, rate: 100 },
      { time: 100, rate: 0 },
      { time: 200, rate: 20 },
      { time: 700, rate: 0 },
    ]);
    const times = take(process, Infinity);
    const inRange = (a: number, b: number) => times.filter((t) => t >= a && t < b).length;
    expect(inRange(0, 100) / 100).toBeCloseTo(100, -1);
    expect(inRange(100, 200)).toBe(0);
    expect(inRange(200, 700) / 500).toBeCloseTo(20, 0);
    expect(process.end).toBe(700);
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1]);
  });

  it('Gamma renewal: rate and the requested cv of the gaps', () => {
    const times = take(gammaArrivals(stream(), 10, 2.5), 20000);
    expect(times.length / 20000).toBeCloseTo(10, 0);
    expect(cv(gaps(times))).toBeCloseTo(2.5, 1);
  });

  it('MMPP: long-run rate is the time-weighted mean of the state rates', () => {
    const times = take(mmppArrivals(stream(), [10, 100], [30, 10]), 100000);
    // Two states alternate: mean rate = (10·30 + 100·10) / 40 = 32.5.
    expect(times.length / 100000).toBeCloseTo(32.5, -1);
    expect(Math.abs(times.length / 100000 / 32.5 - 1)).toBeLessThan(0.05);
    expect(cv(gaps(times))).toBeGreaterThan(1.2);
  });

  it('MMPP: the search for the next arrival gives up at the horizon instead of switching states for ever', () => {
    // State 0 is silent and state 1 nearly so: without the horizon, next() would switch states some 10¹¹ times.
    const process = mmppArrivals(stream(), [0, 1e-9], [0.001, 0.001], 100);
    const started = performance.now();
    expect(process.next()).toBe(Infinity);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('MMPP: with a horizon past the run, it gives the same arrivals as without one', () => {
    const within = (horizon?: number) => take(mmppArrivals(stream(), [10, 100], [30, 10], horizon), 500);
    expect(within(1000)).toEqual(within());
  });

  it('Gamma at the largest allowed cv still moves time forward', () => {
    const times = take(gammaArrivals(stream(), 10, MAX_GAMMA_CV), 1000);
    expect(times.length).toBeGreaterThan(0);
    expect(times.at(-1)).toBeGreaterThan(0);
  });

  it('Poisson within each second keeps every count in its own second, in order', () => {
    const counts = [3, 0, 250, 1, 0, 0, 7];
    const process = poissonWithinSecond(stream(), counts[Symbol.iterator]());
    const times = take(process, Infinity);
    expect(times.length).toBe(counts.reduce((a, b) => a + b, 0));
    counts.forEach((count, second) => expect(times.filter((t) => Math.floor(t) === second).length).toBe(count));
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1]);
    expect(process.end).toBe(counts.length);
  });

  it('Poisson within a second spreads arrivals uniformly over it', () => {
    const counts = Array.from({ length: 2000 }, () => 50);
    const times = take(poissonWithinSecond(stream(), counts[Symbol.iterator]()), Infinity);
    const fractions = times.map((t) => t % 1);
    const firstHalf = fractions.filter((f) => f < 0.5).length / fractions.length;
    expect(firstHalf).toBeCloseTo(0.5, 2);
  });
});

describe('arrival specs that could not make progress are refused', () => {
  const parse = (arrivals: unknown) => {
    const result = arrivalsSchema.safeParse(arrivals);
    return result.success ? 'ok' : `${result.error.issues[0].path.join('.')}: ${result.error.issues[0].message}`;
  };

  it('MMPP with every rate 0', () => {
    expect(parse({ process: 'mmpp', rates: [0, 0], meanDurations: [1, 1] })).toBe('rates: expected at least one positive rate (all are 0: no request would ever arrive)');
    expect(parse({ process: 'mmpp', rates: [0, 5], meanDurations: [1, 1] })).toBe('ok');
  });

  it(`MMPP sojourns shorter than ${MIN_MMPP_SOJOURN_SECONDS} s, and Gamma cvs outside [${MIN_GAMMA_CV}, ${MAX_GAMMA_CV}]`, () => {
    expect(parse({ process: 'mmpp', rates: [1, 5], meanDurations: [1e-9, 1] })).toMatch(/^meanDurations\.0: /);
    expect(parse({ process: 'gamma', rate: 10, cv: 1e200 })).toMatch(/^cv: /);
    expect(parse({ process: 'gamma', rate: 10, cv: 1e-200 })).toMatch(/^cv: /);
    expect(parse({ process: 'gamma', rate: 10, cv: MAX_GAMMA_CV })).toBe('ok');
  });
});

describe('service-time distributions', () => {
  it.each([
    { dist: 'exponential', mean: 0.02 } as const,
    { dist: 'lognormal', mean: 0.05, cv: 0.8 } as const,
    { dist: 'gamma', mean: 0.05, cv: 0.3 } as const,
  ])('$dist matches its mean and cv', (spec) => {
    const draw = serviceTimeSampler(spec, stream(spec.dist));
    const values = Array.from({ length: 200_000 }, draw);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean / spec.mean).toBeCloseTo(1, 2);
    expect(cv(values)).toBeCloseTo(spec.dist === 'exponential' ? 1 : spec.cv, 1);
  });

  it('empirical resamples the given values only', () => {
    const draw = serviceTimeSampler({ dist: 'empirical', values: [0.1, 0.2, 0.4] }, stream());
    const seen = new Set(Array.from({ length: 1000 }, draw));
    expect([...seen].sort()).toEqual([0.1, 0.2, 0.4]);
  });

  it('exponential sampler is parameterised by its mean', () => {
    const draw = sampler.exponential(stream(), 4);
    const values = Array.from({ length: 100_000 }, draw);
    expect(values.reduce((a, b) => a + b, 0) / values.length).toBeCloseTo(4, 1);
  });
});
