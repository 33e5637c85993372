import { mean } from 'simple-statistics';
import type { CapacityComparison } from '../profiles/capacity-data.js';
import { readInfAdapterCapacity, type CapacityRow } from '../profiles/infadapter.js';
import { lognormalP50, lognormalP99 } from '../profiles/latency-model.js';
import type { ProfilePoint } from '../profiles/table-model.js';
import { measureCapacity, measureSaturation, type PodUnderTest } from './capacity.js';

/** The SLO whose column sets the spread of service times (the one InfAdapter's experiments used). */
export const CALIBRATION_SLO_MS = 750;

/** The spreads of service time tried for each variant. */
export const CV_GRID = [0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1];

/** A variant's cv is its own only when this many of its 750 ms cells lie inside the probe's range. */
const MIN_INFORMATIVE_CELLS = 5;

/**
 * A TF-Serving pod with n cores serves n requests at once (one inter-op thread per core), each
 * taking a lognormal time of mean n / μ. Two measurements of InfAdapter's identify the two
 * parameters of each (variant, cores) pod:
 * - μ, the throughput: the pod whose simulated saturation probe reads the measured saturation_tp
 *   (so no fitted pod is faster than InfAdapter saw it serve);
 * - the cv, the spread: per variant, the one of CV_GRID whose probed capacities at 750 ms are
 *   closest (mean |log ratio|, every cell counting: a median of a few whole-number rates is flat
 *   over a wide range of cvs) to the measured ones; the smallest such cv on a tie. Only cells strictly inside the probe's
 *   bisection range inform it: a capacity at the top of the range (the pod met the SLO at every
 *   rate tried) or at its bottom (it met none) bounds the spread without measuring it. A variant
 *   with fewer than MIN_INFORMATIVE_CELLS such cells takes the cv pooled over all variants.
 * The 500, 1000 and 1500 ms columns are never used: they are what the calibration is judged on.
 */
export interface FittedPod {
  variant: string;
  cores: number;
  throughputRps: number;
  cv: number;
}

export interface CalibrationOptions {
  seed: number;
  /** Limit the fit to these variants (all five when absent). */
  variants?: string[];
  /** Limit the fit to these core counts (all when absent). */
  cores?: number[];
  /** The fraction done and what is being done now. */
  onProgress?: (fraction: number, status: string) => void;
}

export interface CvChoice {
  variant: string;
  cv: number;
  /** Cells of the 750 ms column inside the probe's range, which chose it (0: the pooled cv). */
  informativeCells: number;
  pooled: boolean;
}

export interface Calibration {
  pods: FittedPod[];
  cvs: CvChoice[];
}

function pod(cores: number, throughput: number, cv: number): PodUnderTest {
  return { cores, concurrency: cores, serviceTime: { dist: 'lognormal', mean: cores / throughput, cv } };
}

/** Smallest x (bisected on a log scale within [lo, hi]) with f(x) ≥ target; hi when none reaches it. */
async function smallestReaching(target: number, f: (x: number) => Promise<number>, lo: number, hi: number, steps = 12): Promise<number> {
  if ((await f(hi)) < target) return hi;
  if ((await f(lo)) >= target) return lo;
  for (let i = 0; i < steps; i++) {
    const mid = Math.sqrt(lo * hi);
    if ((await f(mid)) >= target) hi = mid;
    else lo = mid;
  }
  return Math.sqrt(lo * hi);
}

/** The throughput whose probed saturation reads the row's saturation_tp (the middle of the range that reads it). */
export async function fitThroughput(row: CapacityRow, cv: number, seed: number): Promise<number> {
  const probed = (throughput: number) => measureSaturation(pod(row.cores, throughput, cv), { seed });
  const [lo, hi] = [0.5 * row.saturationRps, 2 * row.saturationRps];
  const reaching = await smallestReaching(row.saturationRps, probed, lo, hi);
  const passing = await smallestReaching(row.saturationRps + 1, probed, lo, hi);
  return Math.sqrt(reaching * passing);
}

/**
 * Whether a measured capacity lies strictly inside the range InfAdapter's probe bisected
 * ([0.3·peak, peak], 1.2·peak above 100/s): only then does it say where the P99 crosses the SLO.
 */
export function insideProbeRange(row: CapacityRow): boolean {
  const peak = row.saturationRps;
  const hi = peak > 100 ? Math.round(1.2 * peak) : peak;
  const lo = Math.floor(0.3 * peak);
  return !Number.isNaN(row.p99Ms) && row.capacityRps > lo && row.capacityRps < hi - 1;
}

const logMiss = (predicted: number, measured: number) => Math.abs(Math.log(Math.max(predicted, 0.5) / Math.max(measured, 0.5)));

interface Trial {
  cv: number;
  pods: FittedPod[];
  /** |log(simulated / measured)| of each informative 750 ms cell. */
  misses: number[];
}

async function tryCv(anchors: CapacityRow[], cv: number, options: CalibrationOptions): Promise<Trial> {
  const pods: FittedPod[] = [];
  const misses: number[] = [];
  for (const anchor of anchors) {
    const throughputRps = await fitThroughput(anchor, cv, options.seed);
    pods.push({ variant: anchor.variant, cores: anchor.cores, throughputRps, cv });
    if (insideProbeRange(anchor)) {
      const { capacityRps } = await measureCapacity(pod(anchor.cores, throughputRps, cv), { sloSeconds: CALIBRATION_SLO_MS / 1000, method: 'probe', seed: options.seed });
      misses.push(logMiss(capacityRps, anchor.capacityRps));
    }
  }
  return { cv, pods, misses };
}

/** Fits every pod of InfAdapter's capacity table (see FittedPod). */
export async function calibrateInfAdapter(tablePath: string, options: CalibrationOptions): Promise<Calibration> {
  const anchors = readInfAdapterCapacity(tablePath).filter(
    (r) => r.sloMs === CALIBRATION_SLO_MS && (options.variants?.includes(r.variant) ?? true) && (options.cores?.includes(r.cores) ?? true),
  );
  const variants = [...new Set(anchors.map((r) => r.variant))];
  const trials = new Map<string, Trial[]>();
  for (const [v, variant] of variants.entries()) {
    const mine = anchors.filter((r) => r.variant === variant);
    const list: Trial[] = [];
    for (const [k, cv] of CV_GRID.entries()) {
      options.onProgress?.((v * CV_GRID.length + k) / (variants.length * CV_GRID.length), `fitting ${variant}, cv ${cv}`);
      list.push(await tryCv(mine, cv, options));
    }
    trials.set(variant, list);
  }
  const meanMiss = (t: Trial) => mean(t.misses);
  const best = (list: Trial[]) => list.reduce((a, b) => (meanMiss(b) < meanMiss(a) ? b : a));
  const pooledCv = best(CV_GRID.map((cv, k) => ({ cv, pods: [], misses: variants.flatMap((v) => (trials.get(v) as Trial[])[k].misses) }))).cv;
  const pods: FittedPod[] = [];
  const cvs: CvChoice[] = [];
  for (const variant of variants) {
    const list = trials.get(variant) as Trial[];
    const informativeCells = list[0].misses.length;
    const own = informativeCells >= MIN_INFORMATIVE_CELLS;
    const chosen = own ? best(list) : (list.find((t) => t.cv === pooledCv) as Trial);
    cvs.push({ variant, cv: chosen.cv, informativeCells, pooled: !own });
    pods.push(...chosen.pods);
  }
  return { pods, cvs };
}

/** The fitted pods as profile rows (the format `servesim capacity` and runs read). */
export function profilePoints(pods: FittedPod[]): ProfilePoint[] {
  return pods.map((p) => {
    const mean = p.cores / p.throughputRps;
    return {
      variant: p.variant,
      device: 'cpu',
      cores: p.cores,
      batch: 1,
      mean,
      p50: lognormalP50(mean, p.cv),
      p99: lognormalP99(mean, p.cv),
      throughputRps: p.throughputRps,
      concurrency: p.cores,
    };
  });
}


export type { CapacityComparison };

/**
 * Every cell of the capacity table against `servesim capacity`'s own answer from the profile file:
 * the same call, probing its own saturation; nothing measured goes in.
 */
export async function compareWithTable(
  tablePath: string,
  profileFile: string,
  options: Pick<CalibrationOptions, 'seed' | 'variants' | 'cores' | 'onProgress'>,
): Promise<CapacityComparison[]> {
  const rows = readInfAdapterCapacity(tablePath).filter((r) => (options.variants?.includes(r.variant) ?? true) && (options.cores?.includes(r.cores) ?? true));
  const comparison: CapacityComparison[] = [];
  for (const [i, row] of rows.entries()) {
    options.onProgress?.(i / rows.length, `comparing ${row.variant} on ${row.cores} cores at ${row.sloMs} ms`);
    const { capacityRps } = await measureCapacity(
      { cores: row.cores, profile: { file: profileFile, variant: row.variant, device: 'cpu' } },
      { sloSeconds: row.sloMs / 1000, method: 'probe', seed: options.seed },
    );
    comparison.push({
      variant: row.variant,
      cores: row.cores,
      sloMs: row.sloMs,
      measuredRps: row.capacityRps,
      predictedRps: capacityRps,
      usedForCalibration: row.sloMs === CALIBRATION_SLO_MS,
    });
  }
  return comparison;
}

/** |predicted − measured| / measured; null where nothing was measured (capacity 0). */
export function relativeError(c: CapacityComparison): number | null {
  return c.measuredRps > 0 ? Math.abs(c.predictedRps - c.measuredRps) / c.measuredRps : null;
}

