import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../paths.js';
import { validateSpec } from '../load-spec.js';
import { runSpec } from '../run.js';
import type { SpecInput } from '../spec.js';
import type { Summary } from '../summary.js';
import type { ServiceWindowRow } from '../../metrics/run-metrics.js';

/** The spec every policy of the comparison starts from. */
export const INFADAPTER_SPEC = 'experiments/paper/infadapter.json';

export const VARIANTS = ['resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152'] as const;

/** The policies compared, named as in `table.csv`. */
export const POLICIES = ['infadapter', 'ms+', ...VARIANTS.map((v) => `vpa-${v.slice('resnet'.length)}`)] as const;

export interface ReproductionRun {
  policy: string;
  seed: number;
  summary: Summary;
  rows: ServiceWindowRow[];
}

function baseSpec(): SpecInput {
  return JSON.parse(readFileSync(join(packageRoot, INFADAPTER_SPEC), 'utf8')) as SpecInput;
}

/**
 * The spec of one policy, as InfAdapter's starter.py and adapter ran it. InfAdapter and MS+ choose
 * among the five variants, starting from ResNet152 on 20 cores. VPA-x serves variant x alone,
 * starting on 20 cores: a VPA object recommends only ("Off", CPU within [2, 20] cores), and from
 * minute 2 every 30 s (the adapter's decision interval) the target, rounded up to whole cores,
 * restarts the deployment (a rolling update: the new pod starts before the old one goes), a lower
 * or equal target skipped 4 times first (VPA_TYPE "P"). The recommender of 2023 weighted CPU
 * samples by the pod's request.
 */
export function policySpec(policy: string, seed: number, overrides: { resourceWeight?: number; predictor?: 'lstm' | 'ewma' | 'max' } = {}): SpecInput {
  const spec = baseSpec();
  spec.seed = seed;
  spec.name = `${policy}-seed${seed}`;
  const stage = spec.pipelines?.[0].stages[0];
  if (policy === 'infadapter' || policy === 'ms+') {
    spec.policy = { ...(spec.policy as object), name: policy, ...overrides } as SpecInput['policy'];
    return spec;
  }
  const variant = `resnet${policy.slice('vpa-'.length)}`;
  if (!VARIANTS.includes(variant as (typeof VARIANTS)[number]) || stage === undefined) throw new Error(`unknown policy ${policy}`);
  spec.deployments = spec.deployments.map((d) => ({ ...d, replicas: d.name === variant ? 1 : 0, cores: d.name === variant ? 20 : d.cores }));
  stage.weights = VARIANTS.map((v) => (v === variant ? 1 : 0));
  spec.policy = {
    name: 'vpa',
    deployment: variant,
    mode: 'Off',
    applyBy: 'restart',
    minCores: 2,
    maxCores: 20,
    wholeCores: true,
    updaterIntervalSeconds: 30,
    firstUpdateSeconds: 120,
    sampleWeight: 'request',
    scaleDownAfter: 4,
  };
  return spec;
}

export async function runPolicy(policy: string, seed: number, overrides: Parameters<typeof policySpec>[2] = {}): Promise<ReproductionRun> {
  const rows: ServiceWindowRow[] = [];
  const summary = await runSpec(validateSpec(policySpec(policy, seed, overrides), `${policy} (seed ${seed})`), {
    resolve: (file) => join(packageRoot, file),
    onServiceRow: (row) => rows.push(row),
  });
  return { policy, seed, summary, rows };
}

/** One `table.csv` row. */
export function tableRow(run: ReproductionRun): string {
  const s = run.summary;
  const v = (x: number | null, digits: number) => (x === null ? '' : x.toFixed(digits));
  return `${run.policy},${run.seed},${v(s.sloViolationRate, 6)},${v(s.meanCores, 4)},${v(s.accuracy, 6)},${v(s.latencyMs.p99, 3)},${s.reconfigurations},${v(s.windowViolationRate, 6)}`;
}

export const TABLE_HEADER = 'policy,seed,slo_violation_rate,mean_cores,accuracy,p99_ms,reconfigurations,window_violation_rate';
