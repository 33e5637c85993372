import { linearRegression } from 'simple-statistics';
import { z } from 'zod';
import { InputError } from '../errors.js';
import { createSolver, type MilpModel, type MilpSolver } from '../solver/index.js';
import type { LoadPredictor } from './predictors/predictor.js';
import type { Action, DeploymentObservation, Observation, Policy } from '../control/types.js';

/**
 * InfAdapter (Salmani et al., EuroMLSys 2023) as its authors' adapter solves it
 * (reconfigurable-ml-pipeline/InfAdapter: auto_tuner/adapter/reconfig.py `run_optimizer`,
 * adapter/main.py `make_decision`, starter.py): every 30 s (first at 2 min) choose integer cores
 * per ResNet variant — 0, or 2 to 20, at most 20 in all — so that the variants' derated capacities
 * cover the predicted load λ̂ while those above the least accurate one do not exceed it (its
 * remaining-load variables rl_i = λ̂ − Σ_{j>i} tp_j are bounded below by 0), the load going to the
 * most accurate variants first, maximising average accuracy − α·cores/20 − β·loading cost.
 * Defaults from starter.py and reconfig.py: α 0.05, β 0.001, derating 0.8, 4 decisions skipped
 * before a scale-down, the LSTM forecast + 10% truncated to whole requests/s.
 */
export const infadapterSchema = z.strictObject({
  name: z.literal('infadapter'),
  stage: z.string().describe('The pipeline stage whose variants it configures; its weights become the quotas'),
  deployments: z.array(z.string()).min(1).describe('One deployment per variant, each with a profile that has capacity data (the infadapter profile, or one written by `servesim profile`)'),
  budgetCores: z.number().int().positive().default(20).describe('MAX_CPU'),
  minCores: z.number().int().positive().default(2).describe('Cores of a deployed variant, at least'),
  capacitySloMs: z.number().positive().default(750).describe('The P99 SLO of the profiles\' capacity data the linear fits use (750 ms: train_capacity_models.py)'),
  capacityFactor: z.number().positive().default(0.8).describe('CAPACITY_COEF: derating of the fitted capacity'),
  resourceWeight: z.number().nonnegative().default(0.05).describe('α, weight of cores/budget'),
  loadingWeight: z.number().nonnegative().default(0.001).describe('β, weight of the loading cost'),
  // Periods of at least 0.01 s, the shortest control period (src/engine/limits.ts): shorter ones would spend the run deciding.
  intervalSeconds: z.number().min(0.01).default(30).describe('DECISION_INTERVAL: from the end of one decision (its pods ready) to the next'),
  firstDecisionSeconds: z.number().nonnegative().default(120).describe('FIRST_DECIDE_DELAY_MINUTES × 60'),
  readinessPollSeconds: z.number().min(0.01).default(0.5).describe('How often a decision checks whether the pods it started are ready (check_readiness)'),
  scaleDownAfter: z.number().int().nonnegative().default(4).describe('STABILIZATION_INTERVAL: decisions skipped while the forecast stays at or below the planned load'),
  predictor: z.enum(['lstm', 'ewma', 'max']).default('lstm').describe('lstm: 10 one-minute maxima → next minute; ewma: span 10; max: over 10 minutes'),
  margin: z.number().nonnegative().default(0.1).describe('LSTM_PREDICTION_ERROR_PERCENTAGE'),
  solver: z.enum(['highs', 'glpk']).default('highs'),
});

export type InfAdapterSpec = z.infer<typeof infadapterSchema>;

/** Plans an InfAdapter keeps for repeated decisions: a few hundred kilobytes at most. */
const PLAN_CACHE_SIZE = 4096;

/**
 * MS+ (InfAdapter's "model switching plus" baseline): one variant at a time, each with the fewest
 * cores (at least 2) whose derated capacity covers the forecast, the best by InfAdapter's objective.
 */
export const msPlusSchema = infadapterSchema.extend({ name: z.literal('ms+') });

/** capacity ≈ a·cores + b requests/s within the policy's capacity SLO. */
export interface CapacityLine {
  a: number;
  b: number;
}

/** The highest rate (requests/s) one pod of a variant sustains within a P99 SLO on `cores` cores. */
export interface CoreCapacity {
  cores: number;
  capacityRps: number;
}

/** What the policy knows of each variant it may deploy. */
export interface VariantInfo {
  deployment: string;
  variant: string;
  accuracy: number;
  loadSeconds: number;
  /** The variant's capacity at each core count its profile has, within the P99 SLO the policy asked its context for. */
  capacity?: readonly CoreCapacity[];
}

/**
 * capacity ≈ a·cores + b: the least-squares line through a variant's capacities at two or more core
 * counts, as InfAdapter fits its capacity table (train_capacity_models.py).
 */
export function fitCapacityLine(points: readonly CoreCapacity[]): CapacityLine {
  const { m, b } = linearRegression(points.map((p) => [p.cores, p.capacityRps]));
  return { a: m, b };
}

/** A configuration: cores per variant (0: not deployed) and the load each gets (requests/s). */
export interface Configuration {
  cores: number[];
  quotas: number[];
}

/** A decision waiting for the pods it started: then the quotas go to the dispatcher and the variants it dropped go. */
interface Transition {
  plan: Configuration;
  load: number;
  /** Variants that get new pods, and the cores those pods have. */
  starting: { deployment: string; cores: number }[];
  /** Variants deleted once the quotas have moved. */
  dropped: string[];
}

/**
 * A decision runs as main.py's make_decision does: it starts the new pods (a new variant, or a new
 * size of one, make-before-break) and waits until they are ready; only then are the quotas sent to
 * the dispatcher and the variants no longer in the plan deleted; the next decision comes
 * `intervalSeconds` after that (notifier.py sleeps DECISION_INTERVAL between blocking calls). The
 * policy therefore looks in every `readinessPollSeconds` and decides when a decision is due.
 */
export class InfAdapter implements Policy {
  readonly name: string;
  readonly intervalSeconds: number;
  readonly firstDecisionSeconds: number;
  /** Solve time of each decision that ran the solver, seconds. */
  readonly solveSeconds: number[] = [];
  /**
   * Solved plans by their only inputs, the load and the cores in place: on a long trace the same
   * pair comes back often (63,000 decisions over the 22-day Twitter trace), and the solver is
   * deterministic, so a repeated one is answered without solving, with the very same plan.
   */
  private readonly plans = new Map<string, Configuration>();
  private readonly solver: MilpSolver;
  /** tp_i(n) for n = 0 … budget, by variant in the order of `spec.deployments`. */
  private readonly capacity: number[][];
  /** Variant indices from the least to the most accurate (the authors' order of model versions). */
  private readonly byAccuracy: number[];
  /** The load the configuration in place was planned for (main.py's `__current_load`); NaN until the first decision. */
  private plannedLoad = NaN;
  private scaleDownVotes = 0;
  private nextDecision: number;
  private transition: Transition | null = null;

  constructor(
    readonly spec: InfAdapterSpec | z.infer<typeof msPlusSchema>,
    /** Variants in the order of `spec.deployments`. */
    readonly variants: VariantInfo[],
    private readonly predictor: LoadPredictor,
  ) {
    this.name = spec.name;
    this.intervalSeconds = spec.readinessPollSeconds;
    this.firstDecisionSeconds = spec.firstDecisionSeconds;
    this.nextDecision = spec.firstDecisionSeconds;
    this.solver = createSolver(spec.solver);
    // tp_i(n) = floor(max(0, 0.8 × (a_i·n + b_i))), the intercept cut to int(min(b, 0.99)) as
    // reconfig.py does; 0 cores: no capacity.
    this.capacity = variants.map((v) => {
      const points = v.capacity ?? [];
      const coreCounts = new Set(points.map((p) => p.cores)).size;
      if (coreCounts < 2) {
        throw new InputError(
          `policy ${spec.name}: deployment "${v.deployment}" has capacity data at ${coreCounts} core count(s) at a ${spec.capacitySloMs} ms P99; a capacity line needs two or more (profile it at more core counts)`,
        );
      }
      const { a, b } = fitCapacityLine(points);
      const intercept = Math.trunc(Math.min(b, 0.99));
      return Array.from({ length: spec.budgetCores + 1 }, (_, n) => (n === 0 ? 0 : Math.floor(Math.max(0, spec.capacityFactor * (a * n + intercept)))));
    });
    this.byAccuracy = variants.map((_, i) => i).sort((i, j) => variants[i].accuracy - variants[j].accuracy || i - j);
  }

  prepare(): Promise<void> {
    return this.solver.load();
  }

  /** Core counts a variant may take: 0, or minCores to the budget. */
  private options(): number[] {
    const { minCores, budgetCores } = this.spec;
    return [0, ...Array.from({ length: budgetCores - minCores + 1 }, (_, k) => minCores + k)];
  }

  decide(o: Observation): Action[] {
    const deployed = this.variants.map((v) => o.deployments.find((d) => d.name === v.deployment) as DeploymentObservation);
    if (this.transition !== null) return this.finishTransition(this.transition, deployed, o.now);
    if (o.now + 1e-9 < this.nextDecision) return [];
    this.nextDecision = o.now + this.spec.intervalSeconds;
    const current = deployed.map((d) => (d.replicas > 0 ? d.coresPerReplica : 0));
    // Before its first decision the adapter plans for what the initial configuration serves.
    if (Number.isNaN(this.plannedLoad)) this.plannedLoad = current.reduce((sum, n, i) => sum + this.capacity[i][n], 0);
    // main.py: λ̂ = int(1.1 × forecast), whole requests/s.
    const load = Math.trunc(this.predictor.predict(o.arrivalsPerSecond));
    // Scale-down hysteresis: a forecast at or below the planned load is skipped `scaleDownAfter` times.
    if (load <= this.plannedLoad && this.scaleDownVotes < this.spec.scaleDownAfter) {
      this.scaleDownVotes++;
      return [];
    }
    this.scaleDownVotes = 0;
    const plan = this.spec.name === 'ms+' ? this.planSingle(load, current) : this.cachedPlan(load, current);
    const starting: Transition['starting'] = [];
    const actions: Action[] = [];
    plan.cores.forEach((cores, i) => {
      const name = deployed[i].name;
      if (cores === 0 || cores === current[i]) return;
      starting.push({ deployment: name, cores });
      if (current[i] === 0) actions.push({ kind: 'template', deployment: name, cores }, { kind: 'scale', deployment: name, replicas: 1 });
      else actions.push({ kind: 'resize', deployment: name, cores, strategy: 'rolling' });
    });
    const dropped = plan.cores.flatMap((cores, i) => (cores === 0 && current[i] > 0 ? [deployed[i].name] : []));
    const transition = { plan, load, starting, dropped };
    if (starting.length > 0) {
      this.transition = transition;
      return actions;
    }
    return this.finishTransition(transition, deployed, o.now);
  }

  /** Once every pod the decision started is ready: the new quotas, then the dropped variants go. */
  private finishTransition(t: Transition, deployed: DeploymentObservation[], now: number): Action[] {
    const ready = t.starting.every(({ deployment, cores }) =>
      deployed.find((d) => d.name === deployment)?.pods.some((p) => p.ready && p.phase !== 'Terminating' && p.cpuRequestCores === cores),
    );
    if (!ready) return [];
    this.transition = null;
    this.plannedLoad = t.load;
    this.nextDecision = now + this.spec.intervalSeconds;
    // main.py sends round(share × λ̂) per variant; with nothing to split (λ̂ = 0), weigh the deployed variants by capacity.
    const quotas = t.plan.quotas.some((q) => q > 1e-9) ? t.plan.quotas.map((q) => Math.round(q)) : t.plan.cores.map((n, i) => this.capacity[i][n]);
    return [
      { kind: 'weights', stage: this.spec.stage, weights: quotas.map((q) => Math.max(0, q)) },
      ...t.dropped.map((deployment): Action => ({ kind: 'scale', deployment, replicas: 0 })),
    ];
  }

  /** What the adapter falls back to when no configuration serves the load: the least accurate variant on the whole budget. */
  private fallback(load: number): Configuration {
    const least = this.byAccuracy[0];
    return {
      cores: this.variants.map((_, i) => (i === least ? this.spec.budgetCores : 0)),
      quotas: this.variants.map((_, i) => (i === least ? load : 0)),
    };
  }

  /** `plan`, remembered: at most `PLAN_CACHE_SIZE` plans, forgotten all at once when full (bounded memory, same answers). */
  private cachedPlan(load: number, current: number[]): Configuration {
    const key = `${load}:${current.join(',')}`;
    const known = this.plans.get(key);
    if (known !== undefined) return known;
    const plan = this.plan(load, current);
    if (this.plans.size >= PLAN_CACHE_SIZE) this.plans.clear();
    this.plans.set(key, plan);
    return plan;
  }

  /** The MILP: which cores per variant, and the greedy-by-accuracy load split it implies. */
  plan(load: number, current: number[]): Configuration {
    const { budgetCores, resourceWeight, loadingWeight } = this.spec;
    const options = this.options();
    const lambda = Math.max(1e-9, load);
    const maxLoad = Math.max(...this.variants.map((v) => v.loadSeconds));
    const y = (i: number, n: number) => `y_${i}_${n}`;
    const model: MilpModel = { sense: 'max', variables: [], objective: {}, constraints: [] };
    const budget: Record<string, number> = {};
    const coverage: Record<string, number> = {};
    const aboveLeast: Record<string, number> = {};
    const served: Record<string, number> = {};
    model.variables.push({ name: 'LC', lower: 0, upper: maxLoad });
    // LC / max load time: nothing to weigh when no variant takes time to load.
    model.objective.LC = maxLoad > 0 ? -loadingWeight / maxLoad : 0;
    this.variants.forEach((v, i) => {
      const pick: Record<string, number> = {};
      const quota: Record<string, number> = { [`l_${i}`]: 1 };
      for (const n of options) {
        model.variables.push({ name: y(i, n), binary: true });
        pick[y(i, n)] = 1;
        budget[y(i, n)] = n;
        coverage[y(i, n)] = this.capacity[i][n];
        if (i !== this.byAccuracy[0]) aboveLeast[y(i, n)] = this.capacity[i][n];
        quota[y(i, n)] = -this.capacity[i][n];
        model.objective[y(i, n)] = -resourceWeight * (n / budgetCores);
      }
      model.constraints.push({ name: `one_${i}`, terms: pick, lower: 1, upper: 1 });
      // The load a variant serves is at most its capacity; with Σ load ≤ λ̂ and accuracy in the
      // objective, the optimum fills the most accurate variants first, as InfAdapter's split does.
      model.variables.push({ name: `l_${i}`, lower: 0 });
      model.objective[`l_${i}`] = v.accuracy / lambda;
      model.constraints.push({ name: `quota_${i}`, terms: quota, upper: 0 });
      served[`l_${i}`] = 1;
      // Loading cost: the largest load time among variants deployed with a new core count.
      model.variables.push({ name: `c_${i}`, binary: true });
      const unchanged = current[i] === 0 ? { [y(i, 0)]: 1 } : { [y(i, current[i])]: 1, [y(i, 0)]: 1 };
      model.constraints.push({ name: `changed_${i}`, terms: { [`c_${i}`]: 1, ...unchanged }, lower: 1 });
      model.constraints.push({ name: `loading_${i}`, terms: { LC: 1, [`c_${i}`]: -v.loadSeconds }, lower: 0 });
    });
    model.constraints.push({ name: 'budget', terms: budget, upper: budgetCores });
    model.constraints.push({ name: 'coverage', terms: coverage, lower: lambda });
    // rl_0 ≥ 0: the variants above the least accurate one never hold more than λ̂ between them, so
    // each of them serves its whole capacity and the least accurate one takes the rest.
    model.constraints.push({ name: 'remaining_load', terms: aboveLeast, upper: lambda });
    model.constraints.push({ name: 'served', terms: served, upper: lambda });
    const solution = this.solver.solveLoaded(model);
    this.solveSeconds.push(solution.solveSeconds);
    if (solution.status !== 'optimal') return this.fallback(load);
    return {
      cores: this.variants.map((_, i) => options.find((n) => solution.values[y(i, n)] > 0.5) ?? 0),
      quotas: this.variants.map((_, i) => solution.values[`l_${i}`]),
    };
  }

  /**
   * MS+ (reconfig.py `reconfig_msp`): for each variant the fewest cores (at least 2, at most what
   * the most accurate variant needs) that cover λ̂, then the best of these single-variant options
   * by the same objective (the first, in accuracy order, on a tie); none covers: the fallback.
   */
  planSingle(load: number, current: number[]): Configuration {
    const { budgetCores, minCores, resourceWeight, loadingWeight } = this.spec;
    const start = performance.now();
    const maxLoad = Math.max(...this.variants.map((v) => v.loadSeconds));
    const covering = (i: number, upTo: number) => {
      for (let n = minCores; n <= upTo; n++) if (this.capacity[i][n] >= load) return n;
      return null;
    };
    const most = this.byAccuracy[this.byAccuracy.length - 1];
    const maxCores = covering(most, budgetCores) ?? budgetCores;
    let best: { score: number; config: Configuration } | null = null;
    for (const i of this.byAccuracy) {
      const n = covering(i, maxCores);
      if (n === null) continue;
      const loading = n === current[i] ? 0 : this.variants[i].loadSeconds;
      const score = this.variants[i].accuracy - resourceWeight * (n / budgetCores) - (maxLoad > 0 ? loadingWeight * (loading / maxLoad) : 0);
      if (best === null || score > best.score) {
        best = { score, config: { cores: this.variants.map((_, k) => (k === i ? n : 0)), quotas: this.variants.map((_, k) => (k === i ? load : 0)) } };
      }
    }
    this.solveSeconds.push((performance.now() - start) / 1000);
    return best?.config ?? this.fallback(load);
  }
}
