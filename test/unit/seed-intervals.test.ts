import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Summary } from '../../src/experiment/summary.js';
import type { ServiceWindowRow } from '../../src/metrics/run-metrics.js';
import { policyBars, type PolicyAggregate } from '../../src/report/comparison-charts.js';
import { ablationChart, patternBars } from '../../src/report/ipa-charts.js';
import { chartToSvg } from '../../src/report/render.js';
import { reportInfAdapter } from '../../src/reproductions/infadapter/report.js';
import type { InfAdapterResult } from '../../src/reproductions/infadapter/run.js';
import { reportIpa } from '../../src/reproductions/ipa/report.js';
import type { IpaResult, IpaRun } from '../../src/reproductions/ipa/run.js';
import { pairsTable, studyPairs, withInterval } from '../../src/reproductions/seed-intervals.js';
import { tempDir } from '../helpers/cli.js';

/**
 * Two policies over 3 seeds with known numbers. t(0.975, 2) = 4.302653.
 *
 * mean cores: vpa-18 [10, 12, 14], InfAdapter [6, 7, 11]; the differences InfAdapter − vpa-18 are
 * [−4, −5, −3]: mean −4, sample sd 1, standard error 1/√3, paired half-width 4.302653/√3 = 2.484138,
 * so the interval is [−6.484138, −1.515862], which excludes 0. Unpaired (Welch): variances of the
 * means 4/3 and 7/3, standard error √(11/3) = 1.914854, df = (11/3)² / ((4/3)²/2 + (7/3)²/2) =
 * 3.723077, t(0.975, 3.723077) = 2.859817, half-width 5.476133; the ratio 2.484138 / 5.476133 = 0.453630.
 *
 * windows over the SLO: vpa-18 [0.4, 0.4, 0.4], InfAdapter [0.1, 0.12, 0.08]; differences
 * [−0.3, −0.28, −0.32]: mean −0.3, sd 0.02, half-width 4.302653 × 0.02/√3 = 0.0496828; vpa-18 does
 * not vary, so Welch's interval is the same one (ratio 1).
 *
 * InfAdapter's mean cores over the seeds: 8, sd √7, half-width 4.302653 × √7/√3 = 6.572411.
 */
const CORES = { 'vpa-18': [10, 12, 14], infadapter: [6, 7, 11] } as const;
const WINDOWS = { 'vpa-18': [0.4, 0.4, 0.4], infadapter: [0.1, 0.12, 0.08] } as const;
const REQUESTS = { 'vpa-18': [0.7, 0.72, 0.74], infadapter: [0.1, 0.11, 0.15] } as const;
const ACCURACY = { 'vpa-18': [0.7, 0.7, 0.7], infadapter: [0.73, 0.74, 0.72] } as const;

function summary(figures: Partial<Summary>): Summary {
  return { latencyMs: { p99: 1000 }, reconfigurations: 2, requests: 1000, sloSeconds: 0.75, ...figures } as Summary;
}

const windowRows: ServiceWindowRow[] = [0, 5, 10].map((t) => ({ t, arrivalRps: 50, completed: 250, p99Ms: 300, sloViolations: 0, accuracy: 0.7, cores: 8 }));

function infadapterResult(seedCount: number): InfAdapterResult {
  const runs = Array.from({ length: seedCount }, (_, k) =>
    (['infadapter', 'vpa-18'] as const).map((policy) => ({
      policy,
      seed: k + 1,
      rows: windowRows,
      summary: summary({ meanCores: CORES[policy][k], windowViolationRate: WINDOWS[policy][k], sloViolationRate: REQUESTS[policy][k], accuracy: ACCURACY[policy][k] }),
    })),
  ).flat();
  return { seedCount, runs, sweep: [], wallSeconds: 1 };
}

/** pairs.csv as records. */
function records(path: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(path, 'utf8').trimEnd().split('\n');
  return lines.map((line) => Object.fromEntries(line.split(',').map((value, i) => [header.split(',')[i], value])));
}

/** report.html's text, tags and figures left out. */
const htmlText = (path: string) =>
  readFileSync(path, 'utf8')
    .replace(/<svg[\s\S]*?<\/svg>/g, '')
    .replace(/<[^>]+>/g, ' ');

describe('paired differences of a reproduction', () => {
  it("pairs.csv's rows: b − a with the paired t interval, significance and the width against Welch's", () => {
    const labelled = (policy: 'infadapter' | 'vpa-18') => ({ label: policy, runs: CORES[policy].map((cores, k) => ({ mean_cores: cores, window_violation_rate: WINDOWS[policy][k] })) });
    const rows = studyPairs(labelled('infadapter'), [labelled('vpa-18')], [{ name: 'mean_cores', label: 'mean cores' }, { name: 'window_violation_rate', label: 'windows', rate: true }]);
    expect(rows).toHaveLength(2);
    const [cores, windows] = rows;
    expect(cores.slice(0, 4)).toEqual(['vpa-18', 'infadapter', 'mean_cores', 3]);
    const [meanA, meanB, diff, low, high, significant, paired, unpaired, ratio] = cores.slice(4);
    expect([meanA, meanB, diff, significant]).toEqual([12, 8, -4, 'true']);
    expect(low).toBeCloseTo(-6.484138, 5);
    expect(high).toBeCloseTo(-1.515862, 5);
    expect(paired).toBeCloseTo(2.484138, 5);
    expect(unpaired).toBeCloseTo(5.476133, 4);
    expect(ratio).toBeCloseTo(0.45363, 4);
    expect(windows[6]).toBeCloseTo(-0.3, 6);
    expect(windows[10]).toBeCloseTo(0.0496828, 6);
    expect(windows[12]).toBe(1);
  });

  it('reads each row in report.html: rates in percentage points, a true minus, more decimals for a narrow interval', () => {
    const rows = [
      ['vpa-18', 'infadapter', 'window_violation_rate', 3, 0.4, 0.1, -0.3, -0.349683, -0.250317, 'true', 0.0496828, 0.0496828, 1],
      ['vpa-18', 'infadapter', 'mean_cores', 3, 12, 12.001, 0.001, 0.0009, 0.0011, 'true', 0.0001, 0.0002, 0.5],
      ['vpa-18', 'infadapter', 'accuracy', 1, 0.7, 0.7, 0, '', '', '', '', '', ''],
    ];
    const metrics = [
      { name: 'window_violation_rate', label: 'windows over SLO', rate: true },
      { name: 'mean_cores', label: 'mean cores', digits: 2 },
      { name: 'accuracy', label: 'accuracy', digits: 4 },
    ];
    const table = pairsTable(rows, metrics, 'InfAdapter');
    expect(table.header).toEqual(['baseline', 'metric', 'baseline mean', 'InfAdapter mean', 'InfAdapter − baseline', '95% paired interval', 'significant', 'paired / unpaired width']);
    expect(table.rows).toEqual([
      ['vpa-18', 'windows over SLO', '40.00%', '10.00%', '−30.00 pp', '[−34.97 pp, −25.03 pp]', 'yes', '1.00'],
      ['vpa-18', 'mean cores', '12.00', '12.00', '+0.00100', '[+0.00090, +0.00110]', 'yes', '0.50'],
      ['vpa-18', 'accuracy', '0.7000', '0.7000', '0.0000', '–', '–', '–'],
    ]);
  });

  it('writes a mean with its half-width, the bare mean for one seed', () => {
    expect(withInterval(8, 6.572411, 2)).toBe('8.00 ± 6.57');
    expect(withInterval(0.1, 0.0496828, 2, true)).toBe('10.00% ± 4.97%');
    expect(withInterval(17.51, 0.0024, 2)).toBe('17.51 ± 0.002');
    expect(withInterval(0.5, 0, 4)).toBe('0.5000 ± 0.0000');
    // The round-off of a variance of figures that do not vary (0.4 three times) is no spread.
    expect(withInterval(0.4, 2e-16, 2, true)).toBe('40.00% ± 0.00%');
    expect(withInterval(8, null, 2)).toBe('8.00');
  });
});

describe('the reproductions report their seeds with intervals', () => {
  it('InfAdapter: ± in the results, the paired section and pairs.csv', async () => {
    const out = tempDir();
    await reportInfAdapter(infadapterResult(3), out);
    const text = htmlText(join(out, 'report.html'));
    expect(text).toContain('Results (mean of 3 seeds)');
    // InfAdapter's mean cores over the seeds, and vpa-18's windows over the SLO (no spread).
    expect(text).toContain('8.00 ± 6.57');
    expect(text).toContain('40.00% ± 0.00%');
    expect(text).toContain('Paired differences');
    expect(text).toContain('−4.00');
    expect(text).toContain('[−6.48, −1.52]');

    const pairs = records(join(out, 'pairs.csv'));
    expect(pairs.map((r) => r.metric)).toEqual(['window_violation_rate', 'slo_violation_rate', 'mean_cores', 'accuracy']);
    const cores = pairs[2];
    expect([cores.a, cores.b, cores.seeds, cores.mean_diff, cores.significant]).toEqual(['vpa-18', 'infadapter', '3', '-4', 'true']);
    expect(Number(cores.ci_low)).toBeCloseTo(-6.484138, 5);
    expect(Number(cores.ci_high)).toBeCloseTo(-1.515862, 5);
    expect(Number(cores.width_ratio)).toBeCloseTo(0.45363, 4);
    // table.csv is as before: one row per policy and seed, no interval.
    expect(readFileSync(join(out, 'table.csv'), 'utf8').split('\n')[0]).toBe('policy,seed,slo_violation_rate,mean_cores,accuracy,p99_ms,reconfigurations,window_violation_rate');
  });

  it('InfAdapter with one seed: bare means, and pairs without intervals', async () => {
    const out = tempDir();
    await reportInfAdapter(infadapterResult(1), out);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    const results = html.slice(html.indexOf('Results (mean of 1 seed)'), html.indexOf('Paired differences'));
    expect(results).toContain('<td>6.00</td>');
    expect(results).not.toContain('±');
    expect(html).toContain('With one seed (as --quick runs) the differences have no interval.');
    const cores = records(join(out, 'pairs.csv'))[2];
    expect([cores.seeds, cores.mean_diff, cores.ci_low, cores.ci_high, cores.significant, cores.width_ratio]).toEqual(['1', '-4', '', '', '', '']);
  });

  it('IPA: per workload, IPA against each baseline', async () => {
    const policies = ['ipa', 'fa2-low', 'fa2-high', 'rim'];
    const cores: Record<string, number[]> = { ipa: [3, 3.2, 3.4], 'fa2-low': [2, 2.1, 2.2], 'fa2-high': [5, 5, 5], rim: [6, 6.5, 7] };
    const run = (policy: string, seed: number): IpaRun => ({
      workload: 'bursty',
      policy,
      seed,
      rows: windowRows,
      violations: 10 * seed,
      latenciesMs: Float64Array.from([100, 200, 7000]),
      summary: summary({ meanCores: cores[policy][seed - 1], accuracy: 0.3 + 0.01 * policies.indexOf(policy), sloViolationRate: 0.01 * seed, sloSeconds: 6.9 }),
    });
    const runs = [1, 2, 3].flatMap((seed) => policies.map((policy) => run(policy, seed)));
    const result: IpaResult = {
      seedCount: 3,
      patterns: ['bursty'],
      runs,
      ablation: [1, 2, 3].flatMap((seed) => [{ ...run('ipa', seed), predictor: 'lstm' as const }, { ...run('ipa', seed), violations: 20 * seed, predictor: 'reactive' as const }]),
      preference: [],
      decisionTimes: [{ stages: 2, solver: 'highs', medianMs: 5, maxMs: 7, decisions: 8, timedOut: 0 }],
      wallSeconds: 1,
    };
    const out = tempDir();
    await reportIpa(result, out);
    const text = htmlText(join(out, 'report.html'));
    expect(text).toContain('3.20 ± 0.50');
    expect(text).toContain('Paired differences');
    // The ablation's mean of [10, 20, 30] violations: half-width 4.302653 × 10/√3 = 24.84.
    expect(text).toContain('lstm 20.0 ± 24.8');

    const pairs = records(join(out, 'pairs.csv'));
    expect(Object.keys(pairs[0])[0]).toBe('workload');
    expect(pairs.map((r) => [r.workload, r.a, r.b, r.metric])).toEqual(['fa2-low', 'fa2-high', 'rim'].flatMap((a) => ['accuracy', 'mean_cores', 'slo_violation_rate'].map((m) => ['bursty', a, 'ipa', m])));
    // IPA − FA2-low in cores: [1, 1.1, 1.2], mean 1.1, sd 0.1, half-width 4.302653 × 0.1/√3 = 0.248414.
    const low = pairs.find((r) => r.a === 'fa2-low' && r.metric === 'mean_cores') as Record<string, string>;
    expect(Number(low.mean_diff)).toBeCloseTo(1.1, 6);
    expect(Number(low.paired_half_width)).toBeCloseTo(0.248414, 5);
    // The same violation rates on every seed: no difference, none significant.
    const violations = pairs.find((r) => r.a === 'fa2-low' && r.metric === 'slo_violation_rate') as Record<string, string>;
    expect([violations.mean_diff, violations.significant]).toEqual(['0', 'false']);
  });
});

describe('bar charts of seed means', () => {
  const aggregate = (policy: string, halfWidth: number | null): PolicyAggregate => ({
    policy,
    sloViolationRate: 0.1,
    windowViolationRate: 0.2,
    meanCores: 8,
    accuracy: 0.7,
    halfWidths: { sloViolationRate: halfWidth, windowViolationRate: halfWidth, meanCores: halfWidth, accuracy: halfWidth },
  });
  type Layered = { data: { values: Record<string, unknown>[] }; spec: { layer?: { mark: { type: string }; encoding: Record<string, { field: string }> }[]; mark?: unknown } };

  it('policyBars: an error-bar layer from mean − hw to mean + hw over the bars', async () => {
    const spec = policyBars([aggregate('infadapter', 0.01), aggregate('ms+', 0.02)], 'bars') as unknown as Layered;
    const layers = spec.spec.layer ?? [];
    expect(layers.map((l) => l.mark.type)).toEqual(['bar', 'errorbar']);
    expect([layers[1].encoding.y.field, layers[1].encoding.y2.field]).toEqual(['low', 'high']);
    const cores = spec.data.values.find((v) => v.policy === 'ms+' && v.metric === 'cost (mean cores)');
    expect(cores).toMatchObject({ value: 8, low: 7.98, high: 8.02 });
    // Rates are drawn in %: so are their half-widths.
    const windows = spec.data.values.find((v) => v.policy === 'infadapter' && String(v.metric).startsWith('windows'));
    expect(windows?.low).toBeCloseTo(19, 9);
    expect(windows?.high).toBeCloseTo(21, 9);
    expect(await chartToSvg(spec as never)).toContain('<svg');
  });

  it('policyBars with one seed: bars only', () => {
    const spec = policyBars([aggregate('infadapter', null)], 'bars') as unknown as Layered;
    expect(spec.spec.layer).toBeUndefined();
    expect(spec.spec.mark).toEqual({ type: 'bar' });
  });

  it("patternBars and the ablation: error bars where a mean has a half-width", async () => {
    const spec = patternBars([{ workload: 'bursty', policy: 'ipa', accuracy: 0.35, meanCores: 2.8, violationRate: 0.03, halfWidths: { accuracy: 0.001, meanCores: 0.1, violationRate: 0.005 } }], 'comparison') as unknown as Layered;
    expect((spec.spec.layer ?? []).map((l) => l.mark.type)).toEqual(['bar', 'errorbar']);
    const violations = spec.data.values.find((v) => v.metric === 'SLA violations (%)');
    expect(violations?.low).toBeCloseTo(2.5, 9);
    expect(violations?.high).toBeCloseTo(3.5, 9);
    expect(await chartToSvg(spec as never)).toContain('<svg');

    const ablation = ablationChart([{ source: 'paper', predictor: 'lstm', violations: 69 }, { source: 'servesim', predictor: 'lstm', violations: 380, halfWidth: 4 }], 'ablation') as unknown as Layered;
    expect((ablation.spec.layer ?? []).map((l) => l.mark.type)).toEqual(['bar', 'errorbar']);
    expect(ablation.data.values).toEqual([
      { source: 'paper', predictor: 'lstm', violations: 69 },
      { source: 'servesim', predictor: 'lstm', violations: 380, low: 376, high: 384 },
    ]);
  });
});
