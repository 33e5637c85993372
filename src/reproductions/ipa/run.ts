import { join } from 'node:path';
import { InputError } from '../../errors.js';
import { validateSpec } from '../../experiment/load-spec.js';
import { runSpec } from '../../experiment/run.js';
import type { SpecInput } from '../../experiment/spec.js';
import type { Summary } from '../../experiment/summary.js';
import type { ServiceWindowRow } from '../../metrics/run-metrics.js';
import { packageRoot } from '../../paths.js';
import type { ReproductionContext } from '../reproduction.js';
import { measureDecisionTimes, type DecisionTime } from './decision-time.js';
import { loadPatterns, onPattern, policySpecs, type Pattern } from './specs.js';

export interface IpaOptions {
  seeds: string;
}

/** One run of a policy on a pattern and seed. */
export interface IpaRun {
  workload: string;
  policy: string;
  seed: number;
  summary: Summary;
  rows: ServiceWindowRow[];
  /** Requests that finished after the SLA or were dropped (IPA's SLA violations). */
  violations: number;
  /** End-to-end latencies of the completed requests, ms, sorted. */
  latenciesMs: Float64Array;
}

export interface IpaResult {
  seedCount: number;
  patterns: string[];
  /** Every policy on every pattern and seed. */
  runs: IpaRun[];
  /** IPA on bursty with each predictor (Fig. 16), every seed. */
  ablation: (IpaRun & { predictor: 'lstm' | 'reactive' })[];
  /** IPA on bursty, seed 1, at each objective preference (Fig. 14); empty with --quick. */
  preference: (IpaRun & Preference)[];
  /** Decision time against pipeline length per solver (Fig. 13). */
  decisionTimes: DecisionTime[];
  wallSeconds: number;
}

export interface Preference {
  label: string;
  alpha: number;
  beta: number;
}

/**
 * The objective preferences of the paper's Fig. 14 for the video pipeline (metaseries 19, series
 * 1–3 in paper-revision-fig14-objecitve-preference.ipynb), with the default of every other run.
 */
export const PREFERENCES: Preference[] = [
  { label: 'accuracy first', alpha: 10, beta: 0.125 },
  { label: 'balance', alpha: 4, beta: 1 },
  { label: 'default', alpha: 2, beta: 1 },
  { label: 'resources first', alpha: 0.125, beta: 1 },
];

async function runOne(spec: SpecInput, pattern: Pattern, policy: string, seed: number, onProgress: (fraction: number) => void): Promise<IpaRun> {
  const validated = validateSpec(spec, `${policy} on ${pattern.name} (seed ${seed})`);
  const sloMs = 1000 * (validated.workload.slo ?? Infinity);
  const rows: ServiceWindowRow[] = [];
  const latencies: number[] = [];
  let violations = 0;
  const summary = await runSpec(validated, {
    resolve: (file) => join(packageRoot, file),
    onServiceRow: (row) => rows.push(row),
    requestLog: (request, _where, status, end) => {
      if (status === 'in_flight') return;
      const latencyMs = 1000 * (end - request.arrivalTime);
      if (status === 'dropped' || latencyMs > sloMs) violations++;
      if (status === 'completed') latencies.push(latencyMs);
    },
    onProgress,
  });
  return { workload: pattern.name, policy, seed, summary, rows, violations, latenciesMs: Float64Array.from(latencies).sort() };
}

/**
 * Every policy on the identical arrivals of each pattern and seed; IPA's predictor ablation and
 * (without --quick) its objective preferences on bursty; the decision times of its program. With
 * --quick: bursty only, one seed, no preferences, pipelines of 2 to 4 stages.
 */
export async function runIpa({ options, quick, onProgress, log }: ReproductionContext<IpaOptions>): Promise<IpaResult> {
  const started = performance.now();
  const seedCount = quick ? 1 : Number(options.seeds);
  if (!Number.isInteger(seedCount) || seedCount < 1) throw new InputError(`--seeds: expected a positive integer, got "${options.seeds}"`);
  const all = loadPatterns();
  const patterns = quick ? all.filter((p) => p.name === 'bursty') : all;
  const bursty = all.find((p) => p.name === 'bursty') as Pattern;
  const specs = policySpecs();
  const ipa = specs[0];
  const total = seedCount * (patterns.length * specs.length + 1) + (quick ? 0 : PREFERENCES.length) + 1;
  let done = 0;
  const step = (fraction: number) => onProgress((done + fraction) / total);
  const next = async <T>(work: Promise<T>) => {
    const result = await work;
    done++;
    return result;
  };

  const runs: IpaRun[] = [];
  for (let seed = 1; seed <= seedCount; seed++) {
    for (const pattern of patterns) {
      for (const spec of specs) runs.push(await next(runOne(onPattern(spec, pattern, seed), pattern, spec.name, seed, step)));
    }
  }
  // The LSTM run of the ablation is IPA's own run on bursty; the reactive one differs in the predictor only.
  const ablation: IpaResult['ablation'] = [];
  for (let seed = 1; seed <= seedCount; seed++) {
    const lstm = runs.find((r) => r.policy === 'ipa' && r.workload === 'bursty' && r.seed === seed) as IpaRun;
    const reactive = await next(runOne(onPattern(ipa, bursty, seed, { policy: { predictor: 'reactive' } }), bursty, 'ipa', seed, step));
    ablation.push({ ...lstm, predictor: 'lstm' }, { ...reactive, predictor: 'reactive' });
  }
  const preference: IpaResult['preference'] = [];
  if (!quick) {
    for (const p of PREFERENCES) {
      const run = await next(runOne(onPattern(ipa, bursty, 1, { policy: { alpha: p.alpha, beta: p.beta } }), bursty, 'ipa', 1, step));
      preference.push({ ...run, ...p });
    }
  }
  log('timing the program against pipeline length');
  const decisionTimes = await measureDecisionTimes(ipa, quick ? 4 : 10, log);
  done++;
  onProgress(1);
  return { seedCount, patterns: patterns.map((p) => p.name), runs, ablation, preference, decisionTimes, wallSeconds: (performance.now() - started) / 1000 };
}
