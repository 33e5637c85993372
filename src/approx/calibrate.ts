import type { Uniform } from '../engine/random.js';
import { Biathlon, BIATHLON_DEFAULTS, runExact, type RoundTrace } from './biathlon.js';
import { DEFAULT_PARTITIONS, partitionIid } from './column.js';
import { fitCostModel, type CostModel, type ScanTiming } from './cost-model.js';
import type { PreparedPipeline } from './evaluate.js';

/** Biathlon profiles its cost model on 50 offline requests (offline_nreqs = 50). */
export const OFFLINE_REQUESTS = 50;

/**
 * Measures a pipeline's cost model on this machine, in the spirit of Biathlon's offline profiling
 * (which times every query at every sampling fraction): `requests` generated requests are served
 * exactly and by Biathlon under its defaults, and the scans of both (the exact pipeline's full
 * scans, each round's incremental ones) are regressed on rows and partitions read, the rounds'
 * other phases (bootstrap, model, planning) on their own work; the model's cost per row is timed
 * on a batch of one round's size. Timing the scans where they really run keeps their memory
 * traffic as in serving, which repeated scans of one cached column would not.
 */
export function calibrateCosts(prepared: PreparedPipeline, u: Uniform, options: { requests: number; rowScale: number }): CostModel {
  const { pipeline, model } = prepared;
  const scans: ScanTiming[] = [];
  const rounds: RoundTrace[] = [];
  // A provisional cost (1 ns a row, 1 µs a partition) only orders the planner's choices while timing.
  const slopes = prepared.meanRows.map((rows) => 1e-9 * rows + 1e-6 * DEFAULT_PARTITIONS);
  const engine = new Biathlon(model, pipeline.shape, { tau: 0.95, delta: prepared.delta }, slopes);
  for (let i = 0; i < options.requests; i++) {
    const generated = pipeline.generate(u, options.rowScale);
    const request = { fixed: generated.fixed, columns: generated.rows.map((rows) => partitionIid(rows, u)) };
    const exact = runExact(model, pipeline.shape, request);
    scans.push({ rows: exact.rowsScanned, partitions: exact.partitionsScanned, seconds: exact.seconds });
    const run = engine.run(request, u).rounds;
    rounds.push(...run);
    scans.push(...run.map((r) => ({ rows: r.rowsScanned, partitions: r.partitionsScanned, seconds: r.scanSeconds })));
  }
  return fitCostModel(scans, modelRowSeconds(prepared), rounds);
}

/** Seconds per row of the model on batches of one QMC round's size, best of several timings. */
function modelRowSeconds(prepared: PreparedPipeline): number {
  const { shape } = prepared.pipeline;
  const rows = BIATHLON_DEFAULTS.baseSamples * (shape.queries.length + 2);
  const inputs = shape.fixedFeatures + shape.queries.reduce((n, q) => n + q.ops.length, 0);
  const x = new Float64Array(rows * inputs).map((_, i) => (i % 7) / 7);
  const out = new Float64Array(rows);
  let best = Infinity;
  for (let i = 0; i < 30; i++) {
    const start = performance.now();
    prepared.model.predict(x, rows, out);
    best = Math.min(best, (performance.now() - start) / 1000 / rows);
  }
  return best;
}
