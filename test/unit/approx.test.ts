import { describe, expect, test } from 'vitest';
import { RandomStreams, sampler } from '../../src/engine/random.js';
import { estimate, QueryScan, type AggregateOp, type FeatureEstimate } from '../../src/approx/aggregates.js';
import { Biathlon, runExact, type PipelineShape } from '../../src/approx/biathlon.js';
import { partitionIid, partitionValues } from '../../src/approx/column.js';
import { accuracy, PipelineEvaluator, preparePipeline } from '../../src/approx/evaluate.js';
import { SYNTHETIC_PIPELINES } from '../../src/approx/pipelines.js';
import { Propagator, type ModelFunction } from '../../src/approx/qmc.js';
import { sobolTargets, supportTargets } from '../../src/approx/planner.js';
import type { CostModel } from '../../src/approx/cost-model.js';
import { validateSpec } from '../../src/experiment/load-spec.js';
import type { SpecInput } from '../../src/experiment/spec.js';
import { simulate } from '../helpers/run.js';
import { servesim, tempDir } from '../helpers/cli.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const OPTIONS = { minSupport: 30, bootstrapResamples: 100 };

/** A linear model Σ w_j x_j over as many inputs as weights. */
function linear(weights: number[]): ModelFunction {
  return {
    task: 'regression',
    predict(x, rows, out) {
      for (let r = 0; r < rows; r++) {
        let sum = 0;
        for (let j = 0; j < weights.length; j++) sum += weights[j] * x[r * weights.length + j];
        out[r] = sum;
      }
    },
  };
}

const sd = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
};

describe('estimators', () => {
  // One population, partitioned afresh each repetition: the spread of the estimates over the
  // repetitions is the true standard error the estimators report.
  const streams = new RandomStreams(3);
  const u = streams.uniform('population');
  const normal = sampler.normal(u);
  const population = Float64Array.from({ length: 20_000 }, () => 5 + 2 * normal());
  const exact = (op: AggregateOp) => {
    const scan = new QueryScan({ values: population, offsets: Int32Array.of(0, population.length) });
    scan.scanTo(1);
    return estimate(op, scan, OPTIONS, u).value;
  };

  test.each<[AggregateOp, number]>([
    ['avg', 10],
    ['sum', 10],
    ['count', 10],
    ['var', 10],
    ['std', 10],
    ['median', 10],
  ])('%s at %i partitions of 100: unbiased, and its standard error matches the spread of estimates', (op, parts) => {
    const estimates: number[] = [];
    const errors: number[] = [];
    const partition = streams.uniform(`partition:${op}`);
    for (let rep = 0; rep < 300; rep++) {
      const scan = new QueryScan(partitionValues(population, partition));
      scan.scanTo(parts);
      const e = estimate(op, scan, OPTIONS, partition) as Exclude<FeatureEstimate, { kind: 'exact' }>;
      estimates.push(e.value);
      errors.push(e.kind === 'normal' ? e.stderr : sd([...e.draws]));
    }
    const spread = sd(estimates);
    const reported = errors.reduce((a, b) => a + b, 0) / errors.length;
    const mean = estimates.reduce((a, b) => a + b, 0) / estimates.length;
    expect(Math.abs(mean - exact(op))).toBeLessThan((3 * spread) / Math.sqrt(estimates.length) + 1e-9);
    // Bootstrap standard errors of a median are rougher than the closed forms.
    expect(reported / spread).toBeGreaterThan(op === 'median' ? 0.75 : 0.85);
    expect(reported / spread).toBeLessThan(op === 'median' ? 1.35 : 1.15);
  });

  test('a feature with fewer rows than the minimum support is unknown, and exact once all partitions are read', () => {
    const scan = new QueryScan(partitionIid(population.slice(0, 200), u));
    scan.scanTo(5);
    const small = estimate('avg', scan, OPTIONS, u);
    expect(small.kind === 'normal' && small.stderr).toBe(1e9);
    scan.scanTo(100);
    expect(estimate('avg', scan, OPTIONS, u)).toEqual({ kind: 'exact', value: expect.closeTo(population.slice(0, 200).reduce((a, b) => a + b) / 200, 9) });
  });
});

describe('quasi-Monte Carlo propagation', () => {
  test('a linear model: confidence and first-order Sobol indices match their closed forms', () => {
    const weights = [1, 2, 0.5];
    const stderrs = [0.3, 0.2, 0.4];
    const propagator = new Propagator(linear(weights), 0, Int32Array.of(0, 1, 2), 3, 128);
    const features: FeatureEstimate[] = stderrs.map((stderr, j) => ({ kind: 'normal', value: j, stderr }));
    const variances = weights.map((w, j) => (w * stderrs[j]) ** 2);
    const sigma = Math.sqrt(variances.reduce((a, b) => a + b));
    const delta = 1.959964 * sigma;
    const result = propagator.run([], features, delta);
    expect(result.prediction).toBeCloseTo(1 * 0 + 2 * 1 + 0.5 * 2, 1);
    expect(result.variance).toBeCloseTo(sigma ** 2, 1);
    // conf = P(|N(0, σ)| ≤ δ) = 2Φ(δ/σ) − 1 = 0.95 at δ = 1.96σ.
    expect(Math.abs(result.confidence - 0.95)).toBeLessThan(0.015);
    // Saltelli's estimator at N = 128 is rough (SALib's examples use N ≥ 1,024); the order is what the planner uses.
    result.firstOrder.forEach((s1, j) => expect(Math.abs(s1 - variances[j] / sigma ** 2)).toBeLessThan(0.15));
    expect([...result.firstOrder].map((_, j) => j).sort((a, b) => result.firstOrder[b] - result.firstOrder[a])).toEqual([1, 0, 2]);
  });
});

describe('planner', () => {
  const column = (rows: number) => partitionIid(new Float64Array(rows).fill(1), new RandomStreams(1).uniform('p'));

  test('the support heuristic jumps a small group to 50 % and then to 100 %', () => {
    const scans = [new QueryScan(column(25)), new QueryScan(column(100_000))];
    scans.forEach((s) => s.scanTo(5));
    const first = supportTargets(scans, 30) as Int32Array;
    expect([...first]).toEqual([50, 5]);
    scans[0].scanTo(50);
    expect([...(supportTargets(scans, 30) as Int32Array)]).toEqual([100, 5]);
    scans[0].scanTo(100);
    expect(supportTargets(scans, 30)).toBeNull();
  });

  test('the steps go to the highest S1 per unit of remaining cost, spilling over at 100 %', () => {
    const scans = [new QueryScan(column(10_000)), new QueryScan(column(10_000))];
    scans[0].scanTo(99);
    scans[1].scanTo(5);
    expect([...sobolTargets(scans, [0.9, 0.1], { steps: 2, costSlopes: [1, 1] })]).toEqual([100, 6]);
    // Dividing by the unscanned fraction favours a nearly finished query.
    scans[0] = new QueryScan(column(10_000));
    scans[0].scanTo(50);
    expect([...sobolTargets(scans, [0.1, 0.9], { steps: 2, costSlopes: [1, 1] })]).toEqual([50, 7]);
    // A query ten times as costly needs ten times the influence.
    expect([...sobolTargets(scans, [0.5, 0.1], { steps: 1, costSlopes: [100, 1] })]).toEqual([50, 6]);
  });

  test("on a linear model the final allocation costs little more than the Neyman-style optimum", () => {
    // f = Σ w_j·avg_j; the cheapest plan with Var ≤ V has n_j ∝ |w_j|·s_j/√c_j (equal row costs here)
    // and costs (Σ|w_j| s_j)²/V rows; Biathlon's greedy 1 % steps should come close.
    const weights = [1, 3];
    const spreads = [1, 1];
    const sizes = [200_000, 200_000];
    const streams = new RandomStreams(5);
    const u = streams.uniform('data');
    const normal = sampler.normal(u);
    const shape: PipelineShape = { fixedFeatures: 0, queries: [{ name: 'a', ops: ['avg'] }, { name: 'b', ops: ['avg'] }] };
    const engine = new Biathlon(linear(weights), shape, { tau: 0.95, delta: 0.02, initialFraction: 0.01 }, sizes.map((n) => n * 1e-9));
    const columns = sizes.map((n, j) => partitionIid(Float64Array.from({ length: n }, () => spreads[j] * normal()), u));
    const result = engine.run({ fixed: [], columns }, u);
    const variance = (n: number[]) => n.reduce((sum, nj, j) => sum + (weights[j] * spreads[j]) ** 2 / nj, 0);
    const final = result.rowsRead;
    const optimum = weights.reduce((sum, w, j) => sum + Math.abs(w) * spreads[j], 0) ** 2 / variance(final);
    expect(final[1]).toBeGreaterThan(final[0]);
    expect(result.rounds.reduce((sum, r) => sum + r.rowsScanned, 0)).toBe(final[0] + final[1]);
    expect((final[0] + final[1]) / optimum).toBeLessThan(1.3);
  });
});

describe('the guarantee on the synthetic pipelines', () => {
  const cost: CostModel = { rowSeconds: 4e-9, partitionSeconds: 1e-7, bootstrapRowSeconds: 1e-8, modelRowSeconds: 7e-7, roundSeconds: 2e-4 };

  // Every pipeline with seed 11; the two quickest again with other data and models.
  const cases = [...SYNTHETIC_PIPELINES.map((p) => [p.name, 11, p] as const), ...['tick-price', 'fraud-detection'].map((name) => [name, 12, SYNTHETIC_PIPELINES.find((p) => p.name === name)!] as const)];

  test.each(cases)('%s, seed %i: meet rate ≥ τ within binomial noise at τ = 0.95', async (_, seed, pipeline) => {
    const streams = new RandomStreams(seed);
    const prepared = await preparePipeline(pipeline, { trainRequests: 300, validRequests: 100, rowScale: 1, seed, streams: (n) => streams.uniform(n) });
    const tau = 0.95;
    const evaluator = new PipelineEvaluator(prepared, [{ tau, delta: prepared.delta }], cost);
    const data = streams.uniform('test');
    const serve = streams.uniform('serve');
    const requests = 120;
    let met = 0;
    for (let i = 0; i < requests; i++) if (evaluator.evaluate(pipeline.generate(data, 1), serve).outcomes[0].met) met++;
    expect(met / requests).toBeGreaterThanOrEqual(tau - 2 * Math.sqrt((tau * (1 - tau)) / requests));
  }, 60_000);

  test('same seed, same predictions, rounds and simulated times', async () => {
    const pipeline = SYNTHETIC_PIPELINES.find((p) => p.name === 'tick-price')!;
    const run = async () => {
      const streams = new RandomStreams(2);
      const prepared = await preparePipeline(pipeline, { trainRequests: 60, validRequests: 20, rowScale: 0.05, seed: 2, streams: (n) => streams.uniform(n) });
      const evaluator = new PipelineEvaluator(prepared, [{ tau: 0.9, delta: prepared.delta / 2 }], cost);
      const data = streams.uniform('test');
      return Array.from({ length: 20 }, () => {
        const o = evaluator.evaluate(pipeline.generate(data, 0.05), data).outcomes[0];
        return [o.prediction, o.rounds, o.simulatedSeconds, o.sampleFraction];
      });
    };
    expect(await run()).toEqual(await run());
  });

  test('the exact baseline reads every row once and agrees with the features computed directly', () => {
    const u = new RandomStreams(4).uniform('x');
    const values = Float64Array.from({ length: 5_000 }, () => u());
    const shape: PipelineShape = { fixedFeatures: 1, queries: [{ name: 'q', ops: ['count', 'avg', 'max'] }] };
    const result = runExact({ task: 'regression', predict: (x, rows, out) => out.fill(x[0] + x[1] + x[2] + x[3], 0, rows) }, shape, { fixed: [7], columns: [partitionIid(values, u)] });
    expect(result.rowsScanned).toBe(5_000);
    expect(result.partitionsScanned).toBe(100);
    expect([...result.features]).toEqual([7, 5_000, expect.closeTo(values.reduce((a, b) => a + b) / 5_000, 9), Math.max(...values)]);
  });

  test('accuracy: r² for regression, F1 for classification', () => {
    expect(accuracy('regression', 0, [1, 2, 3], [1, 2, 3])).toBe(1);
    expect(accuracy('classification', 2, [1, 1, 0, 0], [1, 0, 0, 1])).toBeCloseTo(0.5);
  });
});

describe('Biathlon deployments in a simulated cluster', () => {
  const spec = (mode: 'exact' | 'approximate'): SpecInput => ({
    name: `tick-${mode}`,
    seed: 3,
    duration: 20,
    workload: { arrivals: { process: 'poisson', rate: 400 } },
    deployments: [{ name: 'tick', replicas: 1, cores: 1, biathlon: { pipeline: 'tick-price', mode, requests: 40 } }],
  });

  test('the same trace served exactly and by Biathlon: every request accounted for, deterministic, Biathlon faster on a scan-dominated pipeline', async () => {
    const exact = await simulate(spec('exact'));
    const approximate = await simulate(spec('approximate'));
    expect(exact.requests).toBe(approximate.requests);
    for (const s of [exact, approximate]) expect(s.completed + s.dropped + s.inFlight).toBe(s.requests);
    expect(approximate.latencyMs.mean as number).toBeLessThan(exact.latencyMs.mean as number);
    expect(await simulate(spec('approximate'))).toEqual({ ...approximate, wallSeconds: expect.any(Number), timing: expect.any(Object) });
  }, 60_000);

  test('a deployment takes exactly one of serviceTime, profile and biathlon', () => {
    const both = spec('exact');
    both.deployments[0].serviceTime = { dist: 'exponential', mean: 0.01 };
    expect(() => validateSpec(both, 'both.json')).toThrow(/exactly one of "serviceTime", "profile" and "biathlon"/);
    const unknown = spec('exact');
    (unknown.deployments[0].biathlon as { pipeline: string }).pipeline = 'nope';
    expect(() => validateSpec(unknown, 'unknown.json')).toThrow(/biathlon\.pipeline/);
  });
});

describe('servesim approx: a user table and model', () => {
  const dir = tempDir();
  // Two zones' trips: fares around 10 and 30; a request's fare prediction is 0.5·distance + its zone's mean fare.
  const u = new RandomStreams(9).uniform('trips');
  const rows = ['zone,fare,distance'];
  for (let i = 0; i < 40_000; i++) {
    const zone = i % 2 === 0 ? 'a' : 'b';
    rows.push(`${zone},${((zone === 'a' ? 10 : 30) + 4 * (u() - 0.5)).toFixed(3)},${(5 * u()).toFixed(3)}`);
  }
  writeFileSync(join(dir, 'trips.csv'), `${rows.join('\n')}\n`);
  writeFileSync(join(dir, 'requests.csv'), 'zone,distance\na,1\nb,2\na,3\nb,4\n');
  writeFileSync(join(dir, 'model.mjs'), 'export const task = "regression";\nexport function predict(rows) { return rows.map(([distance, count, fare]) => 0.5 * distance + fare); }\n');
  const args = ['approx', '--table', join(dir, 'trips.csv'), '--key', 'zone', '--queries', 'fare:count,avg', '--requests', join(dir, 'requests.csv'), '--model', join(dir, 'model.mjs'), '--delta', '0.2', '--out', dir];

  test('serves every request exactly and approximately, within δ', () => {
    const result = servesim(...args);
    expect(result.status).toBe(0);
    const lines = readFileSync(join(dir, 'approx.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('key,exact,approximate,met,rounds,sample_fraction,exact_ms,approx_ms');
    expect(lines).toHaveLength(5);
    for (const line of lines.slice(1)) {
      const [, exact, approximate, met, , fraction] = line.split(',').map(Number);
      expect(met).toBe(1);
      expect(Math.abs(exact - approximate)).toBeLessThanOrEqual(0.2);
      expect(fraction).toBeLessThan(0.2);
    }
  });

  test('bad input: one line naming the file, column or flag, exit code 2', () => {
    for (const [flag, value, message] of [
      ['--queries', 'fare:mean', /unknown operator "mean"/],
      ['--key', 'city', /no key column "city"/],
      ['--tau', '2', /--tau: expected a number in \[0, 1\]/],
    ] as const) {
      const at = args.indexOf(flag);
      const bad = at < 0 ? [...args, flag, value] : args.map((a, i) => (i === at + 1 ? value : a));
      const result = servesim(...bad);
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  test('a malformed cost model file is named, with the field, exit code 2', () => {
    const file = join(dir, 'cost.json');
    writeFileSync(file, JSON.stringify({ machine: 'x', node: 'y', pipelines: { 'trip-fare': { rowSeconds: -1 } } }));
    const result = servesim('reproduce', 'biathlon', '--cost-model', file, '--pipelines', 'trip-fare', '--out', dir);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/cost\.json: pipelines\.trip-fare\.rowSeconds/);
  });
});
