import type { Uniform } from '../engine/random.js';
import { estimate, exactValue, isClosedForm, QueryScan, type AggregateOp, type FeatureEstimate } from './aggregates.js';
import type { PartitionedColumn } from './column.js';
import { sobolTargets, supportTargets } from './planner.js';
import { Propagator, type ModelFunction } from './qmc.js';

/**
 * Biathlon's defaults (GitHub ChaokunChang/Biathlon, apxinfer/examples/run.py and core/*, at commit
 * 6eac074): 5 % initial sample, β = 1 (k steps of 1 % per round), N = 128 QMC base points, 30 rows
 * minimum support, 100 bootstrap resamples, 1,000 rounds at most, τ = 0.95.
 */
export const BIATHLON_DEFAULTS = {
  initialFraction: 0.05,
  beta: 1,
  baseSamples: 128,
  minSupport: 30,
  bootstrapResamples: 100,
  maxRounds: 1000,
  tau: 0.95,
} as const;

export interface BiathlonOptions {
  /** Required confidence: P(|ŷ_approx − ŷ_exact| ≤ δ) ≥ τ. */
  tau: number;
  /** Allowed output error (0 for classifiers: the same class). */
  delta: number;
  initialFraction?: number;
  beta?: number;
  baseSamples?: number;
  minSupport?: number;
  bootstrapResamples?: number;
  maxRounds?: number;
}

/** The shape of a pipeline: its fixed features and its aggregation queries (one feature per operator). */
export interface PipelineShape {
  /** Features before the aggregates in a model row: request fields, feature-store values. */
  fixedFeatures: number;
  queries: { name: string; ops: AggregateOp[] }[];
}

/** One request's data: its fixed features and, per query, the rows its predicate selects. */
export interface ApproxRequest {
  fixed: ArrayLike<number>;
  columns: PartitionedColumn[];
}

/** What one round did, for the cost model, and how long each part took here. */
export interface RoundTrace {
  rowsScanned: number;
  partitionsScanned: number;
  /** Bootstrap work: resamples × sampled rows, over the operators without a closed form. */
  bootstrapRows: number;
  modelRows: number;
  scanSeconds: number;
  estimateSeconds: number;
  inferenceSeconds: number;
  planSeconds: number;
}

export interface ApproxResult {
  prediction: number;
  confidence: number;
  rounds: RoundTrace[];
  /** Mean over the queries of the fraction of partitions scanned at the end. */
  sampleFraction: number;
  /** Rows each query had read at the end. */
  rowsRead: number[];
  seconds: number;
}

export interface ExactResult {
  prediction: number;
  features: Float64Array;
  rowsScanned: number;
  partitionsScanned: number;
  seconds: number;
}

/** The feature vector layout of a shape: the query of each aggregate feature. */
function groupsOf(shape: PipelineShape): Int32Array {
  return Int32Array.from(shape.queries.flatMap((q, j) => q.ops.map(() => j)));
}

/**
 * The approximate pipeline: estimates every aggregate from a growing nested sample, propagates the
 * uncertainty through the model, and stops as soon as the output is within δ of the exact one's
 * with confidence τ; otherwise the planner picks where the next round's partitions go.
 */
export class Biathlon {
  private readonly propagator: Propagator;
  private readonly options: Required<BiathlonOptions>;
  private readonly rowBuffer: Float64Array;
  private readonly predictBuffer = new Float64Array(1);

  constructor(
    private readonly model: ModelFunction,
    private readonly shape: PipelineShape,
    options: BiathlonOptions,
    /** Per-query cost slope w_j (seconds per unit of sampling fraction), from the offline cost model. */
    private readonly costSlopes: ArrayLike<number>,
  ) {
    this.options = { ...BIATHLON_DEFAULTS, ...options };
    const groups = groupsOf(shape);
    this.propagator = new Propagator(model, shape.fixedFeatures, groups, shape.queries.length, this.options.baseSamples);
    this.rowBuffer = new Float64Array(shape.fixedFeatures + groups.length);
  }

  run(request: ApproxRequest, u: Uniform): ApproxResult {
    const start = performance.now();
    const { options, shape } = this;
    const scans = request.columns.map((c) => new QueryScan(c));
    const k = scans.length;
    let targets: Int32Array = Int32Array.from(scans, (s) => Math.max(1, Math.round(options.initialFraction * s.partitions)));
    const rounds: RoundTrace[] = [];
    for (;;) {
      const began = performance.now();
      let rowsScanned = 0;
      let partitionsScanned = 0;
      scans.forEach((scan, j) => {
        partitionsScanned += targets[j] - scan.parts;
        rowsScanned += scan.scanTo(targets[j]);
      });
      const scanned = performance.now();
      let bootstrapRows = 0;
      const features: FeatureEstimate[] = [];
      shape.queries.forEach((query, j) => {
        for (const op of query.ops) {
          features.push(estimate(op, scans[j], options, u));
          if (!isClosedForm(op) && !scans[j].exact) bootstrapRows += options.bootstrapResamples * scans[j].rows;
        }
      });
      const estimated = performance.now();
      const allExact = scans.every((s) => s.exact);
      let prediction: number;
      let confidence = 1;
      let modelRows = 1;
      let firstOrder: Float64Array | null = null;
      let stable = allExact;
      if (allExact) {
        prediction = this.predictOne(request.fixed, features);
      } else {
        const result = this.propagator.run(request.fixed, features, options.delta);
        ({ prediction, confidence, firstOrder, modelRows } = result);
        stable = confidence >= options.tau || result.variance === 0;
      }
      const inferred = performance.now();
      const done = stable || rounds.length + 1 >= options.maxRounds;
      if (!done) targets = supportTargets(scans, options.minSupport) ?? sobolTargets(scans, firstOrder as Float64Array, { steps: options.beta * k, costSlopes: this.costSlopes });
      const planned = performance.now();
      rounds.push({
        rowsScanned,
        partitionsScanned,
        bootstrapRows,
        modelRows,
        scanSeconds: (scanned - began) / 1000,
        estimateSeconds: (estimated - scanned) / 1000,
        inferenceSeconds: (inferred - estimated) / 1000,
        planSeconds: (planned - inferred) / 1000,
      });
      if (done) {
        const sampleFraction = scans.reduce((sum, scan) => sum + scan.fraction, 0) / k;
        return { prediction, confidence, rounds, sampleFraction, rowsRead: scans.map((scan) => scan.rows), seconds: (performance.now() - start) / 1000 };
      }
    }
  }

  private predictOne(fixed: ArrayLike<number>, features: FeatureEstimate[]): number {
    const row = this.rowBuffer;
    for (let c = 0; c < this.shape.fixedFeatures; c++) row[c] = fixed[c];
    features.forEach((f, i) => (row[this.shape.fixedFeatures + i] = f.value));
    this.model.predict(row, 1, this.predictBuffer);
    return this.predictBuffer[0];
  }
}

/** The exact feature row of a request: every query over all its rows, and the work that took. */
export function exactFeatureRow(shape: PipelineShape, request: ApproxRequest): { features: Float64Array; rowsScanned: number; partitionsScanned: number } {
  const features = new Float64Array(shape.fixedFeatures + groupsOf(shape).length);
  for (let c = 0; c < shape.fixedFeatures; c++) features[c] = request.fixed[c];
  let f = shape.fixedFeatures;
  let rowsScanned = 0;
  let partitionsScanned = 0;
  shape.queries.forEach((query, j) => {
    const scan = new QueryScan(request.columns[j]);
    rowsScanned += scan.scanTo(scan.partitions);
    partitionsScanned += scan.partitions;
    for (const op of query.ops) features[f++] = exactValue(op, scan);
  });
  return { features, rowsScanned, partitionsScanned };
}

/** The exact baseline: every query over all its rows, then one model call. */
export function runExact(model: ModelFunction, shape: PipelineShape, request: ApproxRequest): ExactResult {
  const start = performance.now();
  const row = exactFeatureRow(shape, request);
  const out = new Float64Array(1);
  model.predict(row.features, 1, out);
  return { prediction: out[0], ...row, seconds: (performance.now() - start) / 1000 };
}
