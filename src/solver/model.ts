/**
 * A mixed-integer linear program as plain data, and the one interface every solver backend
 * implements. Policies build a MilpModel with their own variable names; backends translate it.
 */

/** Coefficients keyed by variable name; a missing name has coefficient 0. */
export interface LinearTerms {
  [variable: string]: number;
}

export interface MilpVariable {
  name: string;
  /** Defaults to 0 as in the LP format; pass -Infinity for a variable unbounded below. */
  lower?: number;
  /** Defaults to +Infinity. */
  upper?: number;
  integer?: boolean;
  /** Integer in [0, 1]; `lower`/`upper` may only narrow that range. */
  binary?: boolean;
}

/** lower ≤ Σ terms ≤ upper; at least one of the two bounds must be given. */
export interface MilpConstraint {
  name: string;
  terms: LinearTerms;
  lower?: number;
  upper?: number;
}

export interface MilpModel {
  sense: 'max' | 'min';
  variables: MilpVariable[];
  objective: LinearTerms;
  /** Added to the objective value; it does not change the optimum. */
  objectiveConstant?: number;
  constraints: MilpConstraint[];
}

/** 'time-limit': stopped at SolveOptions.timeLimitSeconds before proving an optimum. */
export type MilpStatus = 'optimal' | 'infeasible' | 'unbounded' | 'time-limit' | 'error';

export interface SolveOptions {
  /** Wall seconds the backend may search before giving up (default: no limit; brute force bounds itself by MAX_ASSIGNMENTS instead). */
  timeLimitSeconds?: number;
}

export interface MilpSolution {
  status: MilpStatus;
  /** The objective of `values` (constant included); NaN unless status is 'optimal'. */
  objective: number;
  /** Every variable's value when optimal (integers rounded exactly); empty otherwise. */
  values: { [variable: string]: number };
  /** Wall time of the solve call, wasm loading excluded. */
  solveSeconds: number;
  solver: string;
  /** What the backend reported, for statuses other than 'optimal'. */
  message?: string;
}

export interface MilpSolver {
  name: string;
  /** Loads the backend (its wasm) once; `solveLoaded` needs it done. */
  load(): Promise<void>;
  /** Proves optimality (zero relative MIP gap) or says why not; rejects bad models with InputError. */
  solve(model: MilpModel, options?: SolveOptions): Promise<MilpSolution>;
  /** The same, synchronously, once loaded: for controllers deciding inside a simulation event. */
  solveLoaded(model: MilpModel, options?: SolveOptions): MilpSolution;
}
