import { readInfAdapterCapacity, type CapacityRow } from '../profiles/infadapter.js';
import { lognormalP50, lognormalP99 } from '../profiles/latency-model.js';
import type { ProfilePoint } from '../profiles/table-model.js';
import { measureCapacity, type CapacityMethod, type PodUnderTest, type ProbeCache } from './capacity.js';

/** The SLO whose column calibrates the service times (the one InfAdapter's experiments used). */
export const CALIBRATION_SLO_MS = 750;

export interface CapacityComparison {
  variant: string;
  cores: number;
  sloMs: number;
  measuredRps: number;
  predictedRps: number;
  usedForCalibration: boolean;
}

export interface Calibration {
  profile: ProfilePoint[];
  comparison: CapacityComparison[];
}

/** The spreads of service time tried; the one whose fitted throughputs best agree with the measured saturation wins. */
export const CV_GRID = [0.05, 0.1, 0.2, 0.35, 0.5, 0.75];

/**
 * A TF-Serving pod with n cores serves n requests at once (one inter-op thread per core), each
 * taking a lognormal time of mean n / throughput. The throughput of each (variant, cores) is
 * fitted so that the probed capacity at 750 ms equals the measured one (the geometric middle of
 * the range that gives it): the saturation column is too noisy to set it (in 38 of the 100
 * configurations it is below the capacity measured at 750 ms, which no queue sustains). The cv is
 * one for all pods: of CV_GRID, the one whose fitted throughputs are closest (median relative
 * difference) to the measured saturation throughputs. Only the 750 ms rows are used.
 */
function pod(cores: number, throughput: number, cv: number): PodUnderTest {
  return { cores, concurrency: cores, serviceTime: { dist: 'lognormal', mean: cores / throughput, cv } };
}

async function capacityAt(cores: number, throughput: number, cv: number, sloMs: number, saturation: number, method: CapacityMethod, seed: number, cache: ProbeCache) {
  const result = await measureCapacity(pod(cores, throughput, cv), { sloSeconds: sloMs / 1000, method, seed }, cache, saturation);
  return result.capacityRps;
}

/** Smallest throughput (bisected on a log scale within [lo, hi]) whose capacity is at least `target`. */
async function smallestThroughputReaching(target: number, capacity: (throughput: number) => Promise<number>, lo: number, hi: number, steps = 9): Promise<number> {
  if ((await capacity(hi)) < target) return hi;
  if ((await capacity(lo)) >= target) return lo;
  for (let i = 0; i < steps; i++) {
    const mid = Math.sqrt(lo * hi);
    if ((await capacity(mid)) >= target) hi = mid;
    else lo = mid;
  }
  return Math.sqrt(lo * hi);
}

interface Fit {
  anchor: CapacityRow;
  throughput: number;
}

async function fitThroughputs(anchors: CapacityRow[], cv: number, options: CalibrationOptions): Promise<Fit[]> {
  const fits: Fit[] = [];
  for (const anchor of anchors) {
    const capacity = (throughput: number) =>
      capacityAt(anchor.cores, throughput, cv, CALIBRATION_SLO_MS, anchor.saturationRps, options.method, options.seed, new Map());
    const target = Math.max(1, anchor.capacityRps);
    const [lo, hi] = [0.5 * target, 3 * target];
    const reaching = await smallestThroughputReaching(target, capacity, lo, hi);
    const passing = await smallestThroughputReaching(target + 1, capacity, lo, hi);
    fits.push({ anchor, throughput: Math.sqrt(reaching * passing) });
    options.onProgress?.(`cv ${cv}: ${fits.length}/${anchors.length} pods`);
  }
  return fits;
}

export interface CalibrationOptions {
  method: CapacityMethod;
  seed: number;
  onProgress?: (status: string) => void;
}

export async function calibrateInfAdapter(tablePath: string, options: CalibrationOptions): Promise<Calibration & { cv: number }> {
  const rows = readInfAdapterCapacity(tablePath);
  const anchors = rows.filter((r) => r.sloMs === CALIBRATION_SLO_MS);
  let best: { cv: number; fits: Fit[]; score: number } | null = null;
  for (const cv of CV_GRID) {
    const fits = await fitThroughputs(anchors, cv, options);
    const score = median(fits.map((f) => Math.abs(f.throughput / f.anchor.saturationRps - 1)));
    if (best === null || score < best.score) best = { cv, fits, score };
  }
  const { cv, fits } = best as { cv: number; fits: Fit[] };
  const profile: ProfilePoint[] = [];
  const comparison: CapacityComparison[] = [];
  for (const { anchor, throughput } of fits) {
    const mean = anchor.cores / throughput;
    profile.push({
      variant: anchor.variant,
      device: 'cpu',
      cores: anchor.cores,
      batch: 1,
      mean,
      p50: lognormalP50(mean, cv),
      p99: lognormalP99(mean, cv),
      throughputRps: throughput,
      concurrency: anchor.cores,
    });
    const cache: ProbeCache = new Map();
    const sameConfig = rows.filter((r) => r.variant === anchor.variant && r.cores === anchor.cores).sort((a, b) => a.sloMs - b.sloMs);
    for (const row of sameConfig) {
      const predicted = await capacityAt(anchor.cores, throughput, cv, row.sloMs, anchor.saturationRps, options.method, options.seed, cache);
      comparison.push(compare(row, predicted));
    }
  }
  return { profile, comparison, cv };
}

function compare(row: CapacityRow, predictedRps: number): CapacityComparison {
  return {
    variant: row.variant,
    cores: row.cores,
    sloMs: row.sloMs,
    measuredRps: row.capacityRps,
    predictedRps,
    usedForCalibration: row.sloMs === CALIBRATION_SLO_MS,
  };
}

/** |predicted − measured| / measured; null where nothing was measured (capacity 0). */
export function relativeError(c: CapacityComparison): number | null {
  return c.measuredRps > 0 ? Math.abs(c.predictedRps - c.measuredRps) / c.measuredRps : null;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
