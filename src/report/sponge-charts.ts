import type { TopLevelSpec } from 'vega-lite';
import { metricBars } from './comparison-charts.js';

/** One policy at one setting, averaged over seeds. */
export interface SettingAggregate {
  setting: string;
  policy: string;
  meanCores: number;
  violationRate: number;
}

/** SLO violations and cores, one column per setting (rate and image size), one bar per policy. */
export function settingBars(rows: SettingAggregate[], title: string): TopLevelSpec {
  const metrics = ['SLO violations (%)', 'mean cores'];
  const values = rows.flatMap((r) => [
    { column: r.setting, policy: r.policy, metric: metrics[0], value: 100 * r.violationRate },
    { column: r.setting, policy: r.policy, metric: metrics[1], value: r.meanCores },
  ]);
  return metricBars(values, metrics, title, 110);
}

/** The remaining budget per second (after the upload) above the cores each policy held per window and the batch size each chose. */
export function budgetTimeline(
  budget: { t: number; budgetMs: number }[],
  cores: { policy: string; t: number; cores: number }[],
  batches: { policy: string; t: number; batch: number }[],
  title: string,
): TopLevelSpec {
  const x = { field: 'minute', type: 'quantitative', title: 'time (minutes)' } as const;
  return {
    title,
    vconcat: [
      {
        width: 640,
        height: 120,
        data: { values: budget.map((b) => ({ minute: b.t / 60, budget: b.budgetMs })) },
        mark: { type: 'line', interpolate: 'step-after', color: '#666' },
        encoding: { x, y: { field: 'budget', type: 'quantitative', title: 'remaining budget (ms)' } },
      },
      {
        width: 640,
        height: 160,
        data: { values: cores.map((c) => ({ ...c, minute: c.t / 60 })) },
        mark: { type: 'line', interpolate: 'step-after' },
        encoding: { x, y: { field: 'cores', type: 'quantitative', title: 'cores allocated' }, color: { field: 'policy', type: 'nominal' } },
      },
      {
        width: 640,
        height: 100,
        data: { values: batches.map((b) => ({ ...b, minute: b.t / 60 })) },
        mark: { type: 'line', interpolate: 'step-after' },
        encoding: { x, y: { field: 'batch', type: 'quantitative', title: 'batch size chosen' }, color: { field: 'policy', type: 'nominal' } },
      },
    ],
  } as TopLevelSpec;
}
