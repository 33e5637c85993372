import type { Uniform } from '../engine/random.js';
import { QueryScan } from './aggregates.js';
import { Biathlon, BIATHLON_DEFAULTS, type RoundTrace } from './biathlon.js';
import { DEFAULT_PARTITIONS, partitionIid } from './column.js';
import { fitCostModel, type CostModel, type ScanTiming } from './cost-model.js';
import type { PreparedPipeline } from './evaluate.js';

/** Biathlon profiles its cost model on 50 offline requests (offline_nreqs = 50). */
export const OFFLINE_REQUESTS = 50;

/** Sampling fractions each query is timed at: 1 %, 2 %, …, 100 % (Biathlon's ncfgs = 100), every 5th here. */
const PROFILED_PARTS = Array.from({ length: 20 }, (_, i) => 5 * (i + 1));

/**
 * Measures a pipeline's cost model on this machine, as Biathlon's offline profiling does: every
 * query of `requests` generated requests is scanned from scratch to a range of sampling fractions
 * and timed, and the pipeline is run under Biathlon's defaults so that the phases of its rounds
 * (bootstrap, model, planning) are timed too; then the costs per unit of work are fitted.
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
    const columns = generated.rows.map((rows) => partitionIid(rows, u));
    for (const column of columns) {
      for (const parts of PROFILED_PARTS) {
        const scan = new QueryScan(column);
        const start = performance.now();
        const rows = scan.scanTo(parts);
        scans.push({ rows, partitions: parts, seconds: (performance.now() - start) / 1000 });
      }
    }
    rounds.push(...engine.run({ fixed: generated.fixed, columns }, u).rounds);
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
