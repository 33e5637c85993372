import { join } from 'node:path';
import { InputError } from '../../errors.js';
import { validateSpec } from '../../experiment/load-spec.js';
import { runSpec } from '../../experiment/run.js';
import type { SpecInput } from '../../experiment/spec.js';
import type { Summary } from '../../experiment/summary.js';
import type { ServiceWindowRow } from '../../metrics/run-metrics.js';
import { packageRoot } from '../../paths.js';
import type { ReproductionContext } from '../reproduction.js';
import { atSetting, policySpecs, SETTINGS, type Setting } from './specs.js';

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
}

export interface SpongeResult {
  seedCount: number;
  settings: Setting[];
  runs: SpongeRun[];
  wallSeconds: number;
}

async function runOne(spec: SpecInput, setting: Setting, policy: string, seed: number, onProgress: (fraction: number) => void): Promise<SpongeRun> {
  const validated = validateSpec(spec, `${policy} at ${setting.rateRps} requests/s, ${setting.imageKB} KB (seed ${seed})`);
  const rows: ServiceWindowRow[] = [];
  const latencies: number[] = [];
  const summary = await runSpec(validated, {
    resolve: (file) => join(packageRoot, file),
    onServiceRow: (row) => rows.push(row),
    requestLog: (request, _where, status, end) => {
      if (status === 'completed') latencies.push(1000 * (end - request.arrivalTime));
    },
    onProgress,
  });
  return { ...setting, policy, seed, summary, rows, latenciesMs: Float64Array.from(latencies).sort() };
}

/**
 * Every policy on the identical arrivals and uplink of each setting and seed. With --quick: 20
 * requests/s only, one seed.
 */
export async function runSponge({ options, quick, onProgress }: ReproductionContext<SpongeOptions>): Promise<SpongeResult> {
  const started = performance.now();
  const seedCount = quick ? 1 : Number(options.seeds);
  if (!Number.isInteger(seedCount) || seedCount < 1) throw new InputError(`--seeds: expected a positive integer, got "${options.seeds}"`);
  const settings = quick ? SETTINGS.filter((s) => s.rateRps === 20) : SETTINGS;
  const specs = policySpecs();
  const total = seedCount * settings.length * specs.length;
  const runs: SpongeRun[] = [];
  for (let seed = 1; seed <= seedCount; seed++) {
    for (const setting of settings) {
      for (const spec of specs) {
        const done = runs.length;
        runs.push(await runOne(atSetting(spec, setting, seed), setting, spec.name, seed, (fraction) => onProgress((done + fraction) / total)));
      }
    }
  }
  onProgress(1);
  return { seedCount, settings, runs, wallSeconds: (performance.now() - started) / 1000 };
}
