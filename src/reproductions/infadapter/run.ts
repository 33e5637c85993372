import { join } from 'node:path';
import { InputError } from '../../errors.js';
import { validateSpec } from '../../experiment/load-spec.js';
import { runSpec } from '../../experiment/run.js';
import type { SpecInput } from '../../experiment/spec.js';
import type { Summary } from '../../experiment/summary.js';
import type { ServiceWindowRow } from '../../metrics/run-metrics.js';
import { packageRoot } from '../../paths.js';
import type { ReproductionContext } from '../reproduction.js';
import { mergeOverride } from '../../experiment/spec-variants.js';
import { policySpecs } from './specs.js';

export interface InfAdapterOptions {
  seeds: string;
}

export interface PolicyRun {
  policy: string;
  seed: number;
  summary: Summary;
  rows: ServiceWindowRow[];
}

export interface InfAdapterResult {
  seedCount: number;
  /** Every policy on seeds 1…seedCount, seed by seed. */
  runs: PolicyRun[];
  /** InfAdapter on seed 1 at each resource weight; empty with --quick. */
  sweep: (PolicyRun & { weight: number })[];
  wallSeconds: number;
}

/** Resource weights swept for the accuracy–cost trade-off (InfAdapter's α; 0.05 is its default). */
const RESOURCE_WEIGHTS = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5];

async function runPolicy(spec: SpecInput, seed: number, onProgress: (fraction: number) => void): Promise<PolicyRun> {
  const policy = spec.name;
  const rows: ServiceWindowRow[] = [];
  const seeded = mergeOverride(spec, { seed, name: `${policy}-seed${seed}` });
  const summary = await runSpec(validateSpec(seeded, `${policy} (seed ${seed})`), {
    resolve: (file) => join(packageRoot, file),
    onServiceRow: (row) => rows.push(row),
    onProgress,
  });
  return { policy, seed, summary, rows };
}

/** Every policy on the identical trace and seeds, then (without --quick) InfAdapter's resource-weight sweep. */
export async function runInfAdapter({ options, quick, onProgress }: ReproductionContext<InfAdapterOptions>): Promise<InfAdapterResult> {
  const started = performance.now();
  const seedCount = quick ? 1 : Number(options.seeds);
  if (!Number.isInteger(seedCount) || seedCount < 1) throw new InputError(`--seeds: expected a positive integer, got "${options.seeds}"`);
  const specs = policySpecs();
  const total = seedCount * specs.length + (quick ? 0 : RESOURCE_WEIGHTS.length);
  let done = 0;
  const step = (fraction: number) => onProgress((done + fraction) / total);

  const runs: PolicyRun[] = [];
  for (let seed = 1; seed <= seedCount; seed++) {
    for (const spec of specs) {
      runs.push(await runPolicy(spec, seed, step));
      done++;
    }
  }
  const sweep: InfAdapterResult['sweep'] = [];
  if (!quick) {
    const infadapter = specs.find((s) => s.name === 'infadapter') as SpecInput;
    for (const weight of RESOURCE_WEIGHTS) {
      const weighted = mergeOverride(infadapter, { policy: { resourceWeight: weight } }) as SpecInput;
      sweep.push({ ...(await runPolicy(weighted, 1, step)), weight });
      done++;
    }
  }
  return { seedCount, runs, sweep, wallSeconds: (performance.now() - started) / 1000 };
}
