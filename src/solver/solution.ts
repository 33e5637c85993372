/** Builds MilpSolutions the same way for every backend, so their answers compare directly. */
import type { IndexedModel } from './indexed.js';
import type { MilpSolution, MilpStatus } from './model.js';

/**
 * Solvers return integers within a tolerance (2.9999999); rounding them and recomputing the
 * objective from the rounded values gives callers exact counts and backends identical objectives.
 */
export function optimalSolution(model: IndexedModel, columnValues: readonly number[], solver: string, solveSeconds: number): MilpSolution {
  const values: { [variable: string]: number } = {};
  let objective = model.objectiveConstant;
  model.variables.forEach((variable, column) => {
    // `+ 0` turns a rounded -0 into 0.
    const value = variable.integer ? Math.round(columnValues[column]) + 0 : columnValues[column];
    values[variable.name] = value;
    objective += model.objective[column] * value;
  });
  return { status: 'optimal', objective, values, solveSeconds, solver };
}

export function failedSolution(status: Exclude<MilpStatus, 'optimal'>, message: string, solver: string, solveSeconds: number): MilpSolution {
  return { status, objective: NaN, values: {}, solveSeconds, solver, message };
}
