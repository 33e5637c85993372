import type { TopLevelSpec } from 'vega-lite';
import type { ServiceWindowRow } from '../metrics/run-metrics.js';

/** P99 latency, cores and accuracy over time, one line per policy. */
export function policyTimeseries(runs: { policy: string; rows: ServiceWindowRow[] }[], title: string, sloMs: number, accuracyTitle = 'accuracy (top-1)'): TopLevelSpec {
  const values = runs.flatMap(({ policy, rows }) =>
    rows.flatMap((r) => [
      ...(r.p99Ms === null ? [] : [{ policy, minute: r.t / 60, panel: 'p99', value: Math.max(1, r.p99Ms) }]),
      { policy, minute: r.t / 60, panel: 'cores', value: r.cores },
      ...(r.accuracy === null ? [] : [{ policy, minute: r.t / 60, panel: 'accuracy', value: r.accuracy }]),
    ]),
  );
  const panel = (name: string, title: string, scale: Record<string, unknown> = {}, extra: object[] = []) => ({
    width: 640,
    height: 140,
    layer: [
      {
        transform: [{ filter: `datum.panel === '${name}'` }],
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.2 },
        encoding: {
          x: { field: 'minute', type: 'quantitative', title: 'time (minutes)' },
          y: { field: 'value', type: 'quantitative', title, scale },
          color: { field: 'policy', type: 'nominal' },
        },
      },
      ...extra,
    ],
  });
  const slo = { data: { values: [{ y: sloMs }] }, mark: { type: 'rule', strokeDash: [4, 4], color: '#666' }, encoding: { y: { field: 'y', type: 'quantitative' } } };
  return {
    title,
    data: { values },
    vconcat: [panel('p99', 'P99 latency (ms, log; dashed: SLO)', { type: 'log' }, [slo]), panel('cores', 'cores allocated'), panel('accuracy', accuracyTitle, { zero: false })],
  } as TopLevelSpec;
}

export interface PolicyAggregate {
  policy: string;
  /** Per request: late or dropped. */
  sloViolationRate: number;
  /** The paper's: 5 s windows whose server-side P99 exceeds the SLO. */
  windowViolationRate: number;
  meanCores: number;
  accuracy: number;
  /** Half-widths of the 95% intervals of those means over the seeds (null or absent: one seed). */
  halfWidths?: Partial<Record<'sloViolationRate' | 'windowViolationRate' | 'meanCores' | 'accuracy', number | null>>;
}

/** A bar's value with the ends of its error bar, `low` and `high`, where it has a half-width. */
function withBounds<T extends { value: number }>(row: T, halfWidth: number | null | undefined): T & { low?: number; high?: number } {
  return halfWidth === null || halfWidth === undefined ? row : { ...row, low: row.value - halfWidth, high: row.value + halfWidth };
}

/**
 * One panel: the bars and, where any bar has bounds, a layer of error bars from each such bar's
 * `low` to its `high` (the 95% interval of the mean over the seeds).
 */
export function barLayers(values: readonly Record<string, unknown>[], bar: Record<string, unknown>, yAxis: Record<string, unknown> = {}): object {
  const x = bar.x as object;
  const bars = { mark: { type: 'bar' }, encoding: bar };
  // Without bounds (one seed), the bars alone.
  if (!values.some((v) => v.low !== undefined)) return bars;
  const errorBars = {
    transform: [{ filter: 'isValid(datum.low)' }],
    mark: { type: 'errorbar', ticks: { width: 6 }, color: '#333' },
    encoding: { x, y: { field: 'low', type: 'quantitative', title: null, ...yAxis }, y2: { field: 'high' } },
  };
  return { layer: [bars, errorBars] };
}

/** SLO violations (both metrics), cost and accuracy per policy (means over seeds, with their 95% intervals where there are several), side by side. */
export function policyBars(rows: PolicyAggregate[], title: string): TopLevelSpec {
  const metrics = ['windows over the SLO (%, paper)', 'requests over the SLO (%)', 'cost (mean cores)', 'accuracy (top-1, %)'];
  const scaled = (x: number | null | undefined, factor: number) => (x === null || x === undefined ? x : factor * x);
  const values = rows.flatMap((r) => [
    withBounds({ policy: r.policy, metric: metrics[0], value: 100 * r.windowViolationRate }, scaled(r.halfWidths?.windowViolationRate, 100)),
    withBounds({ policy: r.policy, metric: metrics[1], value: 100 * r.sloViolationRate }, scaled(r.halfWidths?.sloViolationRate, 100)),
    withBounds({ policy: r.policy, metric: metrics[2], value: r.meanCores }, r.halfWidths?.meanCores),
    withBounds({ policy: r.policy, metric: metrics[3], value: 100 * r.accuracy }, scaled(r.halfWidths?.accuracy, 100)),
  ]);
  return {
    title,
    data: { values },
    facet: { column: { field: 'metric', type: 'nominal', title: null, sort: metrics } },
    spec: {
      width: 200,
      height: 180,
      ...barLayers(values, {
        x: { field: 'policy', type: 'nominal', sort: rows.map((r) => r.policy), title: null },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
        color: { field: 'policy', type: 'nominal', legend: null },
      }),
    },
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}

/** Accuracy against cost: a sweep of one policy's resource weight (a line) against fixed points. */
export function tradeoffChart(sweep: (PolicyAggregate & { weight: number })[], points: PolicyAggregate[], title: string): TopLevelSpec {
  return {
    title,
    width: 420,
    height: 300,
    layer: [
      {
        data: { values: sweep },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'meanCores', type: 'quantitative', title: 'cost (mean cores)' },
          y: { field: 'accuracy', type: 'quantitative', title: 'accuracy (top-1)', scale: { zero: false } },
          color: { value: '#4c78a8' },
        },
      },
      {
        data: { values: sweep },
        mark: { type: 'text', dx: 8, dy: -8, align: 'left', fontSize: 9 },
        encoding: { x: { field: 'meanCores', type: 'quantitative' }, y: { field: 'accuracy', type: 'quantitative' }, text: { field: 'weight', type: 'quantitative' } },
      },
      {
        data: { values: points },
        mark: { type: 'point', filled: true, size: 70 },
        encoding: {
          x: { field: 'meanCores', type: 'quantitative' },
          y: { field: 'accuracy', type: 'quantitative' },
          color: { field: 'policy', type: 'nominal' },
          shape: { field: 'policy', type: 'nominal' },
        },
      },
    ],
  } as TopLevelSpec;
}

/**
 * Bars of several metrics per policy: one row of panels per metric (in `metrics`' order, each its
 * own scale), one column per setting (in the order first seen), one bar per policy; a value with
 * a `halfWidth` (the 95% interval of a mean over seeds) gets an error bar.
 */
export function metricBars(values: { column: string; policy: string; metric: string; value: number; halfWidth?: number | null }[], metrics: string[], title: string, width: number): TopLevelSpec {
  const policies = [...new Set(values.map((r) => r.policy))];
  const bounded = values.map(({ halfWidth, ...row }) => withBounds(row, halfWidth));
  // '~f': a panel where every value is 0 (no violations anywhere) reads 0, not 0.000000.
  const axis = { axis: { format: '~f' } };
  return {
    title,
    data: { values: bounded },
    facet: {
      row: { field: 'metric', type: 'nominal', title: null, sort: metrics },
      column: { field: 'column', type: 'nominal', title: null, sort: [...new Set(values.map((r) => r.column))] },
    },
    spec: {
      width,
      height: 120,
      ...barLayers(
        bounded,
        {
          x: { field: 'policy', type: 'nominal', sort: policies, title: null },
          y: { field: 'value', type: 'quantitative', title: null, ...axis },
          color: { field: 'policy', type: 'nominal', sort: policies, legend: null },
        },
        axis,
      ),
    },
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}
