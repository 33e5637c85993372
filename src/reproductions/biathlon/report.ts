import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../paths.js';
import { deltaChart, meetRateChart, speedupChart } from '../../report/biathlon-charts.js';
import { writeCsvTable, type Table } from '../../report/csv-table.js';
import { writeHtmlReport, type ReportProvenance } from '../../report/html.js';
import { renderFigures } from '../../report/render.js';
import { textTable } from '../../report/text-table.js';
import type { BiathlonResult } from './run.js';
import type { SettingResult } from './sweep.js';

/** The paper's facts per pipeline and its headline, from the authors' code. */
interface PaperProfile {
  pipelines: { name: string; model: string; n_agg_queries: number; n_agg_features: number; delta_default: number; n_test_requests: number }[];
  reported_headline: { speedup_range: [number, number] };
}

/** The contract of table.csv: one row per pipeline and setting. */
function settingTable(results: SettingResult[]): Table {
  return {
    header: ['pipeline', 'tau', 'delta', 'speedup', 'meet_rate', 'accuracy', 'mean_sample_fraction', 'mean_rounds'],
    rows: results.map((r) => [r.pipeline, r.tau, r.delta.toPrecision(4), r.speedup.toFixed(3), r.meetRate.toFixed(4), r.accuracy.toFixed(4), r.meanSampleFraction.toFixed(4), r.meanRounds.toFixed(3)]),
  };
}

/** details.csv: every figure of a setting, the measured and charged times among them. */
function detailTable(results: SettingResult[]): Table {
  const optional = (x: number | null, digits: number) => x?.toFixed(digits) ?? '';
  return {
    header: (
      'pipeline,tau,delta,requests,speedup,simulated_speedup,database_speedup,meet_rate,meet_rate_floor,accuracy,exact_accuracy,mean_sample_fraction,mean_rounds,' +
      'exact_ms,approx_ms,approx_p50_ms,approx_p99_ms,simulated_exact_ms,simulated_approx_ms,database_exact_ms,database_approx_ms'
    ).split(','),
    rows: results.map((r) => [
      r.pipeline,
      r.tau,
      r.delta.toPrecision(4),
      r.requests,
      r.speedup.toFixed(3),
      r.simulatedSpeedup.toFixed(3),
      optional(r.databaseSpeedup, 3),
      r.meetRate.toFixed(4),
      r.meetRateFloor.toFixed(4),
      r.accuracy.toFixed(4),
      r.exactAccuracy.toFixed(4),
      r.meanSampleFraction.toFixed(4),
      r.meanRounds.toFixed(3),
      r.exactMs.toFixed(4),
      r.approxMs.toFixed(4),
      r.approxP50Ms.toFixed(4),
      r.approxP99Ms.toFixed(4),
      r.simulatedExactMs.toFixed(4),
      r.simulatedApproxMs.toFixed(4),
      optional(r.databaseExactMs, 4),
      optional(r.databaseApproxMs, 4),
    ]),
  };
}

/** table.csv, details.csv, the figures speedup, meet_rate and delta, and report.html. */
export async function reportBiathlon({ size, seed, pipelines, costs, costFile, results, wallSeconds }: BiathlonResult, out: string, provenance?: ReportProvenance): Promise<string[]> {
  const details = detailTable(results);
  writeCsvTable(join(out, 'table.csv'), settingTable(results));
  writeCsvTable(join(out, 'details.csv'), details);

  const atDefaultDelta = results.filter((r) => r.deltaFactor === 1);
  const headline = atDefaultDelta.filter((r) => r.tau === 0.95);
  const figures = await renderFigures(out, {
    speedup: speedupChart(atDefaultDelta, 'Speedup over the exact pipeline against τ (default δ)'),
    meet_rate: meetRateChart(atDefaultDelta, 'Meet rate against τ: at or above the dashed y = τ line, the guarantee holds'),
    delta: deltaChart(results.filter((r) => r.tau === 0.95 && r.task === 'regression'), 'Speedup against δ at τ = 0.95 (regression pipelines)'),
  });
  const paper = JSON.parse(readFileSync(join(packageRoot, 'profiles/biathlon/pipelines_profile.json'), 'utf8')) as PaperProfile;
  const [low, high] = paper.reported_headline.speedup_range;
  writeHtmlReport(join(out, 'report.html'), 'Biathlon reproduced with servesim', [
    {
      heading: 'Setup',
      text: [
        `Seven synthetic pipelines with the paper's query and feature counts, operators and model kinds; data generated per request (heavy-tailed group sizes, skewed and categorical columns), so the exact features and prediction of every request are known. ${size.trainRequests} training and ${size.testRequests} test requests per pipeline, group sizes × ${size.rowScale}, seed ${seed}.`,
        `Biathlon's defaults: 100 partitions, 5 % initial sample, β = 1, N = 128 QMC base points in Saltelli's layout, first-order Sobol planning, 30-row support, 100 bootstrap resamples. δ is each model's mean absolute error on validation requests (classifiers: the same class).`,
        `Speedup "measured here" is the exact pipeline's time over Biathlon's, both executed in this process on in-memory data; "cost model" charges the same work at the pipeline's calibrated costs (${costFile}, measured on ${costs.machine}), as the simulator does; "database" charges it with every partition fetched from DuckDB by its own SQL query, as Biathlon loads from ClickHouse${costs.storage.duckdb === undefined ? ' (not calibrated: no DuckDB)' : ` (${costs.storage.duckdb.engine}: ${(1e3 * costs.storage.duckdb.partitionSeconds).toFixed(3)} ms a query, ${(1e9 * costs.storage.duckdb.rowSeconds).toFixed(1)} ns a row)`}.`,
        `Paper (abstract): ${low}× to ${high}× speedups with almost no accuracy loss; per-pipeline results were not available. ${wallSeconds.toFixed(0)} s.`,
      ],
    },
    {
      heading: 'At τ = 0.95 and the default δ',
      table: {
        header: ['pipeline', 'paper model', 'queries / features', 'δ', 'speedup here', 'cost model', 'database', 'meet rate', 'floor', 'accuracy', 'exact accuracy', 'sample', 'rounds'],
        rows: headline.map((r) => {
          const p = pipelines.find((q) => q.name === r.pipeline);
          const facts = paper.pipelines.find((q) => q.name === p?.paperName);
          return [
            r.pipeline,
            p?.paperModel ?? '',
            facts === undefined ? '' : `${facts.n_agg_queries} / ${facts.n_agg_features}`,
            r.delta.toPrecision(3),
            r.speedup.toFixed(2),
            r.simulatedSpeedup.toFixed(2),
            r.databaseSpeedup?.toFixed(2) ?? '–',
            r.meetRate.toFixed(3),
            r.meetRateFloor.toFixed(3),
            r.accuracy.toFixed(3),
            r.exactAccuracy.toFixed(3),
            `${(100 * r.meanSampleFraction).toFixed(1)} %`,
            r.meanRounds.toFixed(2),
          ];
        }),
      },
    },
    { heading: 'Speedup against τ', svg: figures.speedup },
    { heading: 'The guarantee: meet rate against τ', svg: figures.meet_rate },
    { heading: 'Speedup against δ', svg: figures.delta },
    { heading: 'Every setting', table: details },
  ], provenance);

  const lines = textTable(
    ['pipeline', 'speedup: here', 'cost model', 'database', 'meet rate', 'accuracy', 'sample', 'rounds'],
    headline.map((r) => [
      r.pipeline,
      r.speedup.toFixed(2),
      r.simulatedSpeedup.toFixed(2),
      r.databaseSpeedup?.toFixed(2) ?? '-',
      r.meetRate.toFixed(3),
      r.accuracy.toFixed(3),
      `${(100 * r.meanSampleFraction).toFixed(1)}%`,
      r.meanRounds.toFixed(2),
    ]),
  );
  lines[0] += '   (τ = 0.95, default δ)';
  return [...lines, `results in ${out}/ (table.csv, details.csv, report.html, figures)`];
}
