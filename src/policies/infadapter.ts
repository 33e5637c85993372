import { join } from 'node:path';
import { z } from 'zod';
import { packageRoot } from '../paths.js';
import { readInfAdapterCapacity, type CapacityRow } from '../profiles/infadapter.js';
import { createSolver, type MilpModel, type MilpSolver } from '../solver/index.js';
import type { LoadPredictor } from './predictors/predictor.js';
import type { Action, DeploymentObservation, Observation, Policy } from './types.js';

/**
 * InfAdapter (Salmani et al., EuroMLSys 2023) as its authors' adapter solves it: every 30 s
 * (first at 2 min) choose integer cores per ResNet variant — 0, or 2 to 20, at most 20 in all —
 * so that the variants' derated capacities cover the predicted load, the load going to the most
 * accurate variants first, maximising average accuracy − α·cores/20 − β·loading cost. Defaults
 * from its starter.py and reconfig.py: α 0.05, β 0.001, derating 0.8, 4 decisions before a
 * scale-down, the LSTM forecast + 10%.
 */
export const infadapterSchema = z.strictObject({
  name: z.literal('infadapter'),
  stage: z.string().describe('The pipeline stage whose variants it configures; its weights become the quotas'),
  deployments: z.array(z.string()).min(1).describe('One deployment per variant, each with an infadapter profile'),
  budgetCores: z.number().int().positive().default(20).describe('MAX_CPU'),
  minCores: z.number().int().positive().default(2).describe('Cores of a deployed variant, at least'),
  capacitySloMs: z.number().positive().default(750).describe('The capacity profile column the linear fits use'),
  capacityFactor: z.number().positive().default(0.8).describe('CAPACITY_COEF: derating of the fitted capacity'),
  resourceWeight: z.number().nonnegative().default(0.05).describe('α, weight of cores/budget'),
  loadingWeight: z.number().nonnegative().default(0.001).describe('β, weight of the loading cost'),
  intervalSeconds: z.number().positive().default(30).describe('DECISION_INTERVAL'),
  firstDecisionSeconds: z.number().nonnegative().default(120),
  scaleDownAfter: z.number().int().positive().default(4).describe('STABILIZATION_INTERVAL: decisions that must agree before a scale-down'),
  predictor: z.enum(['lstm', 'ewma', 'max']).default('lstm').describe('lstm: 10 one-minute maxima → next minute; ewma: span 10; max: over 10 minutes'),
  margin: z.number().nonnegative().default(0.1).describe('LSTM_PREDICTION_ERROR_PERCENTAGE'),
  solver: z.enum(['highs', 'glpk']).default('highs'),
});

export type InfAdapterSpec = z.infer<typeof infadapterSchema>;

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

/** What the policy knows of each variant it may deploy. */
export interface VariantInfo {
  deployment: string;
  variant: string;
  accuracy: number;
  loadSeconds: number;
  /** The variant's own capacity line (e.g. the testbed's, from its measured profile); without it, the line is fitted to InfAdapter's capacity table. */
  capacity?: CapacityLine;
}

const tables = new Map<string, CapacityRow[]>();

/** The capacity table, read once per process (every InfAdapter and MS+ run fits its variants from it). */
function capacityTable(path: string): CapacityRow[] {
  let rows = tables.get(path);
  if (rows === undefined) {
    rows = readInfAdapterCapacity(path);
    tables.set(path, rows);
  }
  return rows;
}

/** capacity ≈ a·cores + b: a least-squares line through the profile's capacities at cores 1, 2, 4, 8, 16. */
export function fitCapacity(variant: string, sloMs: number, tablePath = join(packageRoot, 'profiles/infadapter/capacity_result_Feb_21.csv')): CapacityLine {
  const points = capacityTable(tablePath).filter((r) => r.variant === variant && r.sloMs === sloMs && [1, 2, 4, 8, 16].includes(r.cores));
  if (points.length < 2) throw new Error(`no capacity profile for ${variant} at ${sloMs} ms`);
  return fitCapacityLine(points);
}

/** The least-squares line through capacities measured at two or more core counts. */
export function fitCapacityLine(points: { cores: number; capacityRps: number }[]): CapacityLine {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.cores, 0) / n;
  const my = points.reduce((s, p) => s + p.capacityRps, 0) / n;
  const a = points.reduce((s, p) => s + (p.cores - mx) * (p.capacityRps - my), 0) / points.reduce((s, p) => s + (p.cores - mx) ** 2, 0);
  return { a, b: my - a * mx };
}

/** A configuration: cores per variant (0: not deployed) and the load each gets (requests/s). */
export interface Configuration {
  cores: number[];
  quotas: number[];
}

export class InfAdapter implements Policy {
  readonly name: string;
  readonly intervalSeconds: number;
  readonly firstDecisionSeconds: number;
  /** Solve time of each decision, seconds. */
  readonly solveSeconds: number[] = [];
  private readonly solver: MilpSolver;
  private readonly capacity: number[][];
  private plannedLoad = 0;
  private scaleDownVotes = 0;

  constructor(
    readonly spec: InfAdapterSpec | z.infer<typeof msPlusSchema>,
    /** Variants in the order of `spec.deployments`. */
    readonly variants: VariantInfo[],
    private readonly predictor: LoadPredictor,
  ) {
    this.name = spec.name;
    this.intervalSeconds = spec.intervalSeconds;
    this.firstDecisionSeconds = spec.firstDecisionSeconds;
    this.solver = createSolver(spec.solver);
    // tp_i(n) = floor(max(0, 0.8 × (a_i·n + b_i))) for n = 0 … budget (0 cores: no capacity).
    this.capacity = variants.map((v) => {
      const { a, b } = v.capacity ?? fitCapacity(v.variant, spec.capacitySloMs);
      return Array.from({ length: spec.budgetCores + 1 }, (_, n) => (n === 0 ? 0 : Math.floor(Math.max(0, spec.capacityFactor * (a * n + b)))));
    });
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
    const current = deployed.map((d) => (d.replicas > 0 ? d.coresPerReplica : 0));
    const predicted = this.predictor.predict(o.arrivalsPerSecond);
    // Scale-down hysteresis: a lower forecast must persist for `scaleDownAfter` decisions.
    if (predicted <= this.plannedLoad && current.some((c) => c > 0)) {
      if (++this.scaleDownVotes < this.spec.scaleDownAfter) return [];
    }
    this.scaleDownVotes = 0;
    const plan = this.spec.name === 'ms+' ? this.planSingle(predicted, current) : this.plan(predicted, current);
    this.plannedLoad = predicted;
    return this.actions(plan, current, deployed);
  }

  /** The MILP: which cores per variant, and the greedy-by-accuracy load split it implies. */
  plan(load: number, current: number[]): Configuration {
    const { budgetCores, resourceWeight, loadingWeight } = this.spec;
    const options = this.options();
    // Beyond what the budget can serve at all, plan for the most that can be served.
    const servable = Math.max(...this.capacity.map((c) => c[budgetCores]));
    const lambda = Math.max(1e-9, Math.min(load, servable));
    const maxLoad = Math.max(...this.variants.map((v) => v.loadSeconds));
    const y = (i: number, n: number) => `y_${i}_${n}`;
    const model: MilpModel = { sense: 'max', variables: [], objective: {}, constraints: [] };
    const budget: Record<string, number> = {};
    const coverage: Record<string, number> = {};
    const served: Record<string, number> = {};
    model.variables.push({ name: 'LC', lower: 0, upper: maxLoad });
    model.objective.LC = -loadingWeight / maxLoad;
    this.variants.forEach((v, i) => {
      const pick: Record<string, number> = {};
      const quota: Record<string, number> = { [`l_${i}`]: 1 };
      for (const n of options) {
        model.variables.push({ name: y(i, n), binary: true });
        pick[y(i, n)] = 1;
        budget[y(i, n)] = n;
        coverage[y(i, n)] = this.capacity[i][n];
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
    model.constraints.push({ name: 'served', terms: served, upper: lambda });
    const solution = this.solver.solveLoaded(model);
    this.solveSeconds.push(solution.solveSeconds);
    if (solution.status !== 'optimal') return { cores: current, quotas: current.map(() => 0) };
    return {
      cores: this.variants.map((_, i) => options.find((n) => solution.values[y(i, n)] > 0.5) ?? 0),
      quotas: this.variants.map((_, i) => solution.values[`l_${i}`]),
    };
  }

  /** MS+: the best single variant at the fewest cores that cover the load (or its most, if none can). */
  planSingle(load: number, current: number[]): Configuration {
    const { budgetCores, minCores, resourceWeight, loadingWeight } = this.spec;
    const maxLoad = Math.max(...this.variants.map((v) => v.loadSeconds));
    const start = performance.now();
    let best: { score: number; config: Configuration } | null = null;
    this.variants.forEach((v, i) => {
      let n = minCores;
      while (n < budgetCores && this.capacity[i][n] < load) n++;
      if (this.capacity[i][n] < load && best !== null) return;
      const served = Math.min(load, this.capacity[i][n]);
      const loading = n === current[i] ? 0 : v.loadSeconds;
      const score = (load > 0 ? (v.accuracy * served) / load : v.accuracy) - resourceWeight * (n / budgetCores) - loadingWeight * (loading / maxLoad);
      const covers = this.capacity[i][n] >= load;
      if (best === null || (covers && score > best.score)) {
        best = { score: covers ? score : -Infinity, config: { cores: this.variants.map((_, k) => (k === i ? n : 0)), quotas: this.variants.map((_, k) => (k === i ? served : 0)) } };
      }
    });
    this.solveSeconds.push((performance.now() - start) / 1000);
    return (best as { config: Configuration } | null)?.config ?? { cores: current, quotas: current.map(() => 0) };
  }

  /** Make-before-break: changed variants start new pods while the old serve; quotas steer the dispatcher. */
  private actions(plan: Configuration, current: number[], deployed: DeploymentObservation[]): Action[] {
    const actions: Action[] = [];
    plan.cores.forEach((cores, i) => {
      const d = deployed[i];
      if (cores === current[i]) return;
      if (cores === 0) actions.push({ kind: 'scale', deployment: d.name, replicas: 0 });
      else if (current[i] === 0) {
        actions.push({ kind: 'template', deployment: d.name, cores });
        actions.push({ kind: 'scale', deployment: d.name, replicas: 1 });
      } else actions.push({ kind: 'resize', deployment: d.name, cores, strategy: 'rolling' });
    });
    // With no load to split (a zero forecast), weigh the deployed variants by their capacity.
    const quotas = plan.quotas.some((q) => q > 1e-9) ? plan.quotas : plan.cores.map((n, i) => this.capacity[i][n]);
    actions.push({ kind: 'weights', stage: this.spec.stage, weights: quotas.map((q) => Math.max(0, q)) });
    return actions;
  }
}
