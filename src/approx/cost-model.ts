import MLR from 'ml-regression-multivariate-linear';
import { median } from 'simple-statistics';
import type { RoundTrace } from './biathlon.js';

/**
 * What a Biathlon request costs, per unit of work (seconds): the scan (per row read and per
 * partition fetched), the bootstrap (per resampled row), the model (per row evaluated) and a fixed
 * cost per round (estimates, Sobol indices, planning). Biathlon fits time_j(p) = b_j + w_j·p per
 * query from 50 offline requests and plans with w_j; this model has the same terms, split so that
 * the simulator can charge each round of a request what it did.
 */
export interface CostModel {
  rowSeconds: number;
  partitionSeconds: number;
  bootstrapRowSeconds: number;
  modelRowSeconds: number;
  roundSeconds: number;
}

/** What fetching a partition costs from a real column store: per query and per row returned. */
export interface StorageCost {
  /** The engine it was measured on. */
  engine: string;
  partitionSeconds: number;
  rowSeconds: number;
  /** Partition queries timed. */
  queries: number;
}

/** Where a pipeline's rows live: in this process's memory, or in a database fetched partition by partition. */
export type Storage = 'memory' | 'duckdb';

/** The cost model with every partition fetched from `storage` before it is aggregated in memory. */
export function withStorage(cost: CostModel, storage: StorageCost): CostModel {
  return { ...cost, rowSeconds: cost.rowSeconds + storage.rowSeconds, partitionSeconds: cost.partitionSeconds + storage.partitionSeconds };
}

/** Seconds one round costs under the model. */
export function roundCost(cost: CostModel, round: Pick<RoundTrace, 'rowsScanned' | 'partitionsScanned' | 'bootstrapRows' | 'modelRows'>): number {
  return (
    cost.rowSeconds * round.rowsScanned +
    cost.partitionSeconds * round.partitionsScanned +
    cost.bootstrapRowSeconds * round.bootstrapRows +
    cost.modelRowSeconds * round.modelRows +
    cost.roundSeconds
  );
}

/** Seconds the exact pipeline costs: every row and partition of every query, one model row. */
export function exactCost(cost: CostModel, rows: number, partitions: number): number {
  return cost.rowSeconds * rows + cost.partitionSeconds * partitions + cost.modelRowSeconds;
}

/** Biathlon's per-query slope w_j: seconds per unit of sampling fraction, for a group of `meanRows` rows in `partitions` partitions. */
export function costSlope(cost: CostModel, meanRows: number, partitions: number): number {
  return cost.rowSeconds * meanRows + cost.partitionSeconds * partitions;
}

/**
 * Least squares through the origin with non-negative coefficients: a column whose coefficient
 * comes out negative (noise around a cost near zero) is dropped and the rest refitted.
 */
export function nonNegativeFit(x: number[][], y: number[]): number[] {
  let columns = x[0].map((_, i) => i);
  for (;;) {
    const fit = new MLR(
      x.map((row) => columns.map((c) => row[c])),
      y.map((v) => [v]),
      { intercept: false },
    );
    const weights = fit.weights.map((w) => w[0]);
    const negative = weights.findIndex((w) => w < 0);
    if (negative < 0 || columns.length === 1) {
      const result = new Array(x[0].length).fill(0);
      columns.forEach((c, i) => (result[c] = Math.max(0, weights[i])));
      return result;
    }
    columns = columns.filter((_, i) => i !== negative);
  }
}

/** Scan timings: rows and partitions read, and the seconds that took. */
export interface ScanTiming {
  rows: number;
  partitions: number;
  seconds: number;
}

/**
 * Fits the cost model from scan timings, the model's measured seconds per row, and the phases of
 * measured Biathlon rounds (whose model batches are all the same size, so the per-row model cost
 * is timed apart and the rest of the inference phase counts as fixed per round).
 */
export function fitCostModel(scans: ScanTiming[], modelRowSeconds: number, rounds: RoundTrace[]): CostModel {
  const [rowSeconds, partitionSeconds] = nonNegativeFit(
    scans.map((s) => [s.rows, s.partitions]),
    scans.map((s) => s.seconds),
  );
  const [bootstrapRowSeconds] = nonNegativeFit(
    rounds.map((r) => [r.bootstrapRows, 1]),
    rounds.map((r) => r.estimateSeconds),
  );
  // Fixed costs are medians: on a shared machine a round now and then loses the CPU for a while.
  const fixed = median(rounds.map((r) => r.estimateSeconds - bootstrapRowSeconds * r.bootstrapRows + r.inferenceSeconds - modelRowSeconds * r.modelRows + r.planSeconds));
  return { rowSeconds, partitionSeconds, bootstrapRowSeconds, modelRowSeconds, roundSeconds: Math.max(0, fixed) };
}
