import { mkdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { packageRoot } from '../paths.js';
import { writeFileAtomic } from '../io/atomic-file.js';
import { SYNTHETIC_PIPELINES } from '../approx/pipelines.js';
import { COST_MODELS_FILE, costModelFor, readCostModels, type CostModels } from '../experiment/biathlon-jobs.js';
import { calibratePipelines, calibrateStorage, DETAIL_HEADER, detailRow, FULL, QUICK, reproducePipeline, TABLE_HEADER, tableRow, type SettingResult } from '../experiment/reproduce/biathlon.js';
import { deltaChart, meetRateChart, speedupChart } from '../report/biathlon-charts.js';
import { htmlReport } from '../report/html.js';
import { renderChart } from '../report/render.js';
import { parseSeed } from './flags.js';

export interface ReproduceBiathlonFlags {
  out?: string;
  quick?: boolean;
  calibrate?: boolean;
  costModel?: string;
  pipelines?: string;
  seed?: string;
  quiet?: boolean;
}

const paper = JSON.parse(readFileSync(join(packageRoot, 'profiles/biathlon/pipelines_profile.json'), 'utf8')) as {
  pipelines: { name: string; model: string; n_agg_queries: number; n_agg_features: number; delta_default: number; n_test_requests: number }[];
  reported_headline: { speedup_range: [number, number] };
};

/** `servesim reproduce biathlon`: the seven synthetic pipelines served exactly and by Biathlon, swept over τ and δ. */
export async function reproduceBiathlonCommand(flags: ReproduceBiathlonFlags): Promise<void> {
  const size = flags.quick ? QUICK : FULL;
  const seed = parseSeed(flags.seed ?? '1');
  const names = flags.pipelines?.split(',') ?? SYNTHETIC_PIPELINES.map((p) => p.name);
  const pipelines = names.map((name) => {
    const pipeline = SYNTHETIC_PIPELINES.find((p) => p.name === name);
    if (pipeline === undefined) throw new InputError(`--pipelines: unknown pipeline "${name}"; expected some of ${SYNTHETIC_PIPELINES.map((p) => p.name).join(', ')}`);
    return pipeline;
  });
  const out = flags.out ?? 'runs/paper/biathlon';
  mkdirSync(out, { recursive: true });
  const log = (text: string) => flags.quiet || process.stderr.write(text);
  // A percentage that rewrites itself on a terminal; one line per pipeline elsewhere.
  const progress = (text: string, fraction: number) => {
    if (flags.quiet) return;
    if (process.stderr.isTTY) process.stderr.write(`\r${text}: ${Math.round(fraction * 100)}%   `);
    else if (fraction === 0) process.stderr.write(`${text}\n`);
  };
  const started = performance.now();

  const costFile = flags.calibrate ? join(out, 'cost_model.json') : (flags.costModel ?? COST_MODELS_FILE);
  let costs: CostModels;
  if (flags.calibrate) {
    const pipelineCosts = await calibratePipelines(pipelines, size, seed, (name) => log(`calibrating the cost model: ${name}\n`));
    log('calibrating the storage costs: DuckDB, one query per partition\n');
    const duckdb = await calibrateStorage(pipelines, size, seed).catch((error: unknown) => {
      // Optional: without DuckDB the database column stays empty.
      if (error instanceof InputError) return (log(`  ${error.message}\n`), undefined);
      throw error;
    });
    costs = { machine: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}`, node: process.version, pipelines: pipelineCosts, storage: duckdb === undefined ? {} : { duckdb } };
    writeFileAtomic(costFile, `${JSON.stringify(costs, null, 2)}\n`);
  } else {
    costs = readCostModels(flags.costModel === undefined ? undefined : resolve(flags.costModel));
  }

  const results: SettingResult[] = [];
  for (const [i, pipeline] of pipelines.entries()) {
    const cost = costModelFor(costs, pipeline.name, 'memory', costFile);
    const database = costs.storage.duckdb === undefined ? null : costModelFor(costs, pipeline.name, 'duckdb', costFile);
    results.push(...(await reproducePipeline(pipeline, size, seed, cost, database, (fraction) => progress(`${pipeline.name} (${i + 1}/${pipelines.length})`, fraction))));
  }
  writeFileAtomic(join(out, 'table.csv'), `${TABLE_HEADER}\n${results.map(tableRow).join('\n')}\n`);
  writeFileAtomic(join(out, 'details.csv'), `${DETAIL_HEADER}\n${results.map(detailRow).join('\n')}\n`);
  log(process.stderr.isTTY ? '\rdrawing figures                           \n' : 'drawing figures\n');

  const atDefaultDelta = results.filter((r) => r.deltaFactor === 1);
  const headline = atDefaultDelta.filter((r) => r.tau === 0.95);
  const figures = {
    speedup: await renderChart(speedupChart(atDefaultDelta, 'Speedup over the exact pipeline against τ (default δ)'), join(out, 'speedup')),
    meetRate: await renderChart(meetRateChart(atDefaultDelta, 'Meet rate against τ: at or above the dashed y = τ line, the guarantee holds'), join(out, 'meet_rate')),
    delta: await renderChart(deltaChart(results.filter((r) => r.tau === 0.95 && r.task === 'regression'), 'Speedup against δ at τ = 0.95 (regression pipelines)'), join(out, 'delta')),
  };
  const svg = (path: string) => readFileSync(path, 'utf8');
  const [low, high] = paper.reported_headline.speedup_range;
  const report = htmlReport('Biathlon reproduced with servesim', [
    {
      heading: 'Setup',
      text: [
        `Seven synthetic pipelines with the paper's query and feature counts, operators and model kinds; data generated per request (heavy-tailed group sizes, skewed and categorical columns), so the exact features and prediction of every request are known. ${size.trainRequests} training and ${size.testRequests} test requests per pipeline, group sizes × ${size.rowScale}, seed ${seed}.`,
        `Biathlon's defaults: 100 partitions, 5 % initial sample, β = 1, N = 128 QMC base points in Saltelli's layout, first-order Sobol planning, 30-row support, 100 bootstrap resamples. δ is each model's mean absolute error on validation requests (classifiers: the same class).`,
        `Speedup "measured here" is the exact pipeline's time over Biathlon's, both executed in this process on in-memory data; "cost model" charges the same work at the pipeline's calibrated costs (${costFile}, measured on ${costs.machine}), as the simulator does; "database" charges it with every partition fetched from DuckDB by its own SQL query, as Biathlon loads from ClickHouse${costs.storage.duckdb === undefined ? ' (not calibrated: no DuckDB)' : ` (${costs.storage.duckdb.engine}: ${(1e3 * costs.storage.duckdb.partitionSeconds).toFixed(3)} ms a query, ${(1e9 * costs.storage.duckdb.rowSeconds).toFixed(1)} ns a row)`}.`,
        `Paper (abstract): ${low}× to ${high}× speedups with almost no accuracy loss; per-pipeline results were not available. ${((performance.now() - started) / 1000).toFixed(0)} s.`,
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
    { heading: 'Speedup against τ', svg: svg(figures.speedup.svg) },
    { heading: 'The guarantee: meet rate against τ', svg: svg(figures.meetRate.svg) },
    { heading: 'Speedup against δ', svg: svg(figures.delta.svg) },
    { heading: 'Every setting', table: { header: DETAIL_HEADER.split(','), rows: results.map((r) => detailRow(r).split(',')) } },
  ]);
  writeFileAtomic(join(out, 'report.html'), report);
  if (flags.quiet) return;
  const width = Math.max(...headline.map((r) => r.pipeline.length));
  process.stdout.write(`${'pipeline'.padEnd(width)}  speedup: here  cost model  database  meet rate  accuracy  sample  rounds   (τ = 0.95, default δ)\n`);
  for (const r of headline) {
    process.stdout.write(
      `${r.pipeline.padEnd(width)}  ${r.speedup.toFixed(2).padStart(13)}  ${r.simulatedSpeedup.toFixed(2).padStart(10)}  ${(r.databaseSpeedup?.toFixed(2) ?? '-').padStart(8)}  ${r.meetRate.toFixed(3).padStart(9)}  ${r.accuracy.toFixed(3).padStart(8)}  ${(100 * r.meanSampleFraction).toFixed(1).padStart(5)}%  ${r.meanRounds.toFixed(2).padStart(6)}\n`,
    );
  }
  process.stdout.write(`results in ${out}/ (table.csv, details.csv, report.html, figures)\n`);
}
