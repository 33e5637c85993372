import type { TopLevelSpec } from 'vega-lite';

/** Empirical CDFs of latency per configuration: simulated against real. */
export function latencyCdfChart(samples: { config: string; sim: number[]; real: number[] }[], title: string): TopLevelSpec {
  const cdf = (config: string, source: string, values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    // At most 200 points a curve keep the SVG small.
    const step = Math.max(1, Math.floor(sorted.length / 200));
    return sorted
      .map((ms, i) => ({ config, source, ms, fraction: (i + 1) / sorted.length }))
      .filter((_, i) => i % step === 0 || i === sorted.length - 1);
  };
  const values = samples.flatMap((s) => [...cdf(s.config, 'simulated', s.sim), ...cdf(s.config, 'real', s.real)]);
  return {
    title,
    width: 520,
    height: 280,
    data: { values },
    mark: { type: 'line', interpolate: 'step-after' },
    encoding: {
      x: { field: 'ms', type: 'quantitative', title: 'latency (ms, log)', scale: { type: 'log' } },
      y: { field: 'fraction', type: 'quantitative', title: 'fraction of requests' },
      color: { field: 'config', type: 'nominal' },
      strokeDash: { field: 'source', type: 'nominal', sort: ['real', 'simulated'] },
    },
  } as TopLevelSpec;
}

/** Replicas per window of the autoscaling run, simulated against real. */
export function replicaChart(series: { t: number[]; sim: number[]; real: number[] }, title: string): TopLevelSpec {
  const values = series.t.flatMap((t, i) => [
    { t, source: 'simulated', replicas: series.sim[i] },
    ...(Number.isNaN(series.real[i]) ? [] : [{ t, source: 'real', replicas: series.real[i] }]),
  ]);
  return {
    title,
    width: 520,
    height: 180,
    data: { values },
    mark: { type: 'line', interpolate: 'step-after' },
    encoding: {
      x: { field: 't', type: 'quantitative', title: 'time (s)' },
      y: { field: 'replicas', type: 'quantitative', title: 'replicas', scale: { zero: true } },
      color: { field: 'source', type: 'nominal' },
    },
  } as TopLevelSpec;
}
