/**
 * Tries every assignment of a small pure-integer model. Slow but obviously right, which makes it
 * the oracle the wasm solvers are tested against.
 */
import { InputError } from '../errors.js';
import { indexModel } from './indexed.js';
import type { MilpModel, MilpSolution, MilpSolver } from './model.js';
import { failedSolution, optimalSolution } from './solution.js';

export const MAX_ASSIGNMENTS = 1_000_000;

/** Slack on row bounds for rounding error in the activity sums, relative for bounds above 1. */
const FEASIBILITY_TOLERANCE = 1e-9;

function withinRow(activity: number, lower: number, upper: number): boolean {
  const slack = (bound: number) => FEASIBILITY_TOLERANCE * Math.max(1, Math.abs(bound));
  return activity >= lower - slack(lower) && activity <= upper + slack(upper);
}

function solveLoaded(model: MilpModel): MilpSolution {
  const indexed = indexModel(model);
  const start = performance.now();
  const lowers: number[] = [];
  const uppers: number[] = [];
  for (const v of indexed.variables) {
    if (!v.integer || !Number.isFinite(v.lower) || !Number.isFinite(v.upper)) {
      throw new InputError(`solver brute-force needs every variable integer with finite bounds; "${v.name}" is not`);
    }
    lowers.push(Math.ceil(v.lower));
    uppers.push(Math.floor(v.upper));
  }
  const sizes = lowers.map((low, column) => Math.max(0, uppers[column] - low + 1));
  // An empty range means no assignment at all (and keeps 0 · Infinity out of the product).
  const assignments = sizes.includes(0) ? 0 : sizes.reduce((product, size) => product * size, 1);
  if (assignments > MAX_ASSIGNMENTS) {
    throw new InputError(`solver brute-force tries at most ${MAX_ASSIGNMENTS} assignments; this model has ${assignments}`);
  }

  const sign = indexed.sense === 'max' ? 1 : -1;
  let best: number[] | undefined;
  let bestScore = -Infinity;
  const x = [...lowers];
  for (let n = 0; n < assignments; n++) {
    const feasible = indexed.rows.every((row) => {
      let activity = 0;
      for (let k = 0; k < row.columns.length; k++) activity += row.coefficients[k] * x[row.columns[k]];
      return withinRow(activity, row.lower, row.upper);
    });
    if (feasible) {
      let score = 0;
      for (let column = 0; column < x.length; column++) score += indexed.objective[column] * x[column];
      score *= sign;
      // Strictly better only: among ties the first assignment in odometer order is kept.
      if (score > bestScore) {
        bestScore = score;
        best = [...x];
      }
    }
    // Odometer step: the first variable turns fastest.
    for (let column = 0; column < x.length; column++) {
      if (x[column] < uppers[column]) {
        x[column]++;
        break;
      }
      x[column] = lowers[column];
    }
  }

  const seconds = (performance.now() - start) / 1000;
  if (!best) return failedSolution('infeasible', 'brute force: no assignment satisfies every constraint', 'brute-force', seconds);
  return optimalSolution(indexed, best, 'brute-force', seconds);
}

export function createBruteForceSolver(): MilpSolver {
  return { name: 'brute-force', load: async () => {}, solveLoaded, solve: async (model) => solveLoaded(model) };
}
