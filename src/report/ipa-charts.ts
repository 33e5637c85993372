import type { TopLevelSpec } from 'vega-lite';
import { nearestRankQuantileSorted } from '../metrics/quantile.js';
import { barLayers, metricBars } from './comparison-charts.js';

/** One policy on one pattern, averaged over seeds. */
export interface PatternAggregate {
  workload: string;
  policy: string;
  accuracy: number;
  meanCores: number;
  violationRate: number;
  /** Half-widths of the 95% intervals of those means over the seeds (null or absent: one seed). */
  halfWidths?: Partial<Record<'accuracy' | 'meanCores' | 'violationRate', number | null>>;
}

/** Figs. 8–12: accuracy, cost and SLA violations, one column per load pattern, one bar per policy, with the 95% intervals over the seeds where there are several. */
export function patternBars(rows: PatternAggregate[], title: string): TopLevelSpec {
  const metrics = ['end-to-end accuracy', 'cost (mean cores)', 'SLA violations (%)'];
  const percent = (x: number | null | undefined) => (x === null || x === undefined ? x : 100 * x);
  const values = rows.flatMap((r) => [
    { column: r.workload, policy: r.policy, metric: metrics[0], value: r.accuracy, halfWidth: r.halfWidths?.accuracy },
    { column: r.workload, policy: r.policy, metric: metrics[1], value: r.meanCores, halfWidth: r.halfWidths?.meanCores },
    { column: r.workload, policy: r.policy, metric: metrics[2], value: 100 * r.violationRate, halfWidth: percent(r.halfWidths?.violationRate) },
  ]);
  return metricBars(values, metrics, title, 150);
}

/** Fig. 15: the CDF of end-to-end latency per policy (200 quantiles each), with the SLA. */
export function latencyCdf(runs: { policy: string; latenciesMs: Float64Array }[], slaMs: number, title: string): TopLevelSpec {
  const values = runs.flatMap(({ policy, latenciesMs }) =>
    latenciesMs.length === 0 ? [] : Array.from({ length: 200 }, (_, i) => ({ policy, fraction: (i + 1) / 200, latency: Math.max(1, nearestRankQuantileSorted(latenciesMs, (i + 1) / 200)) })),
  );
  return {
    title,
    width: 520,
    height: 280,
    layer: [
      {
        data: { values },
        mark: { type: 'line', interpolate: 'step-after' },
        encoding: {
          x: { field: 'latency', type: 'quantitative', title: 'end-to-end latency (ms, log; dashed: SLA)', scale: { type: 'log' } },
          y: { field: 'fraction', type: 'quantitative', title: 'fraction of requests' },
          color: { field: 'policy', type: 'nominal' },
        },
      },
      { data: { values: [{ x: slaMs }] }, mark: { type: 'rule', strokeDash: [4, 4], color: '#666' }, encoding: { x: { field: 'x', type: 'quantitative' } } },
    ],
  } as TopLevelSpec;
}

/** Fig. 13: the median decision time against the number of stages, per solver (log scale), with the 50 ms goal. */
export function decisionTimeChart(times: { stages: number; solver: string; medianMs: number }[], goalMs: number, title: string): TopLevelSpec {
  return {
    title,
    width: 480,
    height: 280,
    layer: [
      {
        data: { values: times.map((t) => ({ ...t, medianMs: Math.max(0.01, t.medianMs) })) },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'stages', type: 'quantitative', title: 'stages in the pipeline', scale: { zero: false }, axis: { format: 'd', tickMinStep: 1 } },
          y: { field: 'medianMs', type: 'quantitative', title: 'median decision time (ms, log; dashed: 50 ms)', scale: { type: 'log' } },
          color: { field: 'solver', type: 'nominal' },
        },
      },
      { data: { values: [{ y: goalMs }] }, mark: { type: 'rule', strokeDash: [4, 4], color: '#666' }, encoding: { y: { field: 'y', type: 'quantitative' } } },
    ],
  } as TopLevelSpec;
}

/** Fig. 14: accuracy against cost at each objective preference (labelled), with the baselines as points. */
export function preferenceChart(points: { label: string; meanCores: number; accuracy: number }[], baselines: { policy: string; meanCores: number; accuracy: number }[], title: string): TopLevelSpec {
  const encoding = { x: { field: 'meanCores', type: 'quantitative', title: 'cost (mean cores)' }, y: { field: 'accuracy', type: 'quantitative', title: 'end-to-end accuracy', scale: { zero: false } } };
  return {
    title,
    width: 420,
    height: 300,
    layer: [
      { data: { values: points }, mark: { type: 'line', point: true, color: '#4c78a8' }, encoding },
      { data: { values: points }, mark: { type: 'text', dx: 8, dy: -8, align: 'left', fontSize: 9 }, encoding: { ...encoding, text: { field: 'label', type: 'nominal' } } },
      { data: { values: baselines }, mark: { type: 'point', filled: true, size: 70 }, encoding: { ...encoding, color: { field: 'policy', type: 'nominal' }, shape: { field: 'policy', type: 'nominal' } } },
    ],
  } as TopLevelSpec;
}

/** Fig. 16: SLA violations with each predictor, the paper's and servesim's (with the 95% interval of a mean over seeds, where a row has its half-width), side by side. */
export function ablationChart(rows: { source: string; predictor: string; violations: number; halfWidth?: number | null }[], title: string): TopLevelSpec {
  const values = rows.map(({ halfWidth, ...row }) => (halfWidth === null || halfWidth === undefined ? row : { ...row, low: row.violations - halfWidth, high: row.violations + halfWidth }));
  const yTitle = { title: 'SLA violations (requests)' };
  return {
    title,
    data: { values },
    facet: { column: { field: 'source', type: 'nominal', title: null } },
    spec: {
      width: 160,
      height: 200,
      ...barLayers(
        values,
        {
          x: { field: 'predictor', type: 'nominal', title: null },
          y: { field: 'violations', type: 'quantitative', ...yTitle },
          color: { field: 'predictor', type: 'nominal', legend: null },
        },
        yTitle,
      ),
    },
  } as TopLevelSpec;
}
