/**
 * A second, independent backend: GLPK compiled to wasm (`glpk.js`). It is GPL-3.0, so it is an
 * optional dependency, imported only when someone asks for it.
 */
import type { GLPK, LP } from 'glpk.js/node';
import { InputError } from '../errors.js';
import { indexModel, isBinary, type IndexedModel } from './indexed.js';
import { columnName } from './lp-format.js';
import type { MilpModel, MilpSolution, MilpSolver, SolveOptions } from './model.js';
import { failedSolution, optimalSolution } from './solution.js';

let runtime: Promise<GLPK> | undefined;

async function instantiate(): Promise<GLPK> {
  let factory: () => Promise<GLPK>;
  try {
    factory = (await import('glpk.js/node')).default;
  } catch (cause) {
    throw new InputError('solver glpk needs the optional package glpk.js (npm install glpk.js)', { cause });
  }
  return factory();
}

let loaded: GLPK | undefined;

async function load(): Promise<void> {
  runtime ??= instantiate();
  loaded = await runtime;
}

/** GLPK's bound type for an interval, shared by rows and columns. */
function boundType(glpk: GLPK, lower: number, upper: number): number {
  if (lower === upper) return glpk.GLP_FX;
  if (lower === -Infinity) return upper === Infinity ? glpk.GLP_FR : glpk.GLP_UP;
  return upper === Infinity ? glpk.GLP_LO : glpk.GLP_DB;
}

function bounds(glpk: GLPK, lower: number, upper: number): { type: number; lb: number; ub: number } {
  // GLPK ignores the side a type leaves open; 0 keeps infinities out of the wasm call.
  const finite = (x: number) => (Number.isFinite(x) ? x : 0);
  return { type: boundType(glpk, lower, upper), lb: finite(lower), ub: finite(upper) };
}

function toGlpkLp(glpk: GLPK, model: IndexedModel): LP {
  return {
    name: 'servesim',
    objective: {
      direction: model.sense === 'max' ? glpk.GLP_MAX : glpk.GLP_MIN,
      name: 'objective',
      vars: model.objective.flatMap((coef, column) => (coef === 0 ? [] : [{ name: columnName(column), coef }])),
    },
    subjectTo: model.rows.map((row, index) => ({
      name: `r${index}`,
      vars: row.columns.map((column, k) => ({ name: columnName(column), coef: row.coefficients[k] })),
      bnds: bounds(glpk, row.lower, row.upper),
    })),
    // Every column gets bounds, so each one exists in GLPK even if it appears nowhere else.
    bounds: model.variables.map((variable, column) => ({ name: columnName(column), ...bounds(glpk, variable.lower, variable.upper) })),
    generals: model.variables.flatMap((variable, column) => (variable.integer && !isBinary(variable) ? [columnName(column)] : [])),
    binaries: model.variables.flatMap((variable, column) => (isBinary(variable) ? [columnName(column)] : [])),
  };
}

/**
 * GLPK's presolver answers "undefined" for both infeasible and unbounded problems; the LP
 * relaxation solved by plain simplex tells which. An unbounded relaxation is reported as an
 * unbounded MILP, which holds whenever the MILP has any integer-feasible point.
 */
function classifyUndefined(glpk: GLPK, lp: LP): 'infeasible' | 'unbounded' | undefined {
  const relaxation: LP = { ...lp, generals: [], binaries: [] };
  const status = glpk.solve(relaxation, { msglev: glpk.GLP_MSG_OFF, presol: false }).result.status;
  if (status === glpk.GLP_NOFEAS) return 'infeasible';
  if (status === glpk.GLP_UNBND) return 'unbounded';
  return undefined;
}

function solveLoaded(model: MilpModel, options: SolveOptions = {}): MilpSolution {
  const indexed = indexModel(model);
  const glpk = loaded;
  if (glpk === undefined) throw new Error('GLPK is not loaded: await load() first');
  const start = performance.now();
  const lp = toGlpkLp(glpk, indexed);
  const limit = options.timeLimitSeconds;
  // glpk.js takes tmlim in seconds; GLPK then ends with a feasible (not proven) or no solution.
  const { status, vars } = glpk.solve(lp, { msglev: glpk.GLP_MSG_OFF, mipgap: 0, ...(limit === undefined ? {} : { tmlim: limit }) }).result;
  const outcome = status === glpk.GLP_UNDEF ? classifyUndefined(glpk, lp) : undefined;
  const seconds = (performance.now() - start) / 1000;
  if (status === glpk.GLP_OPT) {
    return optimalSolution(indexed, indexed.variables.map((_, column) => vars[columnName(column)]), 'glpk', seconds);
  }
  if (limit !== undefined && seconds >= limit && status !== glpk.GLP_NOFEAS) return failedSolution('time-limit', `GLPK: stopped at the ${limit} s time limit`, 'glpk', seconds);
  if (status === glpk.GLP_NOFEAS) return failedSolution('infeasible', 'GLPK: no feasible solution', 'glpk', seconds);
  if (status === glpk.GLP_UNBND) return failedSolution('unbounded', 'GLPK: unbounded', 'glpk', seconds);
  if (outcome) return failedSolution(outcome, `GLPK: presolve undecided, LP relaxation ${outcome}`, 'glpk', seconds);
  return failedSolution('error', `GLPK: solution status ${status}`, 'glpk', seconds);
}

export function createGlpkSolver(): MilpSolver {
  return { name: 'glpk', load, solveLoaded, solve: async (model, options) => (await load(), solveLoaded(model, options)) };
}
