import { join } from 'node:path';
import { mean } from 'simple-statistics';
import { CsvTable } from '../../profiles/csv-table.js';
import { packageRoot } from '../../paths.js';
import { writeCsvTable, type Table } from '../../report/csv-table.js';
import { writeHtmlReport, type ReportProvenance } from '../../report/html.js';
import { latencyCdf } from '../../report/ipa-charts.js';
import { renderFigures } from '../../report/render.js';
import { budgetTimeline, settingBars, type SettingAggregate } from '../../report/sponge-charts.js';
import { textTable } from '../../report/text-table.js';
import type { SpongeResult, SpongeRun } from './run.js';

const v = (x: number | null, digits: number) => (x === null ? '' : x.toFixed(digits));
const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const label = (r: { rateRps: number; imageKB: number }) => `${r.rateRps} rps, ${r.imageKB} KB`;

/** The contract of table.csv: one row per policy, setting and seed. */
function runTable(runs: SpongeRun[]): Table {
  return {
    header: ['policy', 'rate_rps', 'image_kb', 'seed', 'slo_violation_rate', 'mean_cores', 'p99_ms', 'requests', 'dropped', 'reconfigurations'],
    rows: runs.map((r) => [r.policy, r.rateRps, r.imageKB, r.seed, v(r.summary.sloViolationRate, 6), v(r.summary.meanCores, 4), v(r.summary.latencyMs.p99, 3), r.summary.requests, r.summary.dropped, r.summary.reconfigurations]),
  };
}

function aggregate(runs: SpongeRun[]): SettingAggregate[] {
  const keys = [...new Set(runs.map((r) => `${label(r)}\0${r.policy}`))];
  return keys.map((key) => {
    const [setting, policy] = key.split('\0');
    const mine = runs.filter((r) => label(r) === setting && r.policy === policy).map((r) => r.summary);
    return { setting, policy, meanCores: mean(mine.map((s) => s.meanCores)), violationRate: mean(mine.map((s) => s.sloViolationRate ?? 0)) };
  });
}

/** The remaining budget of each second's 500 KB request over the bus log (profiles/sponge/dynamic_slo_budget_per_second.csv). */
function budgetSeries(imageKB: number): { t: number; budgetMs: number }[] {
  const table = new CsvTable(join(packageRoot, 'profiles/sponge/dynamic_slo_budget_per_second.csv'));
  return table.rows.filter((row) => table.number(row, 'img_kb') === imageKB).map((row) => ({ t: table.number(row, 't_s'), budgetMs: table.number(row, 'remaining_budget_ms_slo1000') }));
}

/** twitter.csv: the runs on the Twitter segment, one row per policy, image size and seed. */
function twitterTable(runs: SpongeRun[]): Table {
  return {
    header: ['policy', 'workload', 'image_kb', 'seed', 'slo_violation_rate', 'mean_cores', 'p99_ms', 'requests', 'dropped', 'reconfigurations'],
    rows: runs.map((r) => [r.policy, 'twitter', r.imageKB, r.seed, v(r.summary.sloViolationRate, 6), v(r.summary.meanCores, 4), v(r.summary.latencyMs.p99, 3), r.summary.requests, r.summary.dropped, r.summary.reconfigurations]),
  };
}

/** table.csv, twitter.csv (without --quick), the figures and report.html. */
export async function reportSponge(result: SpongeResult, out: string, provenance?: ReportProvenance): Promise<string[]> {
  const { seedCount, runs, twitter, wallSeconds } = result;
  writeCsvTable(join(out, 'table.csv'), runTable(runs));
  if (twitter.length > 0) writeCsvTable(join(out, 'twitter.csv'), twitterTable(twitter));
  const onTwitter = aggregate(twitter.map((r) => ({ ...r, rateRps: 0 }))).map((a) => ({ ...a, setting: a.setting.replace(/^0 rps/, 'Twitter') }));
  const aggregates = aggregate(runs);
  const find = (setting: string, policy: string) => aggregates.find((a) => a.setting === setting && a.policy === policy) as SettingAggregate;
  const settings = [...new Set(aggregates.map((a) => a.setting))];
  const claim = settings.map((setting) => {
    const [sponge, fa2, fixed, vpa] = ['sponge', 'fa2', 'static-16', 'vpa'].map((p) => find(setting, p));
    return { setting, sponge, fa2, fixed, vpa, ratio: sponge.violationRate === 0 ? (fa2.violationRate === 0 ? 1 : Infinity) : fa2.violationRate / sponge.violationRate };
  });
  const seeds = `${seedCount} seed${seedCount > 1 ? 's' : ''}`;
  const example = runs.filter((r) => r.seed === 1 && r.rateRps === 20 && r.imageKB === 500);
  const figures = await renderFigures(out, {
    comparison: settingBars(aggregates, `SLO violations and cores per policy, rate and image size (mean of ${seeds})`),
    timeseries: budgetTimeline(
      budgetSeries(500).filter((b) => b.t < runs[0].summary.duration),
      example.flatMap((r) => r.rows.map((row) => ({ policy: r.policy, t: row.t, cores: row.cores }))),
      example.flatMap((r) => r.batches.map((b) => ({ policy: r.policy, ...b }))),
      '20 requests/s, 500 KB images, seed 1: the remaining budget after the upload, the cores each policy holds and the batch size it chooses (static-16 batches by the FA2 routine)',
    ),
    latency_cdf: latencyCdf(example, 1000 * (runs[0].summary.sloSeconds ?? 1), 'End-to-end latency at 20 requests/s, 500 KB images, seed 1'),
  });

  const perSetting: Table = {
    header: ['setting', 'policy', 'mean cores', 'SLO violations'],
    rows: aggregates.map((a) => [a.setting, a.policy, a.meanCores.toFixed(2), pct(a.violationRate)]),
  };
  const claimTable: Table = {
    header: ['setting', 'Sponge: violations, cores', 'FA2: violations, cores', 'static-16: violations', 'VPA: violations, cores', 'FA2 / Sponge violations'],
    rows: claim.map((c) => [
      c.setting,
      `${pct(c.sponge.violationRate)}, ${c.sponge.meanCores.toFixed(2)}`,
      `${pct(c.fa2.violationRate)}, ${c.fa2.meanCores.toFixed(2)}`,
      pct(c.fixed.violationRate),
      `${pct(c.vpa.violationRate)}, ${c.vpa.meanCores.toFixed(2)}`,
      Number.isFinite(c.ratio) ? `${c.ratio.toFixed(1)}×` : 'Sponge none',
    ]),
  };
  writeHtmlReport(join(out, 'report.html'), 'Sponge reproduced with servesim', [
    {
      heading: 'Setup',
      text: [
        "Sponge's setting: one YOLOv5 pod, every request's image (100, 200 or 500 KB) uploaded over the 4G bus log from its send time, the rest of its 1000 ms SLO its budget, earliest deadline first at the model, requests older than the drop limit (1 s for Sponge, 3 s for the baselines) dropped. Static Poisson load of 10 or 20 requests/s for 10 minutes. Every second Sponge takes the fewest cores, then the smallest batch, for which the next second's last batch ends within 0.9 × SLO after the window's worst upload, and resizes the pod in place; FA2 scales one-core replicas and batches by the same latency model at one core; static-16 keeps the pod on 16 cores; Kubernetes VPA (tuned to act within minutes) resizes the pod in place from its CPU usage.",
        `Runs: ${runs.length + twitter.length} (${settings.length} settings × 4 policies × ${seeds}${twitter.length === 0 ? '' : ', and the Twitter runs'}); ${wallSeconds.toFixed(0)} s.`,
      ],
    },
    { heading: `SLO violations and cores (mean of ${seeds})`, table: perSetting, svg: figures.comparison },
    { heading: 'The "> 15× fewer violations than horizontal autoscaling" claim', table: claimTable },
    { heading: 'Cores against the remaining budget', svg: figures.timeseries },
    ...(onTwitter.length === 0
      ? []
      : [
          {
            heading: `Beyond the paper: 10 minutes of the Twitter trace around its burst, scaled by 0.1 (mean of ${seeds})`,
            table: { header: ['setting', 'policy', 'mean cores', 'SLO violations'], rows: onTwitter.map((a) => [a.setting, a.policy, a.meanCores.toFixed(2), pct(a.violationRate)]) },
          },
        ]),
    { heading: 'End-to-end latency', svg: figures.latency_cdf },
  ], provenance);
  return [
    ...textTable(['setting', 'policy', 'mean cores', 'SLO violations'], perSetting.rows.map((row) => row.map(String))),
    ...(onTwitter.length === 0 ? [] : ['', ...textTable(['setting', 'policy', 'mean cores', 'SLO violations'], onTwitter.map((a) => [a.setting, a.policy, a.meanCores.toFixed(2), pct(a.violationRate)]))]),
    `results in ${out}/ (table.csv${onTwitter.length === 0 ? '' : ', twitter.csv'}, report.html, figures)`,
  ];
}
