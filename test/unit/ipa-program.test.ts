import { describe, expect, it } from 'vitest';
import { bruteForceIpa, ipaModel, solveIpa, type IpaOption, type IpaProblem, type IpaStage } from '../../src/policies/ipa-program.js';
import { createSolver } from '../../src/solver/index.js';

/** A stage of variants, each profiled at batches 1, 2, 4, 8: latency grows with the batch, throughput too. */
function stage(name: string, variants: { variant: string; accuracy: number; cores: number; latency1: number }[]): IpaStage {
  const options: IpaOption[] = [];
  variants.forEach((v, rank) => {
    for (const batch of [1, 2, 4, 8]) {
      const mean = v.latency1 * (0.6 + 0.4 * batch);
      options.push({ variant: v.variant, batch, accuracy: v.accuracy, normalizedAccuracy: rank / (variants.length - 1), cores: v.cores, p99Seconds: 1.2 * mean, throughputRps: batch / mean });
    }
  });
  return { name, options };
}

const video = (): IpaStage[] => [
  stage('detect', [
    { variant: 'yolov5n', accuracy: 0.457, cores: 1, latency1: 0.05 },
    { variant: 'yolov5s', accuracy: 0.568, cores: 1, latency1: 0.1 },
    { variant: 'yolov5m', accuracy: 0.641, cores: 2, latency1: 0.25 },
  ]),
  stage('classify', [
    { variant: 'resnet18', accuracy: 0.6975, cores: 1, latency1: 0.05 },
    { variant: 'resnet50', accuracy: 0.7613, cores: 1, latency1: 0.11 },
    { variant: 'resnet152', accuracy: 0.7831, cores: 2, latency1: 0.3 },
  ]),
];

/** Every choice of one option per stage, with the fewest replicas each needs: the oracle. */
function bruteForce(problem: IpaProblem): number {
  let best = -Infinity;
  const visit = (s: number, chosen: IpaOption[]) => {
    if (s === problem.stages.length) {
      let latency = 0;
      let cores = 0;
      let batches = 0;
      let accuracy = problem.accuracy === 'product' ? 1 : 0;
      for (const [i, o] of chosen.entries()) {
        const needed = Math.max(1, Math.ceil(problem.load / o.throughputRps - 1e-9));
        const replicas = problem.pinnedReplicas?.[i] ?? needed;
        if (replicas < needed || replicas > problem.scalingCap) return;
        if (problem.pinnedVariants !== undefined && o.variant !== problem.pinnedVariants[i]) return;
        latency += o.p99Seconds + (o.batch - 1) / problem.load;
        cores += o.cores * replicas;
        batches += o.batch;
        accuracy = problem.accuracy === 'product' ? accuracy * o.accuracy : accuracy + o.normalizedAccuracy;
      }
      if (latency > problem.slaSeconds + 1e-9) return;
      best = Math.max(best, problem.alpha * accuracy - problem.beta * cores - problem.delta * batches);
      return;
    }
    for (const o of problem.stages[s].options) visit(s + 1, [...chosen, o]);
  };
  visit(0, []);
  return best;
}

const objectiveOf = (problem: IpaProblem, plan: NonNullable<ReturnType<typeof solveIpa>>) =>
  problem.alpha * plan.accuracy - problem.beta * plan.cores - problem.delta * plan.stages.reduce((sum, s) => sum + s.batch, 0);

describe("IPA's program", () => {
  const base = (extra: Partial<IpaProblem> = {}): IpaProblem => ({ stages: video(), load: 20, slaSeconds: 1.5, alpha: 2, beta: 1, delta: 1e-6, accuracy: 'product', scalingCap: 100, ...extra });

  it.each([
    ['product', 5],
    ['product', 20],
    ['product', 60],
    ['sum', 20],
    ['sum', 60],
  ] as const)('HiGHS and GLPK find the brute-force optimum (%s accuracy, %d requests/s)', async (accuracy, load) => {
    const problem = base({ accuracy, load, alpha: accuracy === 'sum' ? 2 : 20 });
    const oracle = bruteForce(problem);
    for (const name of ['highs', 'glpk'] as const) {
      const solver = createSolver(name);
      await solver.load();
      const plan = solveIpa(problem, solver);
      expect(plan, name).not.toBeNull();
      expect(objectiveOf(problem, plan as NonNullable<typeof plan>)).toBeCloseTo(oracle, 9);
    }
  });

  it('FA2 keeps each stage on its pinned variant and scales out; RIM keeps its replicas and switches variants', async () => {
    const solver = createSolver('highs');
    await solver.load();
    const fa2 = solveIpa(base({ load: 60, pinnedVariants: ['yolov5n', 'resnet18'] }), solver);
    expect(fa2?.stages.map((s) => s.variant)).toEqual(['yolov5n', 'resnet18']);
    const rim = solveIpa(base({ load: 10, pinnedReplicas: [3, 3] }), solver);
    expect(rim?.stages.map((s) => s.replicas)).toEqual([3, 3]);
    expect(objectiveOf(base({ load: 10, pinnedReplicas: [3, 3] }), rim as NonNullable<typeof rim>)).toBeCloseTo(bruteForce(base({ load: 10, pinnedReplicas: [3, 3] })), 9);
  });

  it.each([
    ['product', 5, undefined],
    ['product', 60, undefined],
    ['sum', 20, undefined],
    ['product', 10, [3, 3]],
  ] as const)('the enumeration (brute-force) reaches the oracle too (%s accuracy, %d requests/s, replicas pinned %s)', (accuracy, load, pinnedReplicas) => {
    const problem = base({ accuracy, load, pinnedReplicas: pinnedReplicas === undefined ? undefined : [...pinnedReplicas] });
    const plan = bruteForceIpa(problem);
    expect(plan).not.toBeNull();
    expect(objectiveOf(problem, plan as NonNullable<typeof plan>)).toBeCloseTo(bruteForce(problem), 9);
    expect(bruteForceIpa(base({ slaSeconds: 0.01 }))).toBeNull();
  });

  it('has no plan when no configuration meets the SLA', async () => {
    const solver = createSolver('highs');
    await solver.load();
    expect(solveIpa(base({ slaSeconds: 0.01 }), solver)).toBeNull();
  });

  it('stays small: a video-sized decision (2 stages × 5 variants × 4 batches) has under 100 variables', async () => {
    const five = (prefix: string) => Array.from({ length: 5 }, (_, i) => ({ variant: `${prefix}${i}`, accuracy: 0.5 + 0.05 * i, cores: 1 + Math.floor(i / 2), latency1: 0.04 * (i + 1) }));
    const problem: IpaProblem = { ...base(), stages: [stage('a', five('a')), stage('b', five('b'))] };
    expect(ipaModel(problem).variables.length).toBeLessThan(100);
    const solver = createSolver('highs');
    await solver.load();
    expect(solveIpa(problem, solver)).not.toBeNull();
  });

  it('a solver stopped at its time limit says so, rather than returning a plan it has not proved', async () => {
    const five = (prefix: string) => Array.from({ length: 5 }, (_, i) => ({ variant: `${prefix}${i}`, accuracy: 0.5 + 0.05 * i, cores: 1 + Math.floor(i / 2), latency1: 0.04 * (i + 1) }));
    const problem: IpaProblem = { ...base(), load: 4, slaSeconds: 8 * 0.6, stages: Array.from({ length: 8 }, (_, i) => stage(`s${i}`, five(`s${i}-`))) };
    for (const name of ['highs', 'glpk'] as const) {
      const solver = createSolver(name);
      await solver.load();
      const solution = solver.solveLoaded(ipaModel(problem), { timeLimitSeconds: 1e-3 });
      expect(solution.status, name).toBe('time-limit');
      expect(solution.values, name).toEqual({});
    }
  });
});
