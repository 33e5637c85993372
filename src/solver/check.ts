/**
 * Independent checks of an assignment against the original, name-based model: callers can verify
 * what a backend returned without trusting the backend's own bookkeeping.
 */
import { variableBounds } from './indexed.js';
import type { MilpModel } from './model.js';

type Values = { readonly [variable: string]: number };

function valueOf(values: Values, name: string): number {
  const value = values[name];
  if (value === undefined) throw new Error(`assignment has no value for variable "${name}"`);
  return value;
}

function activity(terms: MilpModel['objective'], values: Values): number {
  let sum = 0;
  for (const [name, coefficient] of Object.entries(terms)) sum += coefficient * valueOf(values, name);
  return sum;
}

export function objectiveValue(model: MilpModel, values: Values): number {
  return (model.objectiveConstant ?? 0) + activity(model.objective, values);
}

/** Distance outside [lower, upper]; 0 inside. */
function outside(x: number, lower: number, upper: number): number {
  return Math.max(0, lower - x, x - upper);
}

/**
 * The largest violation of any variable bound, integrality requirement or constraint; 0 for a
 * feasible assignment. Compare it with a tolerance (solvers allow about 1e-7).
 */
export function maxViolation(model: MilpModel, values: Values): number {
  let worst = 0;
  for (const v of model.variables) {
    const x = valueOf(values, v.name);
    const { lower, upper } = variableBounds(v);
    worst = Math.max(worst, outside(x, lower, upper));
    if (v.integer || v.binary) worst = Math.max(worst, Math.abs(x - Math.round(x)));
  }
  for (const c of model.constraints) {
    worst = Math.max(worst, outside(activity(c.terms, values), c.lower ?? -Infinity, c.upper ?? Infinity));
  }
  return worst;
}
