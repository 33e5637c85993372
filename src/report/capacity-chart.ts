import type { TopLevelSpec } from 'vega-lite';
import type { CapacityComparison } from '../profiles/capacity-data.js';

/** Measured (points) against simulated (lines) capacity over cores, one panel per SLO. */
export function capacityChart(rows: CapacityComparison[], title: string): TopLevelSpec {
  const label = (r: CapacityComparison) => `P99 ≤ ${r.sloMs} ms${r.usedForCalibration ? ' (calibration)' : ''}`;
  const panels = [...new Map([...rows].sort((a, b) => a.sloMs - b.sloMs).map((r) => [r.sloMs, label(r)])).values()];
  const values = rows.flatMap((r) => [
    { variant: r.variant, cores: r.cores, slo: label(r), source: 'measured', rps: r.measuredRps },
    { variant: r.variant, cores: r.cores, slo: label(r), source: 'simulated', rps: r.predictedRps },
  ]);
  const x = { field: 'cores', type: 'quantitative', title: 'cores' } as const;
  const y = { field: 'rps', type: 'quantitative', title: 'capacity (requests/s)' } as const;
  const color = { field: 'variant', type: 'nominal', sort: ['resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152'] } as const;
  return {
    title,
    data: { values },
    facet: { column: { field: 'slo', type: 'nominal', title: null, sort: panels } },
    spec: {
      width: 180,
      height: 180,
      layer: [
        { transform: [{ filter: "datum.source === 'simulated'" }], mark: { type: 'line' }, encoding: { x, y, color } },
        { transform: [{ filter: "datum.source === 'measured'" }], mark: { type: 'point', filled: false }, encoding: { x, y, color } },
      ],
    },
  } as TopLevelSpec;
}
