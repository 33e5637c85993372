import { join } from 'node:path';
import { InputError } from '../../errors.js';
import { validateSpec } from '../../experiment/load-spec.js';
import { runSpec } from '../../experiment/run.js';
import type { SpecInput } from '../../experiment/spec.js';
import type { Summary } from '../../experiment/summary.js';
import type { ServiceWindowRow } from '../../metrics/run-metrics.js';
import { packageRoot } from '../../paths.js';
import { Sponge } from '../../policies/sponge.js';
import type { ReproductionContext } from '../reproduction.js';
import { atSetting, onTwitter, policySpecs, SETTINGS, type Setting } from './specs.js';

export interface SpongeOptions {
  seeds: string;
}

/** One run of a policy at one setting and seed. */
export interface SpongeRun extends Setting {
  policy: string;
  seed: number;
  summary: Summary;
  rows: ServiceWindowRow[];
  /** End-to-end latencies of the completed requests, ms, sorted. */
  latenciesMs: Float64Array;
  /** The batch size Sponge (or FA2) chose at each decision; empty for the others. */
  batches: { t: number; batch: number }[];
}

export interface SpongeResult {
  seedCount: number;
  settings: Setting[];
  runs: SpongeRun[];
  /** Every policy on the Twitter segment (rateRps NaN), every image size and seed; empty with --quick. */
  twitter: SpongeRun[];
  wallSeconds: number;
}

async function runOne(spec: SpecInput, setting: Setting, policy: string, seed: number, onProgress: (fraction: number) => void): Promise<SpongeRun> {
  const where = Number.isNaN(setting.rateRps) ? 'the Twitter segment' : `${setting.rateRps} requests/s`;
  const validated = validateSpec(spec, `${policy} on ${where}, ${setting.imageKB} KB (seed ${seed})`);
  const rows: ServiceWindowRow[] = [];
  const latencies: number[] = [];
  let sponge: Sponge | undefined;
  const summary = await runSpec(validated, {
    onPolicies: (policies) => (sponge = policies.map((p) => p.policy).find((p): p is Sponge => p instanceof Sponge)),
    resolve: (file) => join(packageRoot, file),
    onServiceRow: (row) => rows.push(row),
    requestLog: (request, _where, status, end) => {
      if (status === 'completed') latencies.push(1000 * (end - request.arrivalTime));
    },
    onProgress,
  });
  const batches = (sponge?.decisions ?? []).flatMap((d) => (d.choice === null ? [] : [{ t: d.time, batch: d.choice.batch }]));
  return { ...setting, policy, seed, summary, rows, latenciesMs: Float64Array.from(latencies).sort(), batches };
}

/**
 * Every policy on the identical arrivals and uplink of each setting and seed, then on the Twitter
 * segment. With --quick: 20 requests/s only, one seed, no Twitter runs.
 */
export async function runSponge({ options, quick, onProgress }: ReproductionContext<SpongeOptions>): Promise<SpongeResult> {
  const started = performance.now();
  const seedCount = quick ? 1 : Number(options.seeds);
  if (!Number.isInteger(seedCount) || seedCount < 1) throw new InputError(`--seeds: expected a positive integer, got "${options.seeds}"`);
  const settings = quick ? SETTINGS.filter((s) => s.rateRps === 20) : SETTINGS;
  const specs = policySpecs();
  const imageSizes = [...new Set(SETTINGS.map((s) => s.imageKB))];
  const total = seedCount * specs.length * (settings.length + (quick ? 0 : imageSizes.length));
  let done = 0;
  const step = (fraction: number) => onProgress((done + fraction) / total);
  const runs: SpongeRun[] = [];
  const twitter: SpongeRun[] = [];
  for (let seed = 1; seed <= seedCount; seed++) {
    for (const setting of settings) {
      for (const spec of specs) {
        runs.push(await runOne(atSetting(spec, setting, seed), setting, spec.name, seed, step));
        done++;
      }
    }
  }
  if (!quick) {
    for (let seed = 1; seed <= seedCount; seed++) {
      for (const imageKB of imageSizes) {
        for (const spec of specs) {
          twitter.push(await runOne(onTwitter(spec, imageKB, seed), { rateRps: NaN, imageKB }, spec.name, seed, step));
          done++;
        }
      }
    }
  }
  onProgress(1);
  return { seedCount, settings, runs, twitter, wallSeconds: (performance.now() - started) / 1000 };
}
