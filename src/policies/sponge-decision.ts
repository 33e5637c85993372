import type { MilpModel, MilpSolution } from '../solver/index.js';

/** Sponge's batch latency model l(b, c) = γ·b/c + δ·b + ε/c + η, in seconds (fitted to a profile). */
export interface SpongeLatency {
  gamma: number;
  delta: number;
  epsilon: number;
  eta: number;
}

/** One decision's inputs: the load of the next second and the worst upload time the window saw. */
export interface SpongeProblem {
  latency: SpongeLatency;
  /** λ: requests expected in the next second (Sponge's reactive predictor: the last second's). */
  load: number;
  /** cl_max: the SLO minus the smallest remaining budget seen in the monitoring window, seconds. */
  clMaxSeconds: number;
  sloSeconds: number;
  /** Cores and batch sizes searched: 1..cpuCap and 1..batchCap (16 and 16 in the configs). */
  cpuCap: number;
  batchCap: number;
  /** The share of the SLO the worst request may use (0.9 in the authors' check). */
  safety: number;
}

export interface SpongeChoice {
  cores: number;
  batch: number;
}

export const spongeLatency = (k: SpongeLatency, batch: number, cores: number) => k.gamma * (batch / cores) + k.delta * batch + k.epsilon / cores + k.eta;

/** Batches the next second's requests fill at batch size b: ⌈λ/b⌉ (0 without load). */
const batchesOf = (load: number, batch: number) => (load > 0 ? Math.ceil(load / batch - 1e-9) : 0);

/**
 * The authors' feasibility check: the queue drains in ⌈λ/b⌉ batches, and the k-th (k = 0, 1, …)
 * ends at (k + 1)·l(b, c); with the worst upload cl_max before it, every one must end within
 * safety·SLO. The last batch is the binding one.
 */
export function spongeFeasible(p: SpongeProblem, cores: number, batch: number): boolean {
  const batches = batchesOf(p.load, batch);
  return batches === 0 || batches * spongeLatency(p.latency, batch, cores) + p.clMaxSeconds <= p.safety * p.sloSeconds + 1e-12;
}

/** The first feasible (c, b), fewest cores first, then the smallest batch; null when none is. */
export function spongeSearch(p: SpongeProblem): SpongeChoice | null {
  for (let cores = 1; cores <= p.cpuCap; cores++) {
    for (let batch = 1; batch <= p.batchCap; batch++) if (spongeFeasible(p, cores, batch)) return { cores, batch };
  }
  return null;
}

const y = (cores: number, batch: number) => `y_${cores}_${batch}`;

/**
 * The same decision as an integer program (the paper states Sponge as one): a binary per (c, b),
 * exactly one chosen; the last batch's end, ⌈λ/b⌉·l(b, c) (constants: the latency model is
 * evaluated per pair, as the authors tabulate it for Gurobi), within safety·SLO − cl_max;
 * minimise c·(batchCap + 1) + b, which orders the pairs as the search visits them.
 */
export function spongeModel(p: SpongeProblem): MilpModel {
  const pairs: SpongeChoice[] = [];
  for (let cores = 1; cores <= p.cpuCap; cores++) for (let batch = 1; batch <= p.batchCap; batch++) pairs.push({ cores, batch });
  const pick = Object.fromEntries(pairs.map(({ cores, batch }) => [y(cores, batch), 1]));
  const constraints: MilpModel['constraints'] = [{ name: 'one', terms: pick, lower: 1, upper: 1 }];
  if (p.load > 0) {
    const end = Object.fromEntries(pairs.map(({ cores, batch }) => [y(cores, batch), batchesOf(p.load, batch) * spongeLatency(p.latency, batch, cores)]));
    constraints.push({ name: 'deadline', terms: end, upper: p.safety * p.sloSeconds - p.clMaxSeconds + 1e-12 });
  }
  return {
    sense: 'min',
    variables: pairs.map(({ cores, batch }) => ({ name: y(cores, batch), binary: true })),
    objective: Object.fromEntries(pairs.map(({ cores, batch }) => [y(cores, batch), cores * (p.batchCap + 1) + batch])),
    constraints,
  };
}

/** The pair an optimal solution of spongeModel chose; null when it has none. */
export function spongeChoiceOf(p: SpongeProblem, solution: MilpSolution): SpongeChoice | null {
  if (solution.status !== 'optimal') return null;
  for (let cores = 1; cores <= p.cpuCap; cores++) {
    for (let batch = 1; batch <= p.batchCap; batch++) if (solution.values[y(cores, batch)] > 0.5) return { cores, batch };
  }
  return null;
}

/** FA2's choice in Sponge's comparison: how many one-core replicas, at which batch size. */
export interface Fa2Choice {
  replicas: number;
  batch: number;
}

/**
 * The FA2 baseline as Sponge's optimizer computes it (optimizer.py `fa2`): one-core replicas;
 * for each batch size b whose latency l(b, 1) (whole ms, as the authors truncate it) is at most
 * a second, the replicas ⌈λ / (⌊1000 / l⌋·b)⌋ that serve λ, taken when the first batch of the
 * queue, after the uplink cl_max, ends before the SLO (l + cl_max < SLO) and fewer replicas than
 * any smaller batch needed, at most cpuCap of them (1-core replicas up to 16). Null without load
 * (the authors' loop then picks nothing) or without a feasible batch size.
 */
export function fa2Choice(p: SpongeProblem): Fa2Choice | null {
  let best: Fa2Choice | null = null;
  if (p.load <= 0) return null;
  for (let batch = 1; batch <= p.batchCap; batch++) {
    const ms = Math.trunc(1000 * spongeLatency(p.latency, batch, 1));
    if (ms > 1000) break;
    if (ms <= 0) continue;
    const replicas = Math.ceil(p.load / (Math.trunc(1000 / ms) * batch));
    if (replicas <= p.cpuCap && ms / 1000 + p.clMaxSeconds < p.sloSeconds && (best === null || replicas < best.replicas)) best = { replicas, batch };
  }
  return best;
}
