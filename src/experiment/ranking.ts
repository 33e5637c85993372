/** Ranks of `values`, 1 for the smallest; tied values share the mean of their ranks. */
export function ranks(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let k = i; k <= j; k++) out[order[k][1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return out;
}

/**
 * Kendall's τ-b between two orderings of the same items (Kendall 1945: concordant minus discordant
 * pairs over the square root of the pairs untied in each): 1 when both order every pair alike, −1
 * when reversed. NaN when either ties every pair.
 */
export function kendallTauB(x: readonly number[], y: readonly number[]): number {
  let concordant = 0;
  let discordant = 0;
  let tiedX = 0;
  let tiedY = 0;
  for (let i = 0; i < x.length; i++) {
    for (let j = i + 1; j < x.length; j++) {
      const dx = Math.sign(x[i] - x[j]);
      const dy = Math.sign(y[i] - y[j]);
      if (dx === 0 && dy === 0) continue;
      if (dx === 0) tiedX++;
      else if (dy === 0) tiedY++;
      else if (dx === dy) concordant++;
      else discordant++;
    }
  }
  const pairs = Math.sqrt((concordant + discordant + tiedX) * (concordant + discordant + tiedY));
  return pairs === 0 ? NaN : (concordant - discordant) / pairs;
}

/** A configuration's figures, by metric. */
export interface Ranked {
  config: string;
  figures: Record<string, number>;
}

/**
 * The winner under the validation's objective: the fewest mean cores among the configurations
 * whose SLO-violation rate is at most `maxViolations`; when none meets it, the fewest violations.
 */
export function winner(set: readonly Ranked[], maxViolations: number): string {
  const meeting = set.filter((c) => c.figures.slo_violation_rate <= maxViolations);
  const pool = meeting.length > 0 ? meeting : set;
  const key = meeting.length > 0 ? 'mean_cores' : 'slo_violation_rate';
  return [...pool].sort((a, b) => a.figures[key] - b.figures[key] || a.figures.slo_violation_rate - b.figures.slo_violation_rate)[0].config;
}
