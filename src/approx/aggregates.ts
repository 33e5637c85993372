import { max, median as sampleMedian, min } from 'simple-statistics';
import type { Uniform } from '../engine/random.js';
import { partitionCount, type PartitionedColumn } from './column.js';

/** The aggregation operators: the first five have closed-form standard errors, the rest use the bootstrap. */
export const AGGREGATE_OPS = ['count', 'sum', 'avg', 'var', 'std', 'median', 'min', 'max', 'count-distinct'] as const;
export type AggregateOp = (typeof AGGREGATE_OPS)[number];

/** simple-statistics reads any array-like of numbers (indexing, `slice`), though its types say number[]. */
const numbers = (values: Float64Array) => values as unknown as number[];

const CLOSED_FORM: ReadonlySet<AggregateOp> = new Set(['count', 'sum', 'avg', 'var', 'std']);

export function isClosedForm(op: AggregateOp): boolean {
  return CLOSED_FORM.has(op);
}

/** A feature as the model's uncertainty sees it: exact, normal around an estimate, or a bootstrap distribution. */
export type FeatureEstimate =
  | { kind: 'exact'; value: number }
  | { kind: 'normal'; value: number; stderr: number }
  | { kind: 'bootstrap'; value: number; draws: Float64Array };

export interface EstimateOptions {
  /** Below this many sampled rows a feature is too uncertain to use (Biathlon's err_min_support = 30). */
  minSupport: number;
  /** Bootstrap resamples for operators without a closed form (Biathlon's bs_nresamples = 100). */
  bootstrapResamples: number;
}

/** Biathlon's stand-in for "unknown": a standard error so large that the planner must refine. */
export const UNSUPPORTED_STDERR = 1e9;

/**
 * Running sufficient statistics of one query's sample: count, and sums of values and squares taken
 * about a shift (the first row) so that the variance does not cancel catastrophically. Scanning
 * further only reads the new partitions.
 */
export class QueryScan {
  parts = 0;
  rows = 0;
  private readonly shift: number;
  private sum = 0;
  private sumSquares = 0;
  private minimum = Infinity;
  private maximum = -Infinity;

  constructor(readonly column: PartitionedColumn) {
    this.shift = column.values.length > 0 ? column.values[0] : 0;
  }

  get partitions(): number {
    return partitionCount(this.column);
  }

  /** Fraction of the partitions scanned. */
  get fraction(): number {
    return this.parts / this.partitions;
  }

  get exact(): boolean {
    return this.parts === this.partitions;
  }

  /** The rows scanned so far (a view, no copy): a uniform sample of the group. */
  get sample(): Float64Array {
    return this.column.values.subarray(0, this.rows);
  }

  /** Reads partitions [parts, to); returns the rows read. */
  scanTo(to: number): number {
    const values = this.column.values;
    const end = this.column.offsets[to];
    const shift = this.shift;
    let sum = this.sum;
    let squares = this.sumSquares;
    let lo = this.minimum;
    let hi = this.maximum;
    for (let i = this.rows; i < end; i++) {
      const x = values[i];
      const d = x - shift;
      sum += d;
      squares += d * d;
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    const read = end - this.rows;
    this.sum = sum;
    this.sumSquares = squares;
    this.minimum = lo;
    this.maximum = hi;
    this.rows = end;
    this.parts = Math.max(this.parts, to);
    return read;
  }

  mean(): number {
    return this.rows === 0 ? 0 : this.shift + this.sum / this.rows;
  }

  total(): number {
    return this.shift * this.rows + this.sum;
  }

  /** Sample variance (n − 1 in the denominator). */
  variance(): number {
    const n = this.rows;
    return n < 2 ? 0 : Math.max(0, (this.sumSquares - (this.sum * this.sum) / n) / (n - 1));
  }

  /** Σ x² over the sample (for the standard error of SUM). */
  sumOfSquares(): number {
    return this.sumSquares + 2 * this.shift * this.sum + this.rows * this.shift * this.shift;
  }

  min(): number {
    return this.rows === 0 ? 0 : this.minimum;
  }

  max(): number {
    return this.rows === 0 ? 0 : this.maximum;
  }
}

/** The operator applied to the sampled rows as they are (COUNT and SUM not yet scaled up). */
function onSample(op: AggregateOp, scan: QueryScan): number {
  switch (op) {
    case 'count':
      return scan.rows;
    case 'sum':
      return scan.total();
    case 'avg':
      return scan.mean();
    case 'var':
      return scan.variance();
    case 'std':
      return Math.sqrt(scan.variance());
    case 'min':
      return scan.min();
    case 'max':
      return scan.max();
    case 'median':
      return median(scan.sample);
    case 'count-distinct':
      return new Set(scan.sample).size;
  }
}

/** The exact value of the operator over all of a query's rows (scans what is left). */
export function exactValue(op: AggregateOp, scan: QueryScan): number {
  scan.scanTo(scan.partitions);
  return onSample(op, scan);
}

/**
 * The estimate of one feature from the sample so far, with its uncertainty (Biathlon's approximate
 * feature computation). COUNT and SUM are scaled up by 1/p; the others are taken on the sample.
 * Standard errors treat each row as included independently with probability p (the partition
 * layout), which gives the finite-population factor (1 − p) and makes them 0 at p = 1.
 */
export function estimate(op: AggregateOp, scan: QueryScan, options: EstimateOptions, u: Uniform): FeatureEstimate {
  if (scan.exact) return { kind: 'exact', value: onSample(op, scan) };
  const p = scan.fraction;
  const n = scan.rows;
  if (n < options.minSupport) {
    const value = op === 'count' || op === 'sum' ? (p === 0 ? 0 : onSample(op, scan) / p) : onSample(op, scan);
    return { kind: 'normal', value, stderr: UNSUPPORTED_STDERR };
  }
  const keep = 1 - p;
  switch (op) {
    case 'count':
      return { kind: 'normal', value: n / p, stderr: Math.sqrt(n * keep) / p };
    case 'sum':
      return { kind: 'normal', value: scan.total() / p, stderr: Math.sqrt(keep * scan.sumOfSquares()) / p };
    case 'avg':
      return { kind: 'normal', value: scan.mean(), stderr: Math.sqrt((scan.variance() / n) * keep) };
    case 'var': {
      const s2 = scan.variance();
      return { kind: 'normal', value: s2, stderr: s2 * Math.sqrt(2 / (n - 1)) };
    }
    case 'std': {
      const s = Math.sqrt(scan.variance());
      return { kind: 'normal', value: s, stderr: s / Math.sqrt(2 * (n - 1)) };
    }
    default:
      return bootstrap(op, scan, options.bootstrapResamples, u);
  }
}

/**
 * Bootstrap distribution of a statistic without a closed form: resample the sample with
 * replacement. The draws are shifted by the bootstrap's bias estimate (statistic − mean of draws),
 * so they centre on the bias-corrected estimate 2·statistic − mean, which is the point value.
 */
function bootstrap(op: AggregateOp, scan: QueryScan, resamples: number, u: Uniform): FeatureEstimate {
  const sample = scan.sample;
  const n = sample.length;
  const statistic = onSample(op, scan);
  const draws = new Float64Array(resamples);
  const resample = new Float64Array(n);
  const codes = op === 'count-distinct' ? categoryCodes(sample) : null;
  const seen = codes === null ? null : new Int32Array(codes.categories).fill(-1);
  for (let b = 0; b < resamples; b++) {
    if (codes !== null && seen !== null) {
      let distinct = 0;
      for (let i = 0; i < n; i++) {
        const c = codes.ids[Math.floor(u() * n)];
        if (seen[c] !== b) {
          seen[c] = b;
          distinct++;
        }
      }
      draws[b] = distinct;
      continue;
    }
    for (let i = 0; i < n; i++) resample[i] = sample[Math.floor(u() * n)];
    draws[b] = op === 'median' ? median(resample) : op === 'min' ? min(numbers(resample)) : max(numbers(resample));
  }
  // Not simple-statistics' mean: the committed student-qa results depend on this exact rounding
  // (a correctly rounded mean of the integer COUNT DISTINCT draws moves them).
  let mean = 0;
  for (const d of draws) mean += d / resamples;
  const shift = statistic - mean;
  for (let b = 0; b < resamples; b++) draws[b] += 2 * shift;
  draws.sort();
  return { kind: 'bootstrap', value: statistic + shift, draws };
}

/** Small integer ids for the distinct values of a sample. */
function categoryCodes(sample: Float64Array): { ids: Int32Array; categories: number } {
  const index = new Map<number, number>();
  const ids = new Int32Array(sample.length);
  for (let i = 0; i < sample.length; i++) {
    let id = index.get(sample[i]);
    if (id === undefined) {
      id = index.size;
      index.set(sample[i], id);
    }
    ids[i] = id;
  }
  return { ids, categories: index.size };
}

/**
 * MEDIAN of sampled rows as SQL (DuckDB's median, Biathlon's pandas median) takes it: the middle
 * value, or the mean of the two middle ones; 0 for no rows, like the other operators.
 */
function median(values: Float64Array): number {
  // Selects on a copy, leaving `values` as they are.
  return values.length === 0 ? 0 : sampleMedian(numbers(values));
}
