import { describe, expect, it } from 'vitest';
import { fitCapacity, InfAdapter, infadapterSchema, msPlusSchema, type Configuration, type VariantInfo } from '../src/policies/infadapter.js';

const variants: VariantInfo[] = [
  { deployment: 'r18', variant: 'resnet18', accuracy: 0.69758, loadSeconds: 6.44 },
  { deployment: 'r50', variant: 'resnet50', accuracy: 0.7613, loadSeconds: 6.82 },
  { deployment: 'r152', variant: 'resnet152', accuracy: 0.78312, loadSeconds: 8.52 },
];
const constant = (rate: number) => ({ name: 'constant', predict: () => rate });

async function policy(extra: Record<string, unknown> = {}, name: 'infadapter' | 'ms+' = 'infadapter') {
  const schema = name === 'ms+' ? msPlusSchema : infadapterSchema;
  const p = new InfAdapter(schema.parse({ name, stage: 's', deployments: variants.map((v) => v.deployment), ...extra }), variants, constant(0));
  await p.prepare();
  return p;
}

/** InfAdapter's objective of a configuration, recomputed by hand. */
function objective(p: InfAdapter, plan: Configuration, load: number, current: number[]): number {
  const maxLoad = Math.max(...variants.map((v) => v.loadSeconds));
  const accuracy = plan.quotas.reduce((sum, q, i) => sum + (q * variants[i].accuracy) / load, 0);
  const cores = plan.cores.reduce((a, b) => a + b, 0);
  const changed = plan.cores.map((n, i) => (n !== 0 && n !== current[i] ? variants[i].loadSeconds : 0));
  return accuracy - p.spec.resourceWeight * (cores / p.spec.budgetCores) - (p.spec.loadingWeight * Math.max(...changed)) / maxLoad;
}

/** Every configuration of 0 or 2..budget cores per variant, split greedily by accuracy: the oracle. */
function bruteForce(p: InfAdapter, load: number, current: number[], capacity: (i: number, n: number) => number): number {
  const { budgetCores, minCores } = p.spec;
  const options = [0, ...Array.from({ length: budgetCores - minCores + 1 }, (_, k) => minCores + k)];
  let best = -Infinity;
  for (const a of options) for (const b of options) for (const c of options) {
    const cores = [a, b, c];
    if (a + b + c > budgetCores) continue;
    const caps = cores.map((n, i) => capacity(i, n));
    if (caps.reduce((x, y) => x + y, 0) < load) continue;
    let left = load;
    const quotas = [0, 0, 0];
    for (let i = 2; i >= 0; i--) {
      quotas[i] = Math.min(caps[i], left);
      left -= quotas[i];
    }
    best = Math.max(best, objective(p, { cores, quotas }, load, current));
  }
  return best;
}

describe('InfAdapter', () => {
  it('fits capacity = a·cores + b to the 750 ms profile at 1, 2, 4, 8 and 16 cores', () => {
    const { a, b } = fitCapacity('resnet18', 750);
    // Capacities 19, 43, 90, 190, 385 (profiles/infadapter/capacity_result_Feb_21.csv): by hand,
    // a = Sxy / Sxx = 3637.6 / 148.8 and b = 145.4 − 6.2·a.
    expect(a).toBeCloseTo(3637.6 / 148.8, 9);
    expect(b).toBeCloseTo(145.4 - 6.2 * (3637.6 / 148.8), 9);
  });

  it.each([
    ['highs', 40, [0, 8, 0]],
    ['highs', 150, [0, 8, 0]],
    ['glpk', 150, [0, 8, 0]],
    ['highs', 260, [4, 4, 4]],
    ['glpk', 320, [0, 0, 0]],
  ] as const)('%s finds the optimum of the brute-force oracle (load %d)', async (solver, load, current) => {
    const p = await policy({ solver, budgetCores: 12 });
    const plan = p.plan(load, [...current]);
    const fits = variants.map((v) => fitCapacity(v.variant, 750));
    const capacity = (i: number, n: number) => (n === 0 ? 0 : Math.floor(Math.max(0, 0.8 * (fits[i].a * n + fits[i].b))));
    const servable = Math.max(...variants.map((_, i) => capacity(i, 12)));
    const lambda = Math.min(load, servable);
    expect(objective(p, plan, lambda, [...current])).toBeCloseTo(bruteForce(p, lambda, [...current], capacity), 9);
    expect(plan.cores.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(12);
    expect(plan.cores.every((n) => n === 0 || n >= 2)).toBe(true);
  });

  it('both solvers reach the same objective on a sweep of loads', async () => {
    const [highs, glpk] = [await policy({ solver: 'highs' }), await policy({ solver: 'glpk' })];
    for (const load of [10, 60, 120, 200, 300, 400]) {
      const current = [0, 10, 0];
      const a = highs.plan(load, current);
      const b = glpk.plan(load, current);
      expect(objective(highs, a, load, current)).toBeCloseTo(objective(glpk, b, load, current), 9);
    }
  });

  it('fills the most accurate variants first', async () => {
    const p = await policy();
    const plan = p.plan(200, [0, 10, 0]);
    const deployed = plan.cores.map((n, i) => (n > 0 ? i : -1)).filter((i) => i >= 0);
    // Every deployed variant but the least accurate one runs at its capacity.
    const least = Math.min(...deployed);
    for (const i of deployed) if (i !== least) expect(plan.quotas[i]).toBeGreaterThan(0);
    expect(plan.quotas.reduce((a, b) => a + b, 0)).toBeCloseTo(200, 6);
  });

  it('MS+ deploys one variant with the fewest cores that cover the load', async () => {
    const p = await policy({}, 'ms+');
    const plan = p.planSingle(100, [0, 10, 0]);
    expect(plan.cores.filter((n) => n > 0)).toHaveLength(1);
    expect(plan.quotas.reduce((a, b) => a + b, 0)).toBeCloseTo(100, 6);
  });
});
