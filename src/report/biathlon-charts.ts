import type { TopLevelSpec } from 'vega-lite';

export interface SweepPoint {
  pipeline: string;
  tau: number;
  delta: number;
  speedup: number;
  simulatedSpeedup: number;
  databaseSpeedup: number | null;
  meetRate: number;
}

const SOURCES = ['in memory, measured here', 'database (DuckDB), cost model'];

/** Speedup over the exact pipeline against τ: in memory as measured here, and with the rows in a database as the cost model charges it. */
export function speedupChart(points: SweepPoint[], title: string): TopLevelSpec {
  const values = points.flatMap((p) => [
    { pipeline: p.pipeline, tau: p.tau, source: SOURCES[0], speedup: p.speedup },
    ...(p.databaseSpeedup === null ? [] : [{ pipeline: p.pipeline, tau: p.tau, source: SOURCES[1], speedup: p.databaseSpeedup }]),
  ]);
  return {
    title,
    width: 520,
    height: 300,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'tau', type: 'quantitative', title: 'τ (required confidence)', scale: { domain: [0.5, 1] } },
      y: { field: 'speedup', type: 'quantitative', title: 'speedup over exact (log)', scale: { type: 'log' } },
      color: { field: 'pipeline', type: 'nominal' },
      strokeDash: { field: 'source', type: 'nominal', sort: SOURCES, title: 'rows', legend: { symbolType: 'stroke', symbolStrokeColor: '#444', symbolStrokeWidth: 2, labelLimit: 320 } },
    },
  } as TopLevelSpec;
}

/** Meet rate against τ: the guarantee holds where a pipeline's line stays on or above y = τ. */
export function meetRateChart(points: SweepPoint[], title: string): TopLevelSpec {
  return {
    title,
    width: 520,
    height: 300,
    layer: [
      {
        data: { values: [{ tau: 0.5 }, { tau: 1 }] },
        mark: { type: 'line', color: '#888', strokeDash: [4, 4] },
        encoding: { x: { field: 'tau', type: 'quantitative', scale: { domain: [0.5, 1] } }, y: { field: 'tau', type: 'quantitative', scale: { domain: [0.5, 1] } } },
      },
      {
        data: { values: points },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'tau', type: 'quantitative', title: 'τ (required confidence); dashed: y = τ', scale: { domain: [0.5, 1] } },
          y: { field: 'meetRate', type: 'quantitative', title: 'meet rate', scale: { domain: [0.5, 1] } },
          color: { field: 'pipeline', type: 'nominal' },
        },
      },
    ],
  } as TopLevelSpec;
}

/** Speedup against δ (as a multiple of each pipeline's default) at τ = 0.95, regression pipelines. */
export function deltaChart(points: (SweepPoint & { deltaFactor: number })[], title: string): TopLevelSpec {
  return {
    title,
    width: 520,
    height: 260,
    data: { values: points },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'deltaFactor', type: 'quantitative', title: 'δ / default δ (log)', scale: { type: 'log' } },
      y: { field: 'speedup', type: 'quantitative', title: 'speedup over exact, measured here (log)', scale: { type: 'log' } },
      color: { field: 'pipeline', type: 'nominal' },
    },
  } as TopLevelSpec;
}
