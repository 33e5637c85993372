import { join } from 'node:path';
import { mean } from 'simple-statistics';
import { PAIRS_HEADER } from '../../experiment/paired.js';
import { policyBars, policyTimeseries, tradeoffChart, type PolicyAggregate } from '../../report/comparison-charts.js';
import { writeCsvTable, type Table } from '../../report/csv-table.js';
import { writeHtmlReport, type ReportProvenance } from '../../report/html.js';
import { renderFigures } from '../../report/render.js';
import { textTable } from '../../report/text-table.js';
import { halfWidthOf, pairsSection, pairsTable, studyPairs, withInterval, type PairedMetric } from '../seed-intervals.js';
import type { InfAdapterResult, PolicyRun } from './run.js';

/** The contract of table.csv: one row per policy and seed. */
function runTable(runs: PolicyRun[]): Table {
  const v = (x: number | null, digits: number) => (x === null ? '' : x.toFixed(digits));
  return {
    header: ['policy', 'seed', 'slo_violation_rate', 'mean_cores', 'accuracy', 'p99_ms', 'reconfigurations', 'window_violation_rate'],
    rows: runs.map(({ policy, seed, summary: s }) => [policy, seed, v(s.sloViolationRate, 6), v(s.meanCores, 4), v(s.accuracy, 6), v(s.latencyMs.p99, 3), s.reconfigurations, v(s.windowViolationRate, 6)]),
  };
}

/** A policy's means over its seeds, with the half-widths of their 95% t intervals (null for one seed). */
function aggregate(policy: string, runs: PolicyRun[]): PolicyAggregate {
  const mine = runs.filter((r) => r.policy === policy).map((r) => r.summary);
  const figures = {
    sloViolationRate: mine.map((s) => s.sloViolationRate ?? 0),
    windowViolationRate: mine.map((s) => s.windowViolationRate ?? 0),
    meanCores: mine.map((s) => s.meanCores),
    accuracy: mine.map((s) => s.accuracy ?? 0),
  };
  return {
    policy,
    sloViolationRate: mean(figures.sloViolationRate),
    windowViolationRate: mean(figures.windowViolationRate),
    meanCores: mean(figures.meanCores),
    accuracy: mean(figures.accuracy),
    halfWidths: {
      sloViolationRate: halfWidthOf(figures.sloViolationRate),
      windowViolationRate: halfWidthOf(figures.windowViolationRate),
      meanCores: halfWidthOf(figures.meanCores),
      accuracy: halfWidthOf(figures.accuracy),
    },
  };
}

/** The figures of pairs.csv, as table.csv names them. */
const PAIRED_METRICS: PairedMetric[] = [
  { name: 'window_violation_rate', label: 'windows over SLO (paper)', rate: true },
  { name: 'slo_violation_rate', label: 'requests over SLO', rate: true },
  { name: 'mean_cores', label: 'mean cores', digits: 2 },
  { name: 'accuracy', label: 'accuracy', digits: 4 },
];

/** pairs.csv's rows: InfAdapter (b) against each other policy (a), seed by seed. */
function infadapterPairs(policies: string[], runs: PolicyRun[]): (string | number)[][] {
  const labelled = (policy: string) => ({
    label: policy,
    runs: runs
      .filter((r) => r.policy === policy)
      .sort((x, y) => x.seed - y.seed)
      .map(({ summary: s }) => ({ window_violation_rate: s.windowViolationRate, slo_violation_rate: s.sloViolationRate, mean_cores: s.meanCores, accuracy: s.accuracy })),
  });
  return studyPairs(labelled('infadapter'), policies.filter((p) => p !== 'infadapter').map(labelled), PAIRED_METRICS);
}

/** InfAdapter against each VPA-x on the paper's metric: how many fewer violating windows, how much lower the cost. */
function againstVpa(aggregates: PolicyAggregate[]): { policy: string; fewerViolations: number; lowerCost: number }[] {
  const ours = aggregates.find((a) => a.policy === 'infadapter') as PolicyAggregate;
  return aggregates
    .filter((a) => a.policy.startsWith('vpa-'))
    .map((a) => ({ policy: a.policy, fewerViolations: 1 - ours.windowViolationRate / a.windowViolationRate, lowerCost: 1 - ours.meanCores / a.meanCores }));
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/** table.csv, pairs.csv, sensitivity.csv (without --quick), the figures timeseries, bars and tradeoff, and report.html. */
export async function reportInfAdapter({ seedCount, runs, sweep, wallSeconds }: InfAdapterResult, out: string, provenance?: ReportProvenance): Promise<string[]> {
  const table = runTable(runs);
  writeCsvTable(join(out, 'table.csv'), table);
  const policies = [...new Set(runs.map((r) => r.policy))];
  const aggregates = policies.map((p) => aggregate(p, runs));
  const pairs = infadapterPairs(policies, runs);
  writeCsvTable(join(out, 'pairs.csv'), { header: [...PAIRS_HEADER], rows: pairs });
  const weights = sweep.map((run) => ({ ...aggregate(run.policy, [run]), weight: run.weight }));
  if (weights.length > 0) {
    writeCsvTable(join(out, 'sensitivity.csv'), {
      header: ['resource_weight', 'slo_violation_rate', 'window_violation_rate', 'mean_cores', 'accuracy'],
      rows: weights.map((s) => [s.weight, s.sloViolationRate.toFixed(6), s.windowViolationRate.toFixed(6), s.meanCores.toFixed(4), s.accuracy.toFixed(6)]),
    });
  }

  const seeds = `${seedCount} seed${seedCount > 1 ? 's' : ''}`;
  const figures = await renderFigures(out, {
    timeseries: policyTimeseries(runs.filter((r) => r.seed === 1), 'P99 latency, cores and accuracy per policy (seed 1)', 750),
    bars: policyBars(aggregates, `SLO violations, cost and accuracy (mean of ${seeds}${seedCount > 1 ? ', 95% intervals' : ''})`),
    tradeoff: weights.length === 0 ? undefined : tradeoffChart(weights, aggregates.filter((a) => a.policy !== 'infadapter'), 'InfAdapter accuracy–cost trade-off over its resource weight (labels), against the baselines'),
  });
  const gains = againstVpa(aggregates);
  writeHtmlReport(join(out, 'report.html'), 'InfAdapter reproduced with servesim', [
    {
      heading: 'Setup',
      text: [
        "The 21-minute Twitter segment of InfAdapter's evaluation (trace seconds 1,300,920–1,302,180, unscaled), P99 SLO 750 ms, a 20-core budget, five ResNet variants on TF-Serving-like pods calibrated against InfAdapter's capacity profile. InfAdapter and MS+ start from ResNet152 on 20 cores, each VPA-x from its variant on 20 cores (the authors' starter.py). Every policy replays the identical arrivals (same seeds).",
        "Two SLO metrics: the paper's (the share of 5 s windows whose server-side P99, read from TF-Serving's latency buckets as Prometheus' histogram_quantile does, exceeds 750 ms; windows in which nothing finished have no P99 and do not count) and servesim's per-request rate (requests that finished late or were dropped).",
        `Runs: ${runs.length} (${policies.length} policies × ${seedCount} seeds)${weights.length > 0 ? ` plus a sweep of ${weights.length} resource weights` : ''}; ${wallSeconds.toFixed(0)} s.`,
      ],
    },
    {
      heading: `Results (mean of ${seeds})`,
      text: seedCount > 1 ? [`Each figure is the mean over the seeds ± the half-width of its 95% t interval (t with ${seedCount - 1} degrees of freedom).`] : [],
      table: {
        header: ['policy', 'windows over SLO (paper)', 'requests over SLO', 'mean cores', 'accuracy'],
        rows: aggregates.map((a) => [
          a.policy,
          withInterval(a.windowViolationRate, a.halfWidths?.windowViolationRate, 2, true),
          withInterval(a.sloViolationRate, a.halfWidths?.sloViolationRate, 2, true),
          withInterval(a.meanCores, a.halfWidths?.meanCores, 2),
          withInterval(a.accuracy, a.halfWidths?.accuracy, 4),
        ]),
      },
      svg: figures.bars,
    },
    pairsSection(pairsTable(pairs, PAIRED_METRICS, 'InfAdapter'), 'InfAdapter', seedCount),
    {
      heading: 'Against the paper (abstract: up to 65% fewer SLO violations and 33% lower cost than VPA)',
      text: [`Ours, on the paper's metric: up to ${pct(Math.max(...gains.map((g) => g.fewerViolations)))} fewer violations and up to ${pct(Math.max(...gains.map((g) => g.lowerCost)))} lower cost than a VPA-x.`],
      table: { header: ['baseline', 'InfAdapter: fewer window violations', 'InfAdapter: lower cost'], rows: gains.map((g) => [g.policy, pct(g.fewerViolations), pct(g.lowerCost)]) },
    },
    { heading: 'Over time (seed 1)', svg: figures.timeseries },
    ...(figures.tradeoff === undefined ? [] : [{ heading: 'Sensitivity to the resource weight', svg: figures.tradeoff }]),
    { heading: 'Every run', table },
  ], provenance);

  return [
    ...textTable(
      ['policy', 'windows over SLO', 'requests over SLO', 'mean cores', 'accuracy'],
      aggregates.map((a) => [a.policy, pct(a.windowViolationRate), pct(a.sloViolationRate), a.meanCores.toFixed(2), a.accuracy.toFixed(4)]),
    ),
    `results in ${out}/ (table.csv, pairs.csv, report.html, figures)`,
  ];
}
