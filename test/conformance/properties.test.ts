import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SpecInput } from '../../src/experiment/spec.js';
import { simulate } from '../helpers/run.js';

/**
 * Properties over random specs: whatever the cluster model is asked to do — queue limits, drop
 * limits, batching, several stages, a controller scaling and resizing — every request is completed,
 * dropped and counted, or still in flight at the end, and the same spec and seed give the same
 * summary.
 */
const serviceTime = fc.oneof(
  fc.record({ dist: fc.constant('exponential' as const), mean: fc.double({ min: 0.002, max: 0.2, noNaN: true }) }),
  fc.record({ dist: fc.constant('deterministic' as const), value: fc.double({ min: 0.002, max: 0.2, noNaN: true }) }),
  fc.record({ dist: fc.constant('lognormal' as const), mean: fc.double({ min: 0.002, max: 0.2, noNaN: true }), cv: fc.double({ min: 0.1, max: 2, noNaN: true }) }),
);

const deployment = (name: string) =>
  fc.record(
    {
      name: fc.constant(name),
      replicas: fc.integer({ min: 0, max: 4 }),
      cores: fc.integer({ min: 1, max: 4 }),
      serviceTime,
      concurrency: fc.integer({ min: 1, max: 3 }),
      queue: fc.constantFrom('central' as const, 'per-replica' as const),
      router: fc.constantFrom('round-robin' as const, 'least-outstanding' as const, 'random' as const),
      discipline: fc.constantFrom('fifo' as const, 'edf' as const),
      queueLimit: fc.integer({ min: 0, max: 50 }),
      dropAfterSeconds: fc.double({ min: 0.05, max: 5, noNaN: true }),
      dropLate: fc.boolean(),
      batching: fc.record({ maxBatch: fc.integer({ min: 1, max: 8 }), maxWaitSeconds: fc.double({ min: 0, max: 0.05, noNaN: true }) }),
      lifecycle: fc.record({ containerStartSeconds: fc.double({ min: 0, max: 3, noNaN: true }), terminationGraceSeconds: fc.double({ min: 0, max: 2, noNaN: true }) }),
    },
    { requiredKeys: ['name', 'replicas', 'serviceTime'] },
  );

const spec: fc.Arbitrary<SpecInput> = fc.integer({ min: 1, max: 3 }).chain((stages) =>
  fc
    .record({
      seed: fc.integer({ min: 0, max: 1000 }),
      rate: fc.double({ min: 1, max: 200, noNaN: true }),
      slo: fc.double({ min: 0.01, max: 2, noNaN: true }),
      drain: fc.boolean(),
      deployments: fc.tuple(...Array.from({ length: stages }, (_, i) => deployment(`d${i}`))),
      hpa: fc.option(fc.record({ targetUtilization: fc.double({ min: 0.2, max: 0.9, noNaN: true }), maxReplicas: fc.integer({ min: 1, max: 6 }) }), { nil: undefined }),
    })
    .map(({ seed, rate, slo, drain, deployments, hpa }): SpecInput => ({
      name: 'random',
      seed,
      duration: 20,
      window: 2,
      drain,
      workload: { arrivals: { process: 'poisson', rate }, slo },
      // A drained run must end: the first stage always keeps a replica to serve what is left.
      deployments: deployments.map((d, i) => (i === 0 ? { ...d, replicas: Math.max(1, d.replicas) } : d)),
      pipelines: [{ name: 'p', stages: deployments.map((d) => ({ name: `s-${d.name}`, deployments: [d.name] })) }],
      policy: hpa === undefined ? { name: 'static' } : { name: 'hpa', deployment: 'd0', metric: 'cpu', minReplicas: 1, syncSeconds: 3, ...hpa },
      metricsServer: { scrapeSeconds: 2 },
    })),
);

const withoutTiming = (s: object) => JSON.parse(JSON.stringify(s, (key, value) => (key === 'wallSeconds' || key === 'timing' ? undefined : value)));

describe('random specs', () => {
  it('conserve every request and give the same summary for the same seed', async () => {
    const seen = { runs: 0, dropped: 0, inFlight: 0, scaled: 0 };
    await fc.assert(
      fc.asyncProperty(spec, async (input) => {
        // A drained run of a stage with no replicas would wait forever: nothing can serve it.
        fc.pre(!input.drain || input.deployments.every((d) => d.replicas > 0));
        const a = await simulate(input);
        expect(a.requests).toBe(a.completed + a.dropped + a.inFlight);
        expect(a.dropped).toBeLessThanOrEqual(a.requests);
        if (input.drain) expect(a.inFlight).toBe(0);
        const b = await simulate(input);
        expect(withoutTiming(b)).toEqual(withoutTiming(a));
        seen.runs++;
        if (a.dropped > 0) seen.dropped++;
        if (a.inFlight > 0) seen.inFlight++;
        if (a.reconfigurations > 0) seen.scaled++;
      }),
      { numRuns: 100, seed: 7 },
    );
    // The property was tried where it can fail: runs that dropped, ended with work in flight, or scaled.
    expect(seen.runs).toBeGreaterThan(50);
    expect(Math.min(seen.dropped, seen.inFlight, seen.scaled)).toBeGreaterThan(0);
  }, 120_000);
});
