import { randomLcg } from 'd3-random';
import { describe, expect, it, vi } from 'vitest';
import { InputError } from '../../src/errors.js';
import { createSolver, maxViolation, objectiveValue, type MilpModel, type MilpSolution, type SolverName } from '../../src/solver/index.js';

// glpk.js is an optional dependency: its cases skip where it is not installed.
const glpkInstalled = await import('glpk.js/node').then(
  () => true,
  () => false,
);
const skipMissing = (name: SolverName) => name === 'glpk' && !glpkInstalled;

function expectFeasible(model: MilpModel, solution: MilpSolution): void {
  expect(solution.status).toBe('optimal');
  expect(maxViolation(model, solution.values)).toBeLessThanOrEqual(1e-6);
  expect(objectiveValue(model, solution.values)).toBeCloseTo(solution.objective, 9);
}

/**
 * max 5a + 4b + 3c + 0.5 with a, b ∈ {0..3}, c ∈ {0, 1}; 2a + 3b + c ≤ 5; 4a + b + 2c ≤ 11; 1 ≤ a + b ≤ 3.
 * By hand: a = 3 breaks the first row; a = 2 leaves b = 0, c = 1 → 13; a = 1 gives at most 9;
 * a = 0 at most 7. Unique optimum 13 + 0.5 at (2, 0, 1). Names hold characters LP files forbid.
 */
const knapsack: MilpModel = {
  sense: 'max',
  variables: [
    { name: 'cores[resnet 18]', integer: true, upper: 3 },
    { name: 'cores:resnet50', integer: true, upper: 3 },
    { name: 'deployed/resnet152', binary: true },
  ],
  objective: { 'cores[resnet 18]': 5, 'cores:resnet50': 4, 'deployed/resnet152': 3 },
  objectiveConstant: 0.5,
  constraints: [
    { name: 'weight', terms: { 'cores[resnet 18]': 2, 'cores:resnet50': 3, 'deployed/resnet152': 1 }, upper: 5 },
    { name: 'volume', terms: { 'cores[resnet 18]': 4, 'cores:resnet50': 1, 'deployed/resnet152': 2 }, upper: 11 },
    { name: 'range', terms: { 'cores[resnet 18]': 1, 'cores:resnet50': 1 }, lower: 1, upper: 3 },
  ],
};

/** min 3x + 2y with x, y ∈ {0..10}; 4 ≤ x + y ≤ 6; x − y ≥ −1: y ≤ x + 1 forces (2, 2) → 10. */
const covering: MilpModel = {
  sense: 'min',
  variables: [
    { name: 'x', integer: true, upper: 10 },
    { name: 'y', integer: true, upper: 10 },
  ],
  objective: { x: 3, y: 2 },
  constraints: [
    { name: 'cover', terms: { x: 1, y: 1 }, lower: 4, upper: 6 },
    { name: 'balance', terms: { x: 1, y: -1 }, lower: -1 },
  ],
};

describe.each(['highs', 'glpk', 'brute-force'] as const)('solver %s on hand-computed models', (name) => {
  const skip = skipMissing(name);

  it.skipIf(skip)('finds the knapsack optimum 13.5 at (2, 0, 1)', async () => {
    const solution = await createSolver(name).solve(knapsack);
    expectFeasible(knapsack, solution);
    expect(solution.solver).toBe(name);
    expect(solution.objective).toBeCloseTo(13.5, 9);
    expect(solution.values).toEqual({ 'cores[resnet 18]': 2, 'cores:resnet50': 0, 'deployed/resnet152': 1 });
  });

  it.skipIf(skip)('finds the covering optimum 10 at (2, 2) with a ranged row', async () => {
    const solution = await createSolver(name).solve(covering);
    expectFeasible(covering, solution);
    expect(solution.objective).toBeCloseTo(10, 9);
    expect(solution.values).toEqual({ x: 2, y: 2 });
  });

  it.skipIf(skip)('reports an integer-infeasible model (2x = 1) as infeasible', async () => {
    const model: MilpModel = {
      sense: 'max',
      variables: [{ name: 'x', integer: true, upper: 10 }],
      objective: { x: 1 },
      constraints: [{ name: 'half', terms: { x: 2 }, lower: 1, upper: 1 }],
    };
    const solution = await createSolver(name).solve(model);
    expect(solution.status).toBe('infeasible');
    expect(solution.objective).toBeNaN();
    expect(solution.values).toEqual({});
  });
});

describe.each(['highs', 'glpk'] as const)('solver %s on ill-posed and mixed models', (name) => {
  const skip = skipMissing(name);

  it.skipIf(skip)('reports contradictory rows as infeasible', async () => {
    const model: MilpModel = {
      sense: 'min',
      variables: [{ name: 'x', integer: true, upper: 10 }],
      objective: { x: 1 },
      constraints: [
        { name: 'at least 3', terms: { x: 1 }, lower: 3 },
        { name: 'at most 2', terms: { x: 1 }, upper: 2 },
      ],
    };
    expect((await createSolver(name).solve(model)).status).toBe('infeasible');
  });

  it.skipIf(skip)('reports an objective that grows without limit as unbounded, for integer and continuous variables', async () => {
    for (const integer of [true, false]) {
      const model: MilpModel = {
        sense: 'max',
        variables: [
          { name: 'x', integer },
          { name: 'y', integer },
        ],
        objective: { x: 1, y: 1 },
        constraints: [{ name: 'gap', terms: { x: 1, y: -1 }, upper: 1 }],
      };
      expect((await createSolver(name).solve(model)).status).toBe('unbounded');
    }
  });

  it.skipIf(skip)('solves a model with continuous variables, free ones included', async () => {
    // min t with t ≥ x − 2.5 and t ≥ 2.5 − x, x integer in [−5, 5]: |x − 2.5| ≥ 0.5, reached at x = 2 or 3.
    const model: MilpModel = {
      sense: 'min',
      variables: [
        { name: 't', lower: -Infinity },
        { name: 'x', integer: true, lower: -5, upper: 5 },
      ],
      objective: { t: 1 },
      constraints: [
        { name: 'above', terms: { t: 1, x: -1 }, lower: -2.5 },
        { name: 'below', terms: { t: 1, x: 1 }, lower: 2.5 },
      ],
    };
    const solution = await createSolver(name).solve(model);
    expectFeasible(model, solution);
    expect(solution.objective).toBeCloseTo(0.5, 7);
  });
});

/**
 * InfAdapter's choice for 3 variants: cores n_i ∈ {0..6}, deployed flag d_i with 2·d_i ≤ n_i ≤ 6·d_i,
 * Σ n_i ≤ 8, capacity Σ (a_i·n_i + b_i·d_i) ≥ load; maximise Σ acc_i·d_i − 0.05·Σ n_i.
 */
function infAdapterModel(uniform: () => number): MilpModel {
  const variants = [0, 1, 2];
  const n = (i: number) => `n${i}`;
  const d = (i: number) => `d${i}`;
  const objective: MilpModel['objective'] = {};
  const capacity: MilpModel['objective'] = {};
  const constraints: MilpModel['constraints'] = [];
  for (const i of variants) {
    objective[d(i)] = 0.6 + 0.35 * uniform();
    objective[n(i)] = -0.05;
    capacity[n(i)] = 5 + 25 * uniform();
    capacity[d(i)] = -10 * uniform();
    constraints.push({ name: `min cores ${i}`, terms: { [n(i)]: 1, [d(i)]: -2 }, lower: 0 });
    constraints.push({ name: `max cores ${i}`, terms: { [n(i)]: 1, [d(i)]: -6 }, upper: 0 });
  }
  constraints.push({ name: 'core budget', terms: Object.fromEntries(variants.map((i) => [n(i), 1])), upper: 8 });
  // Up to 240 requests/s: the top of the range is beyond what 8 cores can serve, so some instances are infeasible.
  constraints.push({ name: 'capacity', terms: capacity, lower: 10 + 230 * uniform() });
  return {
    sense: 'max',
    variables: variants.flatMap((i) => [
      { name: n(i), integer: true, upper: 6 },
      { name: d(i), binary: true },
    ]),
    objective,
    constraints,
  };
}

describe('agreement on random InfAdapter-shaped instances', () => {
  const uniform = randomLcg(20240601);
  const instances = Array.from({ length: 15 }, () => infAdapterModel(uniform));

  it('the instances include both feasible and infeasible ones', async () => {
    const statuses = await Promise.all(instances.map(async (m) => (await createSolver('brute-force').solve(m)).status));
    expect(statuses).toContain('optimal');
    expect(statuses).toContain('infeasible');
  });

  // Equal-objective optima may differ between solvers, so only statuses and objectives are compared.
  for (const name of ['highs', 'glpk'] as const) {
    it.skipIf(skipMissing(name))(`${name} matches brute force in status and objective (within 1e-6)`, async () => {
      for (const model of instances) {
        const oracle = await createSolver('brute-force').solve(model);
        const solution = await createSolver(name).solve(model);
        expect(solution.status).toBe(oracle.status);
        if (oracle.status !== 'optimal') continue;
        expectFeasible(model, solution);
        expect(Math.abs(solution.objective - oracle.objective)).toBeLessThanOrEqual(1e-6);
      }
    });
  }
});

describe('bad input', () => {
  it('rejects a model naming an unknown variable, a duplicate, or crossed bounds', async () => {
    const solver = createSolver();
    const base: MilpModel = { sense: 'max', variables: [{ name: 'x', upper: 1 }], objective: { x: 1 }, constraints: [] };
    await expect(solver.solve({ ...base, objective: { y: 1 } })).rejects.toThrow(/unknown variable "y"/);
    await expect(solver.solve({ ...base, variables: [{ name: 'x' }, { name: 'x' }] })).rejects.toThrow(/declared twice/);
    await expect(solver.solve({ ...base, variables: [{ name: 'x', lower: 2, upper: 1 }] })).rejects.toThrow(InputError);
    await expect(solver.solve({ ...base, constraints: [{ name: 'free', terms: { x: 1 } }] })).rejects.toThrow(/neither/);
  });

  it('brute force refuses continuous variables and more than a million assignments', async () => {
    const solver = createSolver('brute-force');
    const continuous: MilpModel = { sense: 'max', variables: [{ name: 'x', upper: 1 }], objective: { x: 1 }, constraints: [] };
    await expect(solver.solve(continuous)).rejects.toThrow(/"x" is not/);
    const huge: MilpModel = { ...continuous, variables: ['a', 'b'].map((name) => ({ name, integer: true, upper: 1000 })), objective: { a: 1 } };
    await expect(solver.solve(huge)).rejects.toThrow(/at most 1000000 assignments; this model has 1002001/);
  });

  it('an unknown solver name is an InputError', () => {
    expect(() => createSolver('cplex' as SolverName)).toThrow(/unknown solver "cplex"/);
  });

  it('glpk without the optional package says how to install it', async () => {
    vi.resetModules();
    vi.doMock('glpk.js/node', () => {
      throw new Error('Cannot find package glpk.js');
    });
    try {
      const { createGlpkSolver } = await import('../../src/solver/glpk.js');
      await expect(createGlpkSolver().solve(knapsack)).rejects.toThrow('solver glpk needs the optional package glpk.js (npm install glpk.js)');
    } finally {
      vi.doUnmock('glpk.js/node');
      vi.resetModules();
    }
  });
});
