import tQuantile from '@stdlib/stats-base-dists-t-quantile';

/**
 * Paired comparison of two configurations run on the same seeds. With common random numbers
 * (the same arrivals and service-time streams per seed, src/engine/random.ts) most of a seed's
 * luck is shared by both runs, so the per-seed differences vary far less than the runs
 * themselves: the paired interval is narrower than the unpaired (Welch) one on the same runs.
 */
export interface PairedDifference {
  n: number;
  meanA: number;
  meanB: number;
  /** Mean of b − a over the seeds. */
  meanDiff: number;
  /** The 95% paired-t interval of the mean difference; null with fewer than two seeds. */
  low: number | null;
  high: number | null;
  /** Half-widths of the paired interval and of Welch's unpaired one on the same runs. */
  pairedHalfWidth: number | null;
  unpairedHalfWidth: number | null;
  /** The interval excludes 0. */
  significant: boolean | null;
}

export const CONFIDENCE = 0.95;

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Sample variance (n − 1). */
function variance(xs: readonly number[]): number {
  const m = mean(xs);
  return xs.reduce((sum, x) => sum + (x - m) ** 2, 0) / (xs.length - 1);
}

/** Half-width of the 95% t interval of a mean with this standard error and these degrees of freedom. */
const halfWidth = (standardError: number, df: number) => (standardError === 0 ? 0 : tQuantile(1 - (1 - CONFIDENCE) / 2, df) * standardError);

/** Welch's interval for the difference of two means: the unpaired view of the same runs. */
function welchHalfWidth(a: readonly number[], b: readonly number[]): number {
  const va = variance(a) / a.length;
  const vb = variance(b) / b.length;
  const se = Math.sqrt(va + vb);
  if (se === 0) return 0;
  const df = (va + vb) ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1));
  return halfWidth(se, df);
}

/** `a[k]` and `b[k]` are the same seed's figures. */
export function pairedDifference(a: readonly number[], b: readonly number[]): PairedDifference {
  if (a.length !== b.length || a.length === 0) throw new Error(`paired samples of ${a.length} and ${b.length} figures`);
  const diffs = a.map((x, k) => b[k] - x);
  const n = diffs.length;
  const meanDiff = mean(diffs);
  if (n < 2) return { n, meanA: mean(a), meanB: mean(b), meanDiff, low: null, high: null, pairedHalfWidth: null, unpairedHalfWidth: null, significant: null };
  const paired = halfWidth(Math.sqrt(variance(diffs) / n), n - 1);
  return {
    n,
    meanA: mean(a),
    meanB: mean(b),
    meanDiff,
    low: meanDiff - paired,
    high: meanDiff + paired,
    pairedHalfWidth: paired,
    unpairedHalfWidth: welchHalfWidth(a, b),
    significant: meanDiff - paired > 0 || meanDiff + paired < 0,
  };
}

/** The 95% t interval of one configuration's mean over its seeds: [mean, half-width]; half-width null for one seed. */
export function meanInterval(xs: readonly number[]): { mean: number; halfWidth: number | null } {
  return { mean: mean(xs), halfWidth: xs.length < 2 ? null : halfWidth(Math.sqrt(variance(xs) / xs.length), xs.length - 1) };
}

/** pairs.csv's columns. */
export const PAIRS_HEADER = ['a', 'b', 'metric', 'seeds', 'mean_a', 'mean_b', 'mean_diff', 'ci_low', 'ci_high', 'significant', 'paired_half_width', 'unpaired_half_width', 'width_ratio'] as const;

export interface Labelled {
  label: string;
  /** Per seed, in the same seed order for every configuration: metric → value (null: not measured). */
  runs: Record<string, number | null>[];
}

/**
 * Every pair (a before b in the given order) and metric whose figure every run has: one row of
 * pairs.csv each; b − a, so a positive difference means b has more of it.
 */
export function pairRows(configs: readonly Labelled[], metrics: readonly string[], maxPairs = Infinity): (string | number)[][] {
  const rows: (string | number)[][] = [];
  const pairs: [Labelled, Labelled][] = [];
  for (let i = 0; i < configs.length; i++) for (let j = i + 1; j < configs.length; j++) pairs.push([configs[i], configs[j]]);
  // Past the cap, each configuration is paired with the first only (a baseline).
  const chosen = pairs.length <= maxPairs ? pairs : configs.slice(1).map((c): [Labelled, Labelled] => [configs[0], c]);
  for (const [a, b] of chosen) {
    for (const metric of metrics) {
      const xs = a.runs.map((r) => r[metric]);
      const ys = b.runs.map((r) => r[metric]);
      if (xs.some((x) => x === null) || ys.some((y) => y === null)) continue;
      const d = pairedDifference(xs as number[], ys as number[]);
      // Six significant digits: the figures' own precision, and a table a person can read.
      const blank = (v: number | boolean | null) => (v === null ? '' : typeof v === 'boolean' ? String(v) : Number(v.toPrecision(6)));
      const ratio = d.pairedHalfWidth === null || d.unpairedHalfWidth === null || d.unpairedHalfWidth === 0 ? null : d.pairedHalfWidth / d.unpairedHalfWidth;
      rows.push([a.label, b.label, metric, d.n, blank(d.meanA), blank(d.meanB), blank(d.meanDiff), blank(d.low), blank(d.high), blank(d.significant), blank(d.pairedHalfWidth), blank(d.unpairedHalfWidth), blank(ratio)]);
    }
  }
  return rows;
}
