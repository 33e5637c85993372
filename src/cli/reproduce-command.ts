import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mean } from 'simple-statistics';
import { InputError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic-file.js';
import { POLICIES, runPolicy, TABLE_HEADER, tableRow, type ReproductionRun } from '../experiment/reproduce/infadapter.js';
import { policyBars, policyTimeseries, tradeoffChart, type PolicyAggregate } from '../report/comparison-charts.js';
import { htmlReport } from '../report/html.js';
import { renderChart } from '../report/render.js';

export interface ReproduceFlags {
  out?: string;
  seeds: string;
  quick?: boolean;
  quiet?: boolean;
}

/** Resource weights swept for the accuracy–cost trade-off (InfAdapter's α; 0.05 is its default). */
const RESOURCE_WEIGHTS = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5];

function aggregate(policy: string, runs: ReproductionRun[]): PolicyAggregate {
  const mine = runs.filter((r) => r.policy === policy).map((r) => r.summary);
  return {
    policy,
    sloViolationRate: mean(mine.map((s) => s.sloViolationRate ?? 0)),
    windowViolationRate: mean(mine.map((s) => s.windowViolationRate ?? 0)),
    meanCores: mean(mine.map((s) => s.meanCores)),
    accuracy: mean(mine.map((s) => s.accuracy ?? 0)),
  };
}

/** InfAdapter against each VPA-x on the paper's metric: how many fewer violating windows, how much lower the cost. */
function againstVpa(aggregates: PolicyAggregate[]): { policy: string; fewerViolations: number; lowerCost: number }[] {
  const ours = aggregates.find((a) => a.policy === 'infadapter') as PolicyAggregate;
  return aggregates
    .filter((a) => a.policy.startsWith('vpa-'))
    .map((a) => ({ policy: a.policy, fewerViolations: 1 - ours.windowViolationRate / a.windowViolationRate, lowerCost: 1 - ours.meanCores / a.meanCores }));
}

/** `servesim reproduce infadapter`: every policy on the identical trace and seeds, then table, figures and report. */
export async function reproduceCommand(paper: string, flags: ReproduceFlags): Promise<void> {
  if (paper !== 'infadapter') throw new InputError(`reproduce: expected "infadapter" or "biathlon", got "${paper}"`);
  const seedCount = flags.quick ? 1 : Number(flags.seeds);
  if (!Number.isInteger(seedCount) || seedCount < 1) throw new InputError(`--seeds: expected a positive integer, got "${flags.seeds}"`);
  const out = flags.out ?? 'runs/paper/infadapter';
  mkdirSync(out, { recursive: true });
  const log = (text: string) => flags.quiet || process.stderr.write(text);
  const started = performance.now();

  const runs: ReproductionRun[] = [];
  for (let seed = 1; seed <= seedCount; seed++) {
    for (const policy of POLICIES) {
      log(`\r  ${policy} seed ${seed}          `);
      runs.push(await runPolicy(policy, seed));
    }
  }
  writeFileAtomic(join(out, 'table.csv'), `${TABLE_HEADER}\n${runs.map(tableRow).join('\n')}\n`);
  const aggregates = POLICIES.map((p) => aggregate(p, runs));

  const sweep: (PolicyAggregate & { weight: number })[] = [];
  if (!flags.quick) {
    for (const weight of RESOURCE_WEIGHTS) {
      log(`\r  infadapter, resource weight ${weight}          `);
      const run = await runPolicy('infadapter', 1, { resourceWeight: weight });
      sweep.push({ ...aggregate('infadapter', [run]), weight });
    }
    writeFileAtomic(
      join(out, 'sensitivity.csv'),
      `resource_weight,slo_violation_rate,window_violation_rate,mean_cores,accuracy\n${sweep.map((s) => `${s.weight},${s.sloViolationRate.toFixed(6)},${s.windowViolationRate.toFixed(6)},${s.meanCores.toFixed(4)},${s.accuracy.toFixed(6)}`).join('\n')}\n`,
    );
  }
  log('\r  drawing figures                    \n');

  const firstSeed = runs.filter((r) => r.seed === 1);
  const figures = {
    timeseries: await renderChart(policyTimeseries(firstSeed, 'P99 latency, cores and accuracy per policy (seed 1)', 750), join(out, 'timeseries')),
    bars: await renderChart(policyBars(aggregates, `SLO violations, cost and accuracy (mean of ${seedCount} seed${seedCount > 1 ? 's' : ''})`), join(out, 'bars')),
    tradeoff:
      sweep.length === 0
        ? null
        : await renderChart(tradeoffChart(sweep, aggregates.filter((a) => a.policy !== 'infadapter'), 'InfAdapter accuracy–cost trade-off over its resource weight (labels), against the baselines'), join(out, 'tradeoff')),
  };
  const svg = (path: string | undefined) => (path === undefined ? undefined : readFileSync(path, 'utf8'));
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const gains = againstVpa(aggregates);
  const report = htmlReport('InfAdapter reproduced with servesim', [
    {
      heading: 'Setup',
      text: [
        "The 21-minute Twitter segment of InfAdapter's evaluation (trace seconds 1,300,920–1,302,180, unscaled), P99 SLO 750 ms, a 20-core budget, five ResNet variants on TF-Serving-like pods calibrated against InfAdapter's capacity profile. InfAdapter and MS+ start from ResNet152 on 20 cores, each VPA-x from its variant on 20 cores (the authors' starter.py). Every policy replays the identical arrivals (same seeds).",
        "Two SLO metrics: the paper's (the share of 5 s windows whose server-side P99, read from TF-Serving's latency buckets as Prometheus' histogram_quantile does, exceeds 750 ms; windows in which nothing finished have no P99 and do not count) and servesim's per-request rate (requests that finished late or were dropped).",
        `Runs: ${runs.length} (${POLICIES.length} policies × ${seedCount} seeds)${sweep.length > 0 ? ` plus a sweep of ${sweep.length} resource weights` : ''}; ${((performance.now() - started) / 1000).toFixed(0)} s.`,
      ],
    },
    {
      heading: `Results (mean of ${seedCount} seed${seedCount > 1 ? 's' : ''})`,
      table: {
        header: ['policy', 'windows over SLO (paper)', 'requests over SLO', 'mean cores', 'accuracy'],
        rows: aggregates.map((a) => [a.policy, pct(a.windowViolationRate), pct(a.sloViolationRate), a.meanCores.toFixed(2), a.accuracy.toFixed(4)]),
      },
      svg: svg(figures.bars.svg),
    },
    {
      heading: 'Against the paper (abstract: up to 65% fewer SLO violations and 33% lower cost than VPA)',
      text: [`Ours, on the paper's metric: up to ${pct(Math.max(...gains.map((g) => g.fewerViolations)))} fewer violations and up to ${pct(Math.max(...gains.map((g) => g.lowerCost)))} lower cost than a VPA-x.`],
      table: { header: ['baseline', 'InfAdapter: fewer window violations', 'InfAdapter: lower cost'], rows: gains.map((g) => [g.policy, pct(g.fewerViolations), pct(g.lowerCost)]) },
    },
    { heading: 'Over time (seed 1)', svg: svg(figures.timeseries.svg) },
    ...(figures.tradeoff === null ? [] : [{ heading: 'Sensitivity to the resource weight', svg: svg(figures.tradeoff.svg) }]),
    {
      heading: 'Every run',
      table: { header: TABLE_HEADER.split(','), rows: runs.map((r) => tableRow(r).split(',')) },
    },
  ]);
  writeFileAtomic(join(out, 'report.html'), report);
  if (flags.quiet) return;
  const width = Math.max(...POLICIES.map((p) => p.length));
  process.stdout.write(`${'policy'.padEnd(width)}  windows over SLO  requests over SLO  mean cores  accuracy\n`);
  for (const a of aggregates) {
    process.stdout.write(
      `${a.policy.padEnd(width)}  ${pct(a.windowViolationRate).padStart(16)}  ${pct(a.sloViolationRate).padStart(17)}  ${a.meanCores.toFixed(2).padStart(10)}  ${a.accuracy.toFixed(4).padStart(8)}\n`,
    );
  }
  process.stdout.write(`results in ${out}/ (table.csv, report.html, figures)\n`);
}
