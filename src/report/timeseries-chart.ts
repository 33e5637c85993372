import type { TopLevelSpec } from 'vega-lite';

/** One row of timeseries.csv, the columns the chart draws. */
export interface TimeseriesPoint {
  t: number;
  deployment: string;
  replicas: number;
  ready_replicas: number;
  cores: number;
  arrival_rps: number;
  p99_ms: number | null;
  slo_violations: number;
}

/** Load, capacity (replicas, ready replicas, cores), P99 latency and SLO violations over time, stacked. */
export function timeseriesChart(rows: TimeseriesPoint[], title: string): TopLevelSpec {
  const x = { field: 'minute', type: 'quantitative', title: 'time (minutes)' } as const;
  const values = rows.flatMap((r) => {
    const minute = r.t / 60;
    return [
      { minute, deployment: r.deployment, panel: 'load', series: 'arrivals/s', value: r.arrival_rps },
      { minute, deployment: r.deployment, panel: 'capacity', series: 'replicas', value: r.replicas },
      { minute, deployment: r.deployment, panel: 'capacity', series: 'ready replicas', value: r.ready_replicas },
      { minute, deployment: r.deployment, panel: 'capacity', series: 'cores', value: r.cores },
      ...(r.p99_ms === null ? [] : [{ minute, deployment: r.deployment, panel: 'latency', series: 'P99 ms', value: r.p99_ms }]),
      { minute, deployment: r.deployment, panel: 'violations', series: 'SLO violations', value: r.slo_violations },
    ];
  });
  const panel = (name: string, yTitle: string, scale: Record<string, unknown> = {}) => ({
    width: 640,
    height: 110,
    transform: [{ filter: `datum.panel === '${name}'` }],
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.2 },
    encoding: {
      x,
      y: { field: 'value', type: 'quantitative', title: yTitle, scale },
      color: { field: 'series', type: 'nominal', title: null },
      strokeDash: { field: 'deployment', type: 'nominal' },
    },
  });
  return {
    title,
    data: { values },
    vconcat: [
      panel('load', 'requests/s'),
      panel('capacity', 'count'),
      panel('latency', 'P99 (ms, log)', { type: 'log' }),
      panel('violations', 'per window'),
    ],
    resolve: { scale: { color: 'independent' } },
  } as TopLevelSpec;
}
