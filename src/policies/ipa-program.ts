import type { MilpModel, MilpSolution, MilpSolver } from '../solver/index.js';

/**
 * IPA's decision (Ghafouri et al., JSys 2024; reconfigurable-ml-pipeline/ipa optimizer/optimizer.py
 * `gurobi_optmizer`, with `allocation_mode: base` and `only_measured_profiles`) as one mixed-integer
 * linear program: per stage of a linear pipeline one model variant and one batch size (a profiled
 * size within the batching cap), and its replicas, each replica on the variant's base allocation.
 *
 * The authors state it for Gurobi with indicator, AND and bilinear terms; here every product is
 * linearised exactly, so any MILP solver proves the same optimum:
 * - x[s,k] ∈ {0,1} picks option k = (variant, batch) of stage s; Σ_k x[s,k] = 1;
 * - n[s,v] ∈ {0..cap} are the replicas of variant v, n[s,v] ≤ cap·u[s,v] with u[s,v] = Σ_{k of v}
 *   x[s,k], and n[s,v] ≥ Σ_{k of v} max(1, ⌈λ̂ / h_k⌉)·x[s,k] (the authors' throughput constraint
 *   n·h(m,B) ≥ λ̂ under the indicator aux = i ∧ b, in its tightest integer form: at most one option
 *   of a stage is chosen, so the sum is the one needed; an option needing more than the cap is
 *   excluded);
 * - Σ_s Σ_k (l_p99(k) + (B_k − 1)/λ̂)·x[s,k] ≤ SLA (the end-to-end latency constraint);
 * - the accuracy A: with `sum`, Σ_s Σ_k r_k·x[s,k] (rank-normalised within the stage, the original
 *   submission); with `product`, Π_s Σ_v a_v·u[s,v] (raw accuracies, the JSys revision) through
 *   P_1 = Σ_v a_v u[1,v], P_s = Σ_v a_v z[s,v], z[s,v] = P_{s−1}·u[s,v] linearised by
 *   z ≤ u, z ≤ P_{s−1}, z ≥ P_{s−1} − (1 − u) (exact: u is 0 or 1 and 0 ≤ P ≤ 1);
 * - maximise α·A − β·Σ_s Σ_v c_v·n[s,v] − δ·Σ_s Σ_k B_k·x[s,k].
 * The baselines are extra constraints of the same program, as the authors write them: FA2
 * ("scale") pins each stage's variant, RIM ("switch") pins its replicas.
 */
export interface IpaOption {
  variant: string;
  batch: number;
  /** The variant's accuracy (a fraction), and its rank within the stage normalised to [0, 1]. */
  accuracy: number;
  normalizedAccuracy: number;
  /** Cores of one replica: the variant's base allocation. */
  cores: number;
  /** The profiled P99 latency of one batch (seconds) and one replica's throughput (requests/s). */
  p99Seconds: number;
  throughputRps: number;
}

export interface IpaStage {
  name: string;
  options: IpaOption[];
}

export interface IpaProblem {
  stages: IpaStage[];
  /** λ̂, the predicted arrival rate (requests/s). */
  load: number;
  slaSeconds: number;
  alpha: number;
  beta: number;
  /** δ (the authors' `gamma`): the weight of the batch sizes. */
  delta: number;
  accuracy: 'product' | 'sum';
  scalingCap: number;
  /** FA2: each stage's variant, pinned. */
  pinnedVariants?: string[];
  /** RIM: each stage's replicas, pinned. */
  pinnedReplicas?: number[];
}

export interface IpaStagePlan {
  variant: string;
  batch: number;
  replicas: number;
  cores: number;
}

export interface IpaPlan {
  stages: IpaStagePlan[];
  /** The objective's terms at the plan: accuracy A, cores Σ c·n, batch Σ B. */
  accuracy: number;
  cores: number;
  solveSeconds: number;
}

const x = (s: number, k: number) => `x_${s}_${k}`;
const n = (s: number, v: number) => `n_${s}_${v}`;
const z = (s: number, v: number) => `z_${s}_${v}`;
const u = (s: number, v: number) => `u_${s}_${v}`;
const p = (s: number) => `p_${s}`;

/** The variants of a stage in the order their options first name them. */
function variantsOf(stage: IpaStage): string[] {
  return [...new Set(stage.options.map((o) => o.variant))];
}

/** IPA's program as a MilpModel (see above). */
export function ipaModel(problem: IpaProblem): MilpModel {
  const { stages, load, alpha, beta, delta, scalingCap } = problem;
  const model: MilpModel = { sense: 'max', variables: [], objective: {}, constraints: [] };
  const latency: Record<string, number> = {};
  stages.forEach((stage, s) => {
    const variants = variantsOf(stage);
    const one: Record<string, number> = {};
    const needs = variants.map((): Record<string, number> => ({}));
    const chosen = variants.map((): Record<string, number> => ({}));
    stage.options.forEach((o, k) => {
      const v = variants.indexOf(o.variant);
      const needed = Math.max(1, Math.ceil(load / o.throughputRps - 1e-9));
      const pinnedOut = problem.pinnedVariants !== undefined && o.variant !== problem.pinnedVariants[s];
      const excluded = !(needed <= scalingCap) || pinnedOut || (problem.pinnedReplicas !== undefined && needed > problem.pinnedReplicas[s]);
      model.variables.push({ name: x(s, k), binary: true, upper: excluded ? 0 : 1 });
      one[x(s, k)] = 1;
      latency[x(s, k)] = o.p99Seconds + (load > 0 ? (o.batch - 1) / load : 0);
      model.objective[x(s, k)] = -delta * o.batch + (problem.accuracy === 'sum' ? alpha * o.normalizedAccuracy : 0);
      needs[v][x(s, k)] = -needed;
      chosen[v][x(s, k)] = -1;
    });
    model.constraints.push({ name: `one_${s}`, terms: one, lower: 1, upper: 1 });
    const replicas: Record<string, number> = {};
    variants.forEach((variant, v) => {
      model.variables.push({ name: n(s, v), integer: true, lower: 0, upper: scalingCap });
      replicas[n(s, v)] = 1;
      model.objective[n(s, v)] = -beta * (stage.options.find((o) => o.variant === variant)?.cores ?? 1);
      model.constraints.push({ name: `throughput_${s}_${v}`, terms: { [n(s, v)]: 1, ...needs[v] }, lower: 0 });
      // u[s,v], the variant is chosen: the sum of its options' x.
      model.variables.push({ name: u(s, v), lower: 0, upper: 1 });
      model.constraints.push({ name: `u_${s}_${v}`, terms: { [u(s, v)]: 1, ...chosen[v] }, lower: 0, upper: 0 });
      model.constraints.push({ name: `replicas_${s}_${v}`, terms: { [n(s, v)]: 1, [u(s, v)]: -scalingCap }, upper: 0 });
    });
    if (problem.pinnedReplicas !== undefined) model.constraints.push({ name: `pinned_${s}`, terms: replicas, lower: problem.pinnedReplicas[s], upper: problem.pinnedReplicas[s] });
    if (problem.accuracy === 'product') productStage(model, stage, s);
  });
  model.constraints.push({ name: 'latency', terms: latency, upper: problem.slaSeconds });
  if (problem.accuracy === 'product') model.objective[p(stages.length - 1)] = alpha;
  return model;
}

/** P_s = P_{s−1} · (stage s's accuracy), linearised (see above). */
function productStage(model: MilpModel, stage: IpaStage, s: number): void {
  model.variables.push({ name: p(s), lower: 0, upper: 1 });
  const definition: Record<string, number> = { [p(s)]: 1 };
  variantsOf(stage).forEach((variant, v) => {
    const accuracy = stage.options.find((o) => o.variant === variant)?.accuracy ?? 0;
    if (s === 0) {
      definition[u(s, v)] = -accuracy;
      return;
    }
    model.variables.push({ name: z(s, v), lower: 0, upper: 1 });
    definition[z(s, v)] = -accuracy;
    model.constraints.push({ name: `z_u_${s}_${v}`, terms: { [z(s, v)]: 1, [u(s, v)]: -1 }, upper: 0 });
    model.constraints.push({ name: `z_p_${s}_${v}`, terms: { [z(s, v)]: 1, [p(s - 1)]: -1 }, upper: 0 });
    model.constraints.push({ name: `z_low_${s}_${v}`, terms: { [z(s, v)]: 1, [p(s - 1)]: -1, [u(s, v)]: -1 }, lower: -1 });
  });
  model.constraints.push({ name: `p_${s}`, terms: definition, lower: 0, upper: 0 });
}

/** The plan in a solution of ipaModel; null when the program has none. */
export function ipaPlanOf(problem: IpaProblem, solution: MilpSolution): IpaPlan | null {
  if (solution.status !== 'optimal') return null;
  let accuracy = problem.accuracy === 'product' ? 1 : 0;
  let cores = 0;
  const stages = problem.stages.map((stage, s) => {
    const k = stage.options.findIndex((_, j) => solution.values[x(s, j)] > 0.5);
    const option = stage.options[k];
    const v = variantsOf(stage).indexOf(option.variant);
    const replicas = Math.round(solution.values[n(s, v)]);
    accuracy = problem.accuracy === 'product' ? accuracy * option.accuracy : accuracy + option.normalizedAccuracy;
    cores += option.cores * replicas;
    return { variant: option.variant, batch: option.batch, replicas, cores: option.cores };
  });
  return { stages, accuracy, cores, solveSeconds: solution.solveSeconds };
}

/** Solves IPA's program with a loaded solver. */
export function solveIpa(problem: IpaProblem, solver: MilpSolver): IpaPlan | null {
  return ipaPlanOf(problem, solver.solveLoaded(ipaModel(problem)));
}

/** The most option combinations `bruteForceIpa` visits: 20 options a stage, four stages. */
export const MAX_BRUTE_FORCE_COMBINATIONS = 200_000;

/**
 * IPA's program solved by enumeration, as the authors' `brute_force` optimizer does: every choice
 * of one option per stage, each with the fewest replicas it needs (or the pinned ones), the best
 * feasible one by the objective. Null when none is feasible, or when there are more than
 * MAX_BRUTE_FORCE_COMBINATIONS choices (it would not finish in time to decide).
 */
export function bruteForceIpa(problem: IpaProblem): IpaPlan | null {
  const { stages, load } = problem;
  const combinations = stages.reduce((n, stage) => n * stage.options.length, 1);
  if (combinations > MAX_BRUTE_FORCE_COMBINATIONS) return null;
  const start = performance.now();
  // Per stage, each option's replicas (NaN: excluded), cores, latency and accuracy term.
  const terms = stages.map((stage, s) => {
    const ranks = stage.options.map((o) => o.normalizedAccuracy);
    return stage.options.map((o, k) => {
      const needed = Math.max(1, Math.ceil(load / o.throughputRps - 1e-9));
      const replicas = problem.pinnedReplicas?.[s] ?? needed;
      const allowed = replicas >= needed && replicas <= problem.scalingCap && (problem.pinnedVariants === undefined || o.variant === problem.pinnedVariants[s]);
      return {
        replicas: allowed ? replicas : NaN,
        cores: o.cores * replicas,
        latency: o.p99Seconds + (load > 0 ? (o.batch - 1) / load : 0),
        accuracy: problem.accuracy === 'product' ? o.accuracy : ranks[k],
        batch: o.batch,
      };
    });
  });
  let best: { objective: number; choice: number[] } | null = null;
  const choice = new Array<number>(stages.length).fill(0);
  const visit = (s: number, latency: number, cores: number, accuracy: number, batches: number) => {
    if (latency > problem.slaSeconds + 1e-9) return;
    if (s === stages.length) {
      const objective = problem.alpha * accuracy - problem.beta * cores - problem.delta * batches;
      if (best === null || objective > best.objective + 1e-12) best = { objective, choice: [...choice] };
      return;
    }
    terms[s].forEach((t, k) => {
      if (Number.isNaN(t.replicas)) return;
      choice[s] = k;
      visit(s + 1, latency + t.latency, cores + t.cores, problem.accuracy === 'product' ? accuracy * t.accuracy : accuracy + t.accuracy, batches + t.batch);
    });
  };
  visit(0, 0, 0, problem.accuracy === 'product' ? 1 : 0, 0);
  const found = best as { objective: number; choice: number[] } | null;
  if (found === null) return null;
  let accuracy = problem.accuracy === 'product' ? 1 : 0;
  let cores = 0;
  const plan = found.choice.map((k, s) => {
    const o = stages[s].options[k];
    const t = terms[s][k];
    accuracy = problem.accuracy === 'product' ? accuracy * t.accuracy : accuracy + t.accuracy;
    cores += t.cores;
    return { variant: o.variant, batch: o.batch, replicas: t.replicas, cores: o.cores };
  });
  return { stages: plan, accuracy, cores, solveSeconds: (performance.now() - start) / 1000 };
}
