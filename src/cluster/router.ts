import type { Uniform } from '../engine/random.js';

/** How a request picks one replica of a deployment: the deployment spec's `router`. */
export type ReplicaRouter = 'round-robin' | 'least-outstanding' | 'random';

/**
 * Picks a ready replica for a request (simulated pods behind per-replica queues, or real servers):
 * round-robin over the ready ones by the caller's turn, least outstanding requests (ties to the
 * oldest, which comes first), or uniformly at random. Null when none is ready.
 */
export function pickReplica<T>(router: ReplicaRouter, replicas: readonly T[], isReady: (r: T) => boolean, outstanding: (r: T) => number, turn: number, u: Uniform): T | null {
  let ready = 0;
  for (const r of replicas) if (isReady(r)) ready++;
  if (ready === 0) return null;
  if (router === 'least-outstanding') {
    let best: T | null = null;
    for (const r of replicas) if (isReady(r) && (best === null || outstanding(r) < outstanding(best))) best = r;
    return best;
  }
  let k = router === 'random' ? Math.floor(u() * ready) : turn % ready;
  for (const r of replicas) if (isReady(r) && k-- === 0) return r;
  return null;
}

/**
 * Smooth weighted round-robin (as nginx balances upstreams): each pick adds every weight to its
 * running credit and takes the largest credit, which then pays the total. Over any window the
 * picks follow the weights as evenly as integers allow; ties go to the lower index.
 */
export class WeightedRoundRobin {
  private credit: number[] = [];

  constructor(private weights: number[]) {
    this.setWeights(weights);
  }

  setWeights(weights: number[]): void {
    this.weights = weights.slice();
    this.credit = weights.map(() => 0);
  }

  /** An index drawn with probability proportional to its weight, from a uniform draw `x` in [0, 1); -1 when all weights are 0. */
  random(x: number): number {
    const total = this.weights.reduce((a, b) => a + b, 0);
    let target = x * total;
    for (let i = 0; i < this.weights.length; i++) {
      if (this.weights[i] <= 0) continue;
      if (target < this.weights[i]) return i;
      target -= this.weights[i];
    }
    return -1;
  }

  /** Index of the next pick among those `eligible` allows; -1 when no eligible one has weight. */
  next(eligible: (i: number) => boolean = () => true): number {
    let total = 0;
    let best = -1;
    for (let i = 0; i < this.weights.length; i++) {
      if (!eligible(i) || this.weights[i] <= 0) continue;
      this.credit[i] += this.weights[i];
      total += this.weights[i];
      if (best < 0 || this.credit[i] > this.credit[best]) best = i;
    }
    if (best >= 0) this.credit[best] -= total;
    return best;
  }
}
