/** Closed-form mean waiting times in queue (seconds) for the conformance tests. */

/** Erlang C: probability that an arrival waits in M/M/c with offered load a = λ/μ. */
export function erlangC(c: number, a: number): number {
  let term = 1;
  let sum = 1;
  for (let k = 1; k < c; k++) {
    term *= a / k;
    sum += term;
  }
  const last = (term * a) / c / (1 - a / c);
  return last / (sum + last);
}

/** M/M/c mean wait: C(c, a) / (cμ − λ). */
export function mmcWait(lambda: number, meanService: number, c: number): number {
  return erlangC(c, lambda * meanService) / (c / meanService - lambda);
}

/** M/G/1 mean wait by Pollaczek–Khinchine: λ·E[S²] / (2(1 − ρ)). */
export function mg1Wait(lambda: number, meanService: number, secondMoment: number): number {
  return (lambda * secondMoment) / (2 * (1 - lambda * meanService));
}

/**
 * Erlang B: probability that an arrival finds all c servers busy in M/M/c/c (no waiting room)
 * with offered load a = λ/μ, by the recursion B(0) = 1, B(k) = a·B(k−1) / (k + a·B(k−1)).
 */
export function erlangB(c: number, a: number): number {
  let b = 1;
  for (let k = 1; k <= c; k++) b = (a * b) / (k + a * b);
  return b;
}

/**
 * M/M/c/K (c servers, at most K in the system, K ≥ c): the stationary probabilities
 * p(n) ∝ aⁿ/n! for n ≤ c and a^c/c!·ρ^(n−c) for c < n ≤ K (ρ = a/c); an arrival is blocked
 * with probability p(K) (PASTA), and an admitted one waits on average W = L_q / (λ·(1 − p(K)))
 * by Little's law, L_q = Σ (n − c)·p(n).
 */
export function mmckTheory(lambda: number, meanService: number, c: number, capacity: number): { blocking: number; waitSeconds: number } {
  const a = lambda * meanService;
  let term = 1;
  let total = 0;
  let queueSum = 0;
  for (let n = 0; n <= capacity; n++) {
    if (n > 0) term *= a / Math.min(n, c);
    total += term;
    queueSum += Math.max(0, n - c) * term;
  }
  const blocking = term / total;
  return { blocking, waitSeconds: queueSum / total / (lambda * (1 - blocking)) };
}
