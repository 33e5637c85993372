import { InputError } from '../errors.js';
import type { Uniform } from '../engine/random.js';
import { csvLines } from '../io/csv-write.js';
import { CsvTable } from './csv-table.js';
import { lognormalCv, lognormalSampler, lognormalSigma, type LatencyModel } from './latency-model.js';

/**
 * The profile CSV format servesim reads and the real-hardware runner writes: one row per
 * (variant, device, cores, batch), latencies of one batch in milliseconds.
 */
export const PROFILE_COLUMNS = ['variant', 'device', 'cores', 'batch', 'mean_ms', 'p50_ms', 'p99_ms', 'throughput_rps'] as const;

/** One profiled point: batch latency in seconds. */
export interface ProfilePoint {
  variant: string;
  device: string;
  cores: number;
  batch: number;
  mean: number;
  p50: number;
  p99: number;
  throughputRps: number;
  /** Batches served at once by one pod (extra column `concurrency`); NaN when absent. */
  concurrency: number;
}

/**
 * How far a row's throughput may stray from batch × concurrency / mean, relatively: the files
 * round the mean to 0.1 µs and the throughput to 0.001 requests/s, far inside this.
 */
const THROUGHPUT_TOLERANCE = 0.01;

export function readProfileCsv(path: string): ProfilePoint[] {
  const table = new CsvTable(path);
  for (const column of PROFILE_COLUMNS) table.column(column);
  const hasConcurrency = table.has('concurrency');
  const points = table.rows.map((row) => {
    const point: ProfilePoint = {
      variant: table.text(row, 'variant'),
      device: table.text(row, 'device'),
      cores: table.number(row, 'cores', { positive: true, integer: true }),
      batch: table.number(row, 'batch', { positive: true, integer: true }),
      mean: table.number(row, 'mean_ms', { positive: true }) / 1000,
      p50: table.number(row, 'p50_ms', { positive: true, optional: true }) / 1000,
      p99: table.number(row, 'p99_ms', { positive: true, optional: true }) / 1000,
      throughputRps: table.number(row, 'throughput_rps', { optional: true }),
      concurrency: hasConcurrency ? table.number(row, 'concurrency', { positive: true, integer: true, optional: true }) : NaN,
    };
    checkPoint(point, `${path}:${row.line}`);
    return point;
  });
  checkAcrossPoints(points, path, table.rows.map((row) => row.line));
  return points;
}

const ms = (seconds: number) => Number((seconds * 1000).toFixed(4));

/** One row's figures must agree with one another: a P99 under the mean or the median is no distribution. */
function checkPoint(p: ProfilePoint, where: string): void {
  if (p.p99 < p.mean) throw new InputError(`${where}: p99_ms ${ms(p.p99)} is below mean_ms ${ms(p.mean)} (expected p99_ms ≥ mean_ms)`);
  if (p.p99 < p.p50) throw new InputError(`${where}: p99_ms ${ms(p.p99)} is below p50_ms ${ms(p.p50)} (expected p50_ms ≤ p99_ms)`);
  if (Number.isNaN(p.throughputRps)) return;
  // A pod serves `concurrency` batches (one without the column) of `batch` requests each per mean service time.
  const implied = (p.batch * (Number.isNaN(p.concurrency) ? 1 : p.concurrency)) / p.mean;
  if (Math.abs(p.throughputRps / implied - 1) > THROUGHPUT_TOLERANCE) {
    throw new InputError(`${where}: throughput_rps ${p.throughputRps} does not match batch × concurrency / mean_ms = ${Number(implied.toFixed(3))} requests/s (expected within ${THROUGHPUT_TOLERANCE * 100}%)`);
  }
}

/**
 * A point may be profiled once (a second would make the interpolation pick one silently), and at
 * the same cores a bigger batch may not take less time than a smaller one (the interpolation would
 * then promise a speed-up from batching more) by more than the smaller one's own spread, p99 −
 * mean. Measurement noise dips less: of 60 five-run profiles of cnn-tiny at batches 1 and 2 on a
 * busy 2-core machine, a fifth had batch 2 faster, none by more than batch 1's spread.
 */
function checkAcrossPoints(points: ProfilePoint[], path: string, lines: number[]): void {
  const firstLine = new Map<string, number>();
  const curves = new Map<string, number[]>();
  points.forEach((p, i) => {
    const key = JSON.stringify([p.variant, p.device, p.cores, p.batch]);
    const first = firstLine.get(key);
    if (first !== undefined) throw new InputError(`${path}:${lines[i]}: duplicate point (variant ${p.variant}, device ${p.device}, ${p.cores} cores, batch ${p.batch}), first on line ${first}`);
    firstLine.set(key, lines[i]);
    const curve = JSON.stringify([p.variant, p.device, p.cores]);
    curves.set(curve, [...(curves.get(curve) ?? []), i]);
  });
  for (const indices of curves.values()) {
    const byBatch = [...indices].sort((a, b) => points[a].batch - points[b].batch);
    for (let k = 1; k < byBatch.length; k++) {
      const [smaller, bigger] = [points[byBatch[k - 1]], points[byBatch[k]]];
      const noise = Number.isNaN(smaller.p99) ? 0 : smaller.p99 - smaller.mean;
      if (smaller.mean - bigger.mean > noise + 1e-12) {
        throw new InputError(
          `${path}:${lines[byBatch[k]]}: mean_ms ${ms(bigger.mean)} at batch ${bigger.batch} is below ${ms(smaller.mean)} at batch ${smaller.batch} (line ${lines[byBatch[k - 1]]}), both on ${bigger.cores} cores, by more than that point's spread (p99_ms − mean_ms = ${ms(noise)}): expected a mean that does not fall as the batch grows`,
        );
      }
    }
  }
}

export function formatProfileCsv(points: ProfilePoint[]): string {
  const ms = (s: number) => (Number.isNaN(s) ? '' : String(Number((s * 1000).toFixed(4))));
  const rows = points.map((p) => [
    p.variant,
    p.device,
    p.cores,
    p.batch,
    ms(p.mean),
    ms(p.p50),
    ms(p.p99),
    Number.isNaN(p.throughputRps) ? '' : Number(p.throughputRps.toFixed(3)),
    Number.isNaN(p.concurrency) ? '' : p.concurrency,
  ]);
  return csvLines([[...PROFILE_COLUMNS, 'concurrency'], ...rows]);
}

interface CorePoint {
  cores: number;
  mean: number;
  p99: number;
}

/**
 * Piecewise-linear interpolation of y over x, monotone between points. Beyond the range: the last
 * segment's slope below (or above, with `flatAbove` false), the end value above when `flatAbove`.
 */
function interpolate(xs: number[], ys: number[], x: number, flatAbove: boolean): number {
  const n = xs.length;
  if (n === 1) return ys[0];
  if (x >= xs[n - 1] && flatAbove) return ys[n - 1];
  let i = 1;
  while (i < n - 1 && x > xs[i]) i++;
  const t = (x - xs[i - 1]) / (xs[i] - xs[i - 1]);
  return ys[i - 1] + t * (ys[i] - ys[i - 1]);
}

/**
 * A latency model from profiled points of one variant on one device. Between profiled core counts
 * the mean and p99 are interpolated linearly in 1/cores (latency ≈ a + b/cores), between batch
 * sizes linearly in the batch. Above the largest core count latency stays flat (no more speed-up
 * is assumed than was measured); below the smallest, and above the largest batch, the last
 * segment is extended. Service times are lognormal, matched to the interpolated mean and p99.
 */
export function tableModel(points: ProfilePoint[], label: string): LatencyModel {
  if (points.length === 0) throw new InputError(`${label}: no profiled points`);
  const byBatch = new Map<number, CorePoint[]>();
  for (const p of points) {
    if (Number.isNaN(p.p99)) throw new InputError(`${label}: batch ${p.batch}, ${p.cores} cores has no p99_ms, needed for the spread of service times`);
    const row = byBatch.get(p.batch) ?? [];
    row.push({ cores: p.cores, mean: p.mean, p99: p.p99 });
    byBatch.set(p.batch, row);
  }
  const batches = [...byBatch.keys()].sort((a, b) => a - b);
  const curves = batches.map((b) => (byBatch.get(b) as CorePoint[]).sort((x, y) => x.cores - y.cores));

  // Interpolate over 1/cores: reversed so that the x values increase.
  const atCores = (curve: CorePoint[], cores: number, field: 'mean' | 'p99') => {
    const xs = curve.map((p) => 1 / p.cores).reverse();
    const ys = curve.map((p) => p[field]).reverse();
    if (cores >= curve[curve.length - 1].cores) return ys[0];
    return interpolate(xs, ys, 1 / cores, false);
  };
  const at = (batch: number, cores: number, field: 'mean' | 'p99') =>
    interpolate(batches, curves.map((curve) => atCores(curve, cores, field)), batch, false);

  const mean = (batch: number, cores: number) => at(batch, cores, 'mean');
  const cv = (batch: number, cores: number) => lognormalCv(lognormalSigma(mean(batch, cores), at(batch, cores, 'p99')));
  const concurrency = new Map(points.filter((p) => !Number.isNaN(p.concurrency)).map((p) => [p.cores, p.concurrency]));
  return {
    mean,
    sampler: (u: Uniform) => lognormalSampler(u, mean, cv),
    concurrency: concurrency.size === 0 ? undefined : (cores) => concurrency.get(cores) ?? Math.max(1, Math.round(cores)),
  };
}
