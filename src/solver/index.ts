/** The solver layer's entry point: pick a backend by name; every backend speaks MilpModel. */
import { InputError } from '../errors.js';
import { createBruteForceSolver } from './brute-force.js';
import { createGlpkSolver } from './glpk.js';
import { createHighsSolver } from './highs.js';
import type { MilpSolver } from './model.js';

export type { LinearTerms, MilpConstraint, MilpModel, MilpSolution, MilpSolver, MilpStatus, MilpVariable } from './model.js';
export { maxViolation, objectiveValue } from './check.js';
export { MAX_ASSIGNMENTS } from './brute-force.js';

export const SOLVER_NAMES = ['highs', 'glpk', 'brute-force'] as const;
export type SolverName = (typeof SOLVER_NAMES)[number];

/** Backends load their wasm on the first solve, so creating one is cheap and never fails for a known name. */
export function createSolver(name: SolverName = 'highs'): MilpSolver {
  switch (name) {
    case 'highs':
      return createHighsSolver();
    case 'glpk':
      return createGlpkSolver();
    case 'brute-force':
      return createBruteForceSolver();
    default:
      // Names can come from a spec file, past the type system.
      throw new InputError(`unknown solver "${String(name)}" (expected ${SOLVER_NAMES.join(', ')})`);
  }
}
