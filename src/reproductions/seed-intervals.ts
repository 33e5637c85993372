import { CONFIDENCE, meanInterval, pairRows, PAIRS_HEADER, type Labelled } from '../experiment/paired.js';
import type { Cell, Table } from '../report/csv-table.js';
import type { ReportSection } from '../report/html.js';

/**
 * What the reproductions' reports say about their seeds: each mean with its 95% t interval, and
 * the policy studied against each baseline as paired differences (every policy of one seed
 * replays the same arrivals and service-time streams, so the per-seed differences are the
 * figures to test).
 */

/** Half-width of the 95% t interval of the mean over these seeds' figures; null for one seed. */
export const halfWidthOf = (xs: readonly number[]): number | null => meanInterval(xs).halfWidth;

/**
 * `mean ± half-width`, both with `digits` decimals (in % for a rate), a half-width that would round
 * to 0 with one significant digit instead (unless it is only the round-off of figures that do not
 * vary); the bare mean where there is no interval (one seed).
 */
export function withInterval(mean: number, halfWidth: number | null | undefined, digits: number, rate = false): string {
  const scale = rate ? 100 : 1;
  const unit = rate ? '%' : '';
  const shown = `${(scale * mean).toFixed(digits)}${unit}`;
  if (halfWidth === null || halfWidth === undefined) return shown;
  const fixed = (scale * halfWidth).toFixed(digits);
  const roundOff = halfWidth <= 1e-9 * Math.abs(mean);
  return `${shown} ± ${Number(fixed) === 0 && !roundOff ? (scale * halfWidth).toPrecision(1) : fixed}${unit}`;
}

/** A figure compared pair by pair: its pairs.csv name, its label in report.html and how it reads. */
export interface PairedMetric {
  name: string;
  label: string;
  /** A rate: means shown in %, differences in percentage points. */
  rate?: boolean;
  /** Decimals of a figure that is not a rate. */
  digits?: number;
}

/** The rows of pairs.csv (PAIRS_HEADER's columns) for `study` against each baseline: a = the baseline, b = `study`, so mean_diff = study − baseline. */
export function studyPairs(study: Labelled, baselines: readonly Labelled[], metrics: readonly PairedMetric[]): Cell[][] {
  return baselines.flatMap((baseline) => pairRows([baseline, study], metrics.map((m) => m.name)));
}

const column = (name: (typeof PAIRS_HEADER)[number]) => PAIRS_HEADER.indexOf(name);

function formatMean(metric: PairedMetric, x: number): string {
  return metric.rate ? `${(100 * x).toFixed(2)}%` : x.toFixed(metric.digits ?? 2);
}

/** Decimals of a row's difference and interval: the metric's, or more (up to 6) to show two significant digits of a narrower half-width. */
function differenceDigits(metric: PairedMetric, halfWidth: number | null): number {
  const digits = metric.rate ? 2 : (metric.digits ?? 2);
  const scaled = halfWidth === null ? 0 : (metric.rate ? 100 : 1) * halfWidth;
  return scaled > 0 ? Math.max(digits, Math.min(6, Math.ceil(-Math.log10(scaled)) + 1)) : digits;
}

/** Signed, with a true minus; a difference that rounds to zero reads 0. */
function formatDifference(metric: PairedMetric, x: number, digits: number): string {
  const text = Math.abs(metric.rate ? 100 * x : x).toFixed(digits);
  const sign = Number(text) === 0 ? '' : x < 0 ? '−' : '+';
  return `${sign}${text}${metric.rate ? ' pp' : ''}`;
}

/**
 * report.html's table of paired differences from pairs.csv rows, each row preceded by
 * `leading.length` cells of its own (the workload, say) headed `leading`.
 */
export function pairsTable(rows: readonly Cell[][], metrics: readonly PairedMetric[], study: string, leading: readonly string[] = []): Table {
  const at = (row: readonly Cell[], name: (typeof PAIRS_HEADER)[number]) => row[leading.length + column(name)];
  const number = (cell: Cell) => (cell === '' ? null : Number(cell));
  return {
    header: [...leading, 'baseline', 'metric', 'baseline mean', `${study} mean`, `${study} − baseline`, `${100 * CONFIDENCE}% paired interval`, 'significant', 'paired / unpaired width'],
    rows: rows.map((row) => {
      const metric = metrics.find((m) => m.name === at(row, 'metric')) as PairedMetric;
      const [low, high, ratio] = [number(at(row, 'ci_low')), number(at(row, 'ci_high')), number(at(row, 'width_ratio'))];
      const digits = differenceDigits(metric, number(at(row, 'paired_half_width')));
      const significant = at(row, 'significant');
      return [
        ...row.slice(0, leading.length),
        at(row, 'a'),
        metric.label,
        formatMean(metric, Number(at(row, 'mean_a'))),
        formatMean(metric, Number(at(row, 'mean_b'))),
        formatDifference(metric, Number(at(row, 'mean_diff')), digits),
        low === null || high === null ? '–' : `[${formatDifference(metric, low, digits)}, ${formatDifference(metric, high, digits)}]`,
        significant === '' ? '–' : significant === 'true' ? 'yes' : 'no',
        ratio === null ? '–' : ratio.toFixed(2),
      ];
    }),
  };
}

/** The section "Paired differences" of a report: what the table says, then the table. */
export function pairsSection(table: Table, study: string, seedCount: number): ReportSection {
  const seeds = `${seedCount} seed${seedCount > 1 ? 's' : ''}`;
  return {
    heading: 'Paired differences',
    text: [
      `${study} against each baseline, seed by seed over ${seeds} (pairs.csv): the mean of the per-seed differences ${study} − baseline (rates in percentage points) and its ${100 * CONFIDENCE}% paired t interval; significant where the interval excludes 0. Every policy of one seed replays the same arrivals and service times (common random numbers), so the luck of a seed that both runs share cancels in their difference. The last column is the paired interval's width over that of Welch's unpaired interval on the same runs: below 1 where the pairing narrowed the interval; near or above 1 where the two policies' seed-to-seed variations are unrelated (the paired interval has n − 1 degrees of freedom, Welch's up to 2n − 2).`,
      ...(seedCount < 2 ? ['With one seed (as --quick runs) the differences have no interval.'] : []),
    ],
    table,
  };
}
