/**
 * Checks a MilpModel once and turns it into the index-based form the backends share: bounds filled
 * in, binaries folded into integers, names replaced by positions.
 */
import { InputError } from '../errors.js';
import type { LinearTerms, MilpModel, MilpVariable } from './model.js';

export interface IndexedVariable {
  name: string;
  lower: number;
  upper: number;
  integer: boolean;
}

export interface IndexedRow {
  name: string;
  columns: number[];
  coefficients: number[];
  /** -Infinity or +Infinity where the side is open; never both. */
  lower: number;
  upper: number;
}

export interface IndexedModel {
  sense: 'max' | 'min';
  variables: IndexedVariable[];
  /** Dense, one coefficient per variable. */
  objective: number[];
  objectiveConstant: number;
  rows: IndexedRow[];
}

/** An integer variable with bounds [0, 1]: LP files and GLPK list these as binaries. */
export function isBinary(variable: IndexedVariable): boolean {
  return variable.integer && variable.lower === 0 && variable.upper === 1;
}

/** A variable's bounds with the defaults filled in: [0, +Infinity), or [0, 1] for a binary. */
export function variableBounds(v: MilpVariable): { lower: number; upper: number } {
  if (v.binary) return { lower: Math.max(v.lower ?? 0, 0), upper: Math.min(v.upper ?? 1, 1) };
  return { lower: v.lower ?? 0, upper: v.upper ?? Infinity };
}

function fail(message: string): never {
  throw new InputError(`MILP model: ${message}`);
}

function checkBounds(what: string, lower: number, upper: number): void {
  if (Number.isNaN(lower) || Number.isNaN(upper)) fail(`${what} has a NaN bound`);
  if (lower === Infinity || upper === -Infinity) fail(`${what} has an infinite bound on the wrong side`);
  if (lower > upper) fail(`${what} has lower bound ${lower} above upper bound ${upper}`);
}

function indexTerms(what: string, terms: LinearTerms, position: Map<string, number>): Map<number, number> {
  const byColumn = new Map<number, number>();
  for (const [name, coefficient] of Object.entries(terms)) {
    const column = position.get(name);
    if (column === undefined) fail(`${what} refers to unknown variable "${name}"`);
    if (!Number.isFinite(coefficient)) fail(`${what} has coefficient ${coefficient} for "${name}"`);
    if (coefficient !== 0) byColumn.set(column, coefficient);
  }
  return byColumn;
}

export function indexModel(model: MilpModel): IndexedModel {
  if (model.sense !== 'max' && model.sense !== 'min') fail(`sense must be "max" or "min", got "${model.sense}"`);
  if (model.variables.length === 0) fail('it has no variables');

  const position = new Map<string, number>();
  const variables = model.variables.map((v, column): IndexedVariable => {
    if (!v.name) fail(`variable ${column} has no name`);
    if (position.has(v.name)) fail(`variable "${v.name}" is declared twice`);
    position.set(v.name, column);
    const { lower, upper } = variableBounds(v);
    checkBounds(`variable "${v.name}"`, lower, upper);
    return { name: v.name, lower, upper, integer: Boolean(v.integer || v.binary) };
  });

  const objective = new Array<number>(variables.length).fill(0);
  for (const [column, coefficient] of indexTerms('the objective', model.objective, position)) objective[column] = coefficient;
  const objectiveConstant = model.objectiveConstant ?? 0;
  if (!Number.isFinite(objectiveConstant)) fail(`objectiveConstant is ${objectiveConstant}`);

  const rowNames = new Set<string>();
  const rows = model.constraints.map((c, index): IndexedRow => {
    if (!c.name) fail(`constraint ${index} has no name`);
    if (rowNames.has(c.name)) fail(`constraint "${c.name}" is declared twice`);
    rowNames.add(c.name);
    const lower = c.lower ?? -Infinity;
    const upper = c.upper ?? Infinity;
    checkBounds(`constraint "${c.name}"`, lower, upper);
    if (lower === -Infinity && upper === Infinity) fail(`constraint "${c.name}" has neither a finite lower nor upper bound`);
    const terms = indexTerms(`constraint "${c.name}"`, c.terms, position);
    return { name: c.name, columns: [...terms.keys()], coefficients: [...terms.values()], lower, upper };
  });

  return { sense: model.sense, variables, objective, objectiveConstant, rows };
}
