import type { QueryScan } from './aggregates.js';

export interface PlanOptions {
  /** Partitions (1 % steps) added per round in all: β·k (Biathlon's scheduler_batch, β = 1). */
  steps: number;
  /** Per-query cost slope w_j: seconds per unit of sampling fraction (the offline cost model's slope). */
  costSlopes: ArrayLike<number>;
}

/**
 * Biathlon's support heuristic: a query whose sample is too small to hold `minSupport` rows at its
 * estimated group size jumps to the fraction that would (to 50 % first when it is at 10 % or less
 * and needs half or more, so a group of fewer than 30 rows goes 50 % → 100 %). Returns the new
 * partition targets, or null when no query needs it.
 */
export function supportTargets(scans: QueryScan[], minSupport: number): Int32Array | null {
  const targets = Int32Array.from(scans, (s) => s.parts);
  let fired = false;
  scans.forEach((scan, j) => {
    if (scan.exact || scan.rows >= minSupport) return;
    const p = scan.fraction;
    const needed = scan.rows === 0 ? Infinity : minSupport / (scan.rows / p);
    const fraction = p <= 0.1 && needed >= 0.5 ? 0.5 : Math.min(1, needed);
    targets[j] = Math.max(scan.parts + 1, Math.min(scan.partitions, Math.ceil(fraction * scan.partitions - 1e-9)));
    fired = true;
  });
  return fired ? targets : null;
}

/**
 * Biathlon's planner: a query's priority is the output variance its uncertainty explains per second
 * of its remaining scan, S1_j / (w_j·(1 − p_j)); the round's steps go greedily to the highest
 * priority up to its headroom, then to the next.
 */
export function sobolTargets(scans: QueryScan[], firstOrder: ArrayLike<number>, options: PlanOptions): Int32Array {
  const targets = Int32Array.from(scans, (s) => s.parts);
  const open = scans.map((_, j) => j).filter((j) => !scans[j].exact);
  const priority = (j: number) => firstOrder[j] / (Math.max(options.costSlopes[j], Number.MIN_VALUE) * (1 - scans[j].fraction));
  open.sort((a, b) => priority(b) - priority(a) || a - b);
  let budget = options.steps;
  for (const j of open) {
    if (budget === 0) break;
    const add = Math.min(budget, scans[j].partitions - scans[j].parts);
    targets[j] += add;
    budget -= add;
  }
  return targets;
}
