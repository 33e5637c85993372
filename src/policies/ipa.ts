import { z } from 'zod';
import { InputError } from '../errors.js';
import { createSolver, type MilpSolver } from '../solver/index.js';
import type { Action, DeploymentObservation, Observation, Policy } from '../control/types.js';
import { baseAllocations, type IpaVariant } from './ipa-allocation.js';
import { ipaModel, ipaPlanOf, type IpaOption, type IpaPlan, type IpaProblem, type IpaStage } from './ipa-program.js';
import type { LoadPredictor } from './predictors/predictor.js';

const positive = z.number().positive();

/**
 * IPA (Ghafouri et al., JSys 2024) as its authors' adapter runs it (reconfigurable-ml-pipeline/ipa
 * optimizer/adapter.py, optimizer.py, models.py; settings of data/configs/final/video-mul-*.yaml):
 * every 10 s it predicts the load and solves for each stage's variant, batch size and replicas
 * (ipa-program.ts), each replica on its variant's base allocation (ipa-allocation.ts).
 * `baseline` turns it into the authors' baselines, as extra constraints of the same program: FA2
 * ("scale": the variant stays the one serving) and RIM ("switch": the replicas stay as they are).
 */
export const ipaSchema = z.strictObject({
  name: z.literal('ipa'),
  stages: z
    .array(
      z.strictObject({
        stage: z.string().describe('A stage of the pipeline the workload targets'),
        deployments: z.array(z.string()).min(1).describe("The stage's deployments, one per model variant, each with a profile table (batch sizes × core counts) and an accuracy"),
        slaSeconds: positive.describe("The stage's SLA, which a variant's base allocation must meet (video: crop 4.62 s, classification 2.28 s, profiles/ipa/pipeline_slas.csv)"),
      }),
    )
    .min(1)
    .describe('The pipeline\'s stages in order'),
  slaSeconds: positive.optional().describe("The pipeline's SLA in the latency constraint (default: the stages' sum, as models.py's Task.sla adds them up)"),
  alpha: z.number().nonnegative().default(2).describe('α, the weight of accuracy (2 in every video config)'),
  beta: z.number().nonnegative().default(1).describe('β, the weight of cores (1)'),
  delta: z.number().nonnegative().default(1e-6).describe("δ, the weight of batch sizes (the configs' `gamma`, 1e-6)"),
  accuracy: z
    .enum(['product', 'sum'])
    .default('product')
    .describe("product: Π of raw accuracies (the JSys revision, accuracy_method multiply); sum: Σ of accuracies ranked and normalised to [0, 1] within each stage (the original submission)"),
  baseline: z.enum(['none', 'scale', 'switch']).default('none').describe('none: IPA; scale: FA2, the serving variant pinned; switch: RIM, the replicas pinned'),
  scalingCap: z.number().int().positive().default(100).describe('Replicas of a stage, at most (scaling_cap)'),
  batchingCap: z.number().int().positive().default(8).describe('Profiled batch sizes it may choose, up to this (batching_cap)'),
  threshold: positive.default(4).describe('Requests/s a base allocation must reach (threshold)'),
  predictor: z.enum(['lstm', 'reactive']).default('lstm').describe("lstm: the shipped IPA LSTM, 12 × 10 s maxima → the next 20 s's peak; reactive: the last 10 s's peak. Both fall back to the 2-minute peak with less history"),
  margin: z.number().nonnegative().default(0).describe('predictor_margin, a fraction (0)'),
  intervalSeconds: z.number().min(0.01).default(10).describe('adaptation_interval'),
  firstDecisionSeconds: z.number().nonnegative().default(10).describe('The adapter sleeps one interval before its first decision'),
  reconcileSeconds: z
    .number()
    .min(0.01)
    .default(1)
    .describe('How often the decision in force is carried out: a new variant takes the load once its replicas are ready, the old one goes once its queue is empty (a rolling update\'s make-before-break)'),
  maxBatchWaitSeconds: z.number().nonnegative().default(1).describe("The stage queue's max_batch_time (1 s in the configs)"),
  solver: z.enum(['highs', 'glpk']).default('highs'),
});

export type IpaSpec = z.infer<typeof ipaSchema>;

/** One decision as it was taken, for the reproduction's report. */
export interface IpaDecision {
  time: number;
  load: number;
  /** Null where the program had no solution (the pipeline stays as it is). */
  plan: IpaPlan | null;
}

/** What a stage is asked to run, and which of its variants takes its load now. */
interface StageState {
  target: { deployment: string; replicas: number; batch: number } | null;
  serving: string | null;
}

/** Python's round(): halves to even, as the adapter rounds its forecast. */
const roundHalfEven = (x: number) => {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

/** The pipeline SLA of the latency constraint: the spec's, or the stages' sum. */
export const pipelineSla = (spec: IpaSpec) => spec.slaSeconds ?? spec.stages.reduce((sum, s) => sum + s.slaSeconds, 0);

/**
 * The program's stages: each variant's profiled batch sizes up to the batching cap, on its base
 * allocation (ipa-allocation.ts), with its accuracy raw and ranked within the stage.
 */
export function ipaStages(spec: IpaSpec, variants: IpaVariant[][]): { stages: IpaStage[]; base: Map<string, number>[] } {
  const base = spec.stages.map((s, i) => baseAllocations(variants[i], s.slaSeconds, spec.threshold, `policy ipa: stage "${s.stage}"`));
  const stages = spec.stages.map((stage, s): IpaStage => {
    const ranked = [...variants[s]].sort((a, b) => a.accuracy - b.accuracy);
    const options: IpaOption[] = variants[s].flatMap((v) => {
      const cores = base[s].get(v.deployment) as number;
      const normalizedAccuracy = ranked.length === 1 ? 1 : ranked.indexOf(v) / (ranked.length - 1);
      return v.points
        .filter((p) => p.cores === cores && p.batch <= spec.batchingCap)
        .map((p) => ({ variant: v.deployment, batch: p.batch, accuracy: v.accuracy, normalizedAccuracy, cores, p99Seconds: p.p99Seconds, throughputRps: p.throughputRps }));
    });
    if (options.length === 0) throw new InputError(`policy ipa: stage "${stage.stage}" has no profiled batch size up to batchingCap ${spec.batchingCap}`);
    return { name: stage.stage, options };
  });
  return { stages, base };
}

export class Ipa implements Policy {
  readonly name: string;
  readonly intervalSeconds: number;
  readonly firstDecisionSeconds: number;
  readonly solveSeconds: number[] = [];
  readonly decisions: IpaDecision[] = [];
  private readonly solver: MilpSolver;
  private readonly base: Map<string, number>[];
  /** Each stage's options: they do not change from one decision to the next. */
  private readonly options: IpaStage[];
  private readonly stages: StageState[];
  /** What the policy last set, per deployment: batch sizes and template cores. */
  private readonly batchSet = new Map<string, number>();
  private readonly coresSet = new Map<string, number>();
  private nextDecision: number;
  private started = false;

  constructor(
    readonly spec: IpaSpec,
    /** Per stage of `spec.stages`, its variants in the order of its `deployments`. */
    variants: IpaVariant[][],
    private readonly predictor: LoadPredictor,
  ) {
    this.name = spec.baseline === 'none' ? 'ipa' : spec.baseline === 'scale' ? 'fa2' : 'rim';
    this.intervalSeconds = spec.reconcileSeconds;
    this.firstDecisionSeconds = 0;
    this.nextDecision = spec.firstDecisionSeconds;
    this.solver = createSolver(spec.solver);
    const program = ipaStages(spec, variants);
    this.base = program.base;
    this.options = program.stages;
    this.stages = spec.stages.map(() => ({ target: null, serving: null }));
  }

  prepare(): Promise<void> {
    return this.solver.load();
  }

  /** The variant deployment's base allocation (cores per replica). */
  baseCores(stage: number, deployment: string): number {
    return this.base[stage].get(deployment) as number;
  }

  decide(o: Observation): Action[] {
    const actions: Action[] = [];
    const find = (name: string) => o.deployments.find((d) => d.name === name) as DeploymentObservation;
    if (!this.started) {
      this.started = true;
      this.spec.stages.forEach((stage, s) => {
        // The variant serving at the start: the first with replicas (the spec's initial configuration).
        this.stages[s].serving = stage.deployments.find((name) => find(name).replicas > 0) ?? stage.deployments[0];
        actions.push(this.weights(s));
      });
    }
    if (o.now + 1e-9 >= this.nextDecision) {
      this.nextDecision = o.now + this.spec.intervalSeconds;
      this.plan(o, find);
    }
    this.spec.stages.forEach((_, s) => actions.push(...this.reconcile(s, find)));
    return actions;
  }

  /** One adaptation: predict, solve; without a solution the pipeline stays as it is (adapter.py). */
  private plan(o: Observation, find: (name: string) => DeploymentObservation): void {
    const load = roundHalfEven(this.predictor.predict(o.arrivalsPerSecond));
    const problem = this.problem(load, find);
    const solution = this.solver.solveLoaded(ipaModel(problem));
    const plan = ipaPlanOf(problem, solution);
    this.solveSeconds.push(solution.solveSeconds);
    this.decisions.push({ time: o.now, load, plan });
    if (plan === null) return;
    plan.stages.forEach((p, s) => (this.stages[s].target = { deployment: p.variant, replicas: p.replicas, batch: p.batch }));
  }

  /** The program for a predicted load (the baselines pin what serves now). */
  problem(load: number, find: (name: string) => DeploymentObservation): IpaProblem {
    const { spec } = this;
    const serving = this.stages.map((st) => st.serving as string);
    return {
      stages: this.options,
      load,
      slaSeconds: pipelineSla(spec),
      alpha: spec.alpha,
      beta: spec.beta,
      delta: spec.delta,
      accuracy: spec.accuracy,
      scalingCap: spec.scalingCap,
      pinnedVariants: spec.baseline === 'scale' ? serving : undefined,
      pinnedReplicas: spec.baseline === 'switch' ? serving.map((name) => find(name).replicas) : undefined,
    };
  }

  /**
   * Carries the stage's target out, as a rolling update of one Seldon deployment would: the target
   * variant gets its replicas, cores and batch size; it takes the stage's load once all its
   * replicas are ready; a variant that no longer serves goes once its queue is empty.
   */
  private reconcile(s: number, find: (name: string) => DeploymentObservation): Action[] {
    const state = this.stages[s];
    const target = state.target;
    if (target === null) return [];
    const actions: Action[] = [];
    const d = find(target.deployment);
    const cores = this.baseCores(s, target.deployment);
    if ((this.coresSet.get(d.name) ?? d.coresPerReplica) !== cores) {
      actions.push({ kind: 'template', deployment: d.name, cores });
      this.coresSet.set(d.name, cores);
    }
    if (d.replicas !== target.replicas) actions.push({ kind: 'scale', deployment: d.name, replicas: target.replicas });
    if (this.batchSet.get(d.name) !== target.batch) {
      actions.push({ kind: 'batch', deployment: d.name, maxBatch: target.batch, maxWaitSeconds: this.spec.maxBatchWaitSeconds });
      this.batchSet.set(d.name, target.batch);
    }
    if (state.serving !== target.deployment && d.readyReplicas >= target.replicas) {
      state.serving = target.deployment;
      actions.push(this.weights(s));
    }
    for (const name of this.spec.stages[s].deployments) {
      if (name === target.deployment || name === state.serving) continue;
      const old = find(name);
      if (old.replicas > 0 && old.queueLength === 0) actions.push({ kind: 'scale', deployment: name, replicas: 0 });
    }
    return actions;
  }

  /** The stage's whole load to the variant serving it. */
  private weights(s: number): Action {
    const serving = this.stages[s].serving;
    return { kind: 'weights', stage: this.spec.stages[s].stage, weights: this.spec.stages[s].deployments.map((name) => (name === serving ? 1 : 0)) };
  }
}
