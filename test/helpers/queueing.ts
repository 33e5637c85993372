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
