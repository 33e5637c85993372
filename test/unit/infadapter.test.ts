import { describe, expect, it } from 'vitest';
import { fitCapacityLine, InfAdapter, infadapterSchema, msPlusSchema, type Configuration, type VariantInfo } from '../../src/policies/infadapter.js';
import { profileCapacity } from '../../src/profiles/capacity-data.js';
import type { Observation } from '../../src/control/types.js';

/** A ResNet variant as the context gives it: its capacity at 750 ms from the infadapter profile's capacity data. */
const resnet = (deployment: string, depth: number, accuracy: number, loadSeconds: number): VariantInfo => ({
  deployment,
  variant: `resnet${depth}`,
  accuracy,
  loadSeconds,
  capacity: profileCapacity({ name: 'infadapter', variant: `resnet${depth}`, device: 'cpu' }, 750, (f) => f, deployment),
});

const variants: VariantInfo[] = [resnet('r18', 18, 0.69758, 6.44), resnet('r50', 50, 0.7613, 6.82), resnet('r152', 152, 0.78312, 8.52)];
const constant = (rate: number) => ({ name: 'constant', predict: () => rate });

const allFive: VariantInfo[] = [
  resnet('r18', 18, 0.69758, 6.44),
  resnet('r34', 34, 0.73314, 6.79),
  resnet('r50', 50, 0.7613, 6.82),
  resnet('r101', 101, 0.77374, 7.77),
  resnet('r152', 152, 0.78312, 8.52),
];

async function policy(extra: Record<string, unknown> = {}, name: 'infadapter' | 'ms+' = 'infadapter', pool = variants) {
  const schema = name === 'ms+' ? msPlusSchema : infadapterSchema;
  const p = new InfAdapter(schema.parse({ name, stage: 's', deployments: pool.map((v) => v.deployment), ...extra }), pool, constant(0));
  await p.prepare();
  return p;
}

/** tp_i(n) = floor(max(0, 0.8·(a·n + int(min(b, 0.99))))), as reconfig.py computes it. */
const capacityOf = (pool: VariantInfo[]) => {
  const fits = pool.map((v) => fitCapacityLine(v.capacity ?? []));
  return (i: number, n: number) => (n === 0 ? 0 : Math.floor(Math.max(0, 0.8 * (fits[i].a * n + Math.trunc(Math.min(fits[i].b, 0.99))))));
};

/** InfAdapter's objective of a configuration, recomputed by hand. */
function objective(p: InfAdapter, pool: VariantInfo[], plan: Configuration, load: number, current: number[]): number {
  const maxLoad = Math.max(...pool.map((v) => v.loadSeconds));
  const accuracy = plan.quotas.reduce((sum, q, i) => sum + (q * pool[i].accuracy) / load, 0);
  const cores = plan.cores.reduce((a, b) => a + b, 0);
  const changed = plan.cores.map((n, i) => (n !== 0 && n !== current[i] ? pool[i].loadSeconds : 0));
  return accuracy - p.spec.resourceWeight * (cores / p.spec.budgetCores) - (p.spec.loadingWeight * Math.max(...changed)) / maxLoad;
}

/**
 * The oracle: every configuration of 0 or 2..budget cores per variant, scored as the authors'
 * model does (reconfig.py): variants indexed from the least accurate, rl_i = λ − Σ_{j>i} tp_j must
 * be ≥ 0, variant i serves min(tp_i, rl_i), and the capacities together cover λ.
 */
function bruteForce(p: InfAdapter, pool: VariantInfo[], load: number, current: number[], capacity: (i: number, n: number) => number): { best: number; cores: number[] } {
  const { budgetCores, minCores } = p.spec;
  const options = [0, ...Array.from({ length: budgetCores - minCores + 1 }, (_, k) => minCores + k)];
  let best = { best: -Infinity, cores: [] as number[] };
  const visit = (cores: number[], used: number) => {
    if (cores.length < pool.length) {
      for (const n of options) if (used + n <= budgetCores) visit([...cores, n], used + n);
      return;
    }
    const caps = cores.map((n, i) => capacity(i, n));
    if (caps.reduce((x, y) => x + y, 0) < load) return;
    const quotas = caps.map((_, i) => {
      const remaining = load - caps.slice(i + 1).reduce((x, y) => x + y, 0);
      return remaining < 0 ? NaN : Math.min(caps[i], remaining);
    });
    if (quotas.some(Number.isNaN)) return;
    const score = objective(p, pool, { cores, quotas }, load, current);
    if (score > best.best + 1e-12) best = { best: score, cores };
  };
  visit([], 0);
  return best;
}

describe('InfAdapter', () => {
  it('fits capacity = a·cores + b to the 750 ms profile at 1, 2, 4, 8 and 16 cores', () => {
    expect(variants[0].capacity?.map((p) => p.cores)).toEqual([1, 2, 4, 8, 16]);
    const { a, b } = fitCapacityLine(variants[0].capacity ?? []);
    // Capacities 19, 43, 90, 190, 385 (profiles/infadapter/capacity_result_Feb_21.csv): by hand,
    // a = Sxy / Sxx = 3637.6 / 148.8 and b = 145.4 − 6.2·a.
    expect(a).toBeCloseTo(3637.6 / 148.8, 9);
    expect(b).toBeCloseTo(145.4 - 6.2 * (3637.6 / 148.8), 9);
  });

  it('refuses a variant whose capacity data has fewer than two core counts, naming it', () => {
    const spec = infadapterSchema.parse({ name: 'infadapter', stage: 's', deployments: ['r18', 'one'] });
    const one = { ...variants[0], deployment: 'one', capacity: [{ cores: 1, capacityRps: 19 }] };
    expect(() => new InfAdapter(spec, [variants[0], one], constant(0))).toThrow(
      'policy infadapter: deployment "one" has capacity data at 1 core count(s) at a 750 ms P99; a capacity line needs two or more (profile it at more core counts)',
    );
  });

  it.each([
    ['highs', 40, [0, 8, 0]],
    ['highs', 150, [0, 8, 0]],
    ['glpk', 150, [0, 8, 0]],
    ['highs', 200, [4, 4, 4]],
    ['glpk', 90, [0, 0, 0]],
  ] as const)('%s finds the optimum of the brute-force oracle (load %d)', async (solver, load, current) => {
    const p = await policy({ solver, budgetCores: 12 });
    const plan = p.plan(load, [...current]);
    const oracle = bruteForce(p, variants, load, [...current], capacityOf(variants));
    expect(objective(p, variants, plan, load, [...current])).toBeCloseTo(oracle.best, 9);
    expect(plan.cores.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(12);
    expect(plan.cores.every((n) => n === 0 || n >= 2)).toBe(true);
  });

  it.each(['highs', 'glpk'] as const)('%s picks what the authors\' model picks at λ̂ = 45: ResNet50 on 5 cores + ResNet152 on 3', async (solver) => {
    // tp(ResNet50, 5) = 38 and tp(ResNet152, 3) = 7 fill λ̂ exactly; ResNet50 on 6 cores (47) alone would leave rl < 0.
    const p = await policy({ solver }, 'infadapter', allFive);
    const start = [0, 0, 0, 0, 20];
    const plan = p.plan(45, start);
    expect(plan.cores).toEqual([0, 0, 5, 0, 3]);
    expect(plan.quotas.map((q) => Math.round(q))).toEqual([0, 0, 38, 0, 7]);
    expect(bruteForce(p, allFive, 45, start, capacityOf(allFive)).cores).toEqual([0, 0, 5, 0, 3]);
  });

  it('never lets the variants above the least accurate hold more than λ̂', async () => {
    const p = await policy({}, 'infadapter', allFive);
    const capacity = capacityOf(allFive);
    for (const load of [20, 45, 77, 130, 210, 333]) {
      const plan = p.plan(load, [0, 0, 0, 0, 20]);
      const above = plan.cores.slice(1).reduce((sum, n, k) => sum + capacity(k + 1, n), 0);
      expect(above, `λ̂ = ${load}`).toBeLessThanOrEqual(load);
      expect(plan.quotas.reduce((a, b) => a + b, 0)).toBeCloseTo(load, 6);
    }
  });

  it('falls back to the least accurate variant on the whole budget when nothing serves the load', async () => {
    const p = await policy({ budgetCores: 12 });
    // ResNet18 on 12 cores serves 229/s, the most any configuration of 12 cores can.
    expect(p.plan(320, [0, 0, 12])).toEqual({ cores: [12, 0, 0], quotas: [320, 0, 0] });
  });

  it('both solvers reach the same objective on a sweep of loads', async () => {
    const [highs, glpk] = [await policy({ solver: 'highs' }), await policy({ solver: 'glpk' })];
    for (const load of [10, 60, 120, 200, 300, 400]) {
      const current = [0, 10, 0];
      const a = highs.plan(load, current);
      const b = glpk.plan(load, current);
      expect(objective(highs, variants, a, load, current)).toBeCloseTo(objective(glpk, variants, b, load, current), 9);
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

  it('plans its first decision against what the initial configuration serves, and skips 4 lower forecasts before acting', async () => {
    // Start: ResNet152 on 20 cores, tp = 59/s (starter.py's initial state; main.py's __current_load).
    const observe = (now: number, cores: number[]): Observation => ({
      now,
      arrivalsPerSecond: [],
      deployments: variants.map((v, i) => ({ name: v.deployment, replicas: cores[i] > 0 ? 1 : 0, readyReplicas: cores[i] > 0 ? 1 : 0, coresPerReplica: cores[i] || 2, variant: v.variant, accuracy: v.accuracy, pods: [], queueLength: 0, inFlight: 0 })),
    });
    const make = async (rate: number) => {
      const p = new InfAdapter(infadapterSchema.parse({ name: 'infadapter', stage: 's', deployments: variants.map((v) => v.deployment) }), variants, constant(rate));
      await p.prepare();
      return p;
    };
    const start = [0, 0, 20];
    const up = await make(70.9); // λ̂ = int(70.9) = 70 > 59: acts at once
    expect(up.decide(observe(119.5, start))).toEqual([]); // before the first decision (2 min)
    expect(up.decide(observe(120, start)).length).toBeGreaterThan(0);
    const down = await make(30);
    for (let k = 0; k < 4; k++) expect(down.decide(observe(120 + 30 * k, start)), `decision ${k + 1}`).toEqual([]);
    expect(down.decide(observe(240, start)).length).toBeGreaterThan(0);
  });

  it('sends the new quotas only once the pods it started are ready, then deletes what it dropped', async () => {
    const spec = infadapterSchema.parse({ name: 'infadapter', stage: 's', deployments: variants.map((v) => v.deployment) });
    const p = new InfAdapter(spec, variants, constant(77));
    await p.prepare();
    const start = [0, 0, 20];
    const plan = (await policy()).plan(77, start);
    const pod = (id: number, cores: number, ready: boolean) => ({ id, phase: 'Running' as const, ready, startTime: 0, readyTime: ready ? 1 : null, cpuRequestCores: cores, cpuUsageCores: null, metricTime: null, metricWindowSeconds: null, requestsPerSecond: null });
    // Pods per variant: the one in place, and the new one (not ready, or ready) where the plan changes it.
    const observe = (now: number, newReady: boolean): Observation => ({
      now,
      arrivalsPerSecond: [],
      deployments: variants.map((v, i) => {
        const pods = [...(start[i] > 0 ? [pod(0, start[i], true)] : []), ...(plan.cores[i] > 0 && plan.cores[i] !== start[i] ? [pod(1, plan.cores[i], newReady)] : [])];
        return { name: v.deployment, replicas: start[i] > 0 ? 1 : 0, readyReplicas: pods.filter((x) => x.ready).length, coresPerReplica: start[i] || 2, variant: v.variant, accuracy: v.accuracy, pods, queueLength: 0, inFlight: 0 };
      }),
    });
    expect(plan.cores).not.toEqual(start);
    const first = p.decide(observe(120, false));
    expect(first.length).toBeGreaterThan(0);
    expect(first.some((a) => a.kind === 'weights')).toBe(false);
    // The new pods are not ready: nothing more, however often it looks.
    expect(p.decide(observe(125, false))).toEqual([]);
    const second = p.decide(observe(133, true));
    expect(second[0]).toEqual({ kind: 'weights', stage: 's', weights: plan.quotas.map((q) => Math.max(0, Math.round(q))) });
    const dropped = variants.filter((_, i) => plan.cores[i] === 0 && start[i] > 0).map((v) => ({ kind: 'scale', deployment: v.deployment, replicas: 0 }));
    expect(second.slice(1)).toEqual(dropped);
    // The next decision comes 30 s after this one finished.
    expect(p.decide(observe(162.5, true))).toEqual([]);
  });
});
