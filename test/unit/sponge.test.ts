import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSpecFile } from '../../src/experiment/spec-variants.js';
import { packageRoot } from '../../src/paths.js';
import { Sponge, spongeSchema } from '../../src/policies/sponge.js';
import type { DeploymentObservation } from '../../src/control/types.js';
import { fa2Choice, spongeChoiceOf, spongeFeasible, spongeLatency, spongeModel, spongeSearch, type SpongeProblem } from '../../src/policies/sponge-decision.js';
import { fitSponge, readBatchCoreLatencies } from '../../src/profiles/sponge-model.js';
import { createSolver } from '../../src/solver/index.js';
import { simulate } from '../helpers/run.js';

const latency = fitSponge(readBatchCoreLatencies(join(packageRoot, 'profiles/sponge/latency_profile_batch_cores.csv')));
const problem = (load: number, clMaxSeconds: number): SpongeProblem => ({ latency, load, clMaxSeconds, sloSeconds: 1, cpuCap: 16, batchCap: 16, safety: 0.9 });

describe("Sponge's decision (dynainf)", () => {
  it('picks the fewest cores, then the smallest batch, whose last batch of the next second ends within 0.9 SLO after the worst upload', () => {
    const p = problem(20, 0.3);
    const choice = spongeSearch(p);
    expect(choice).not.toBeNull();
    const { cores, batch } = choice as NonNullable<typeof choice>;
    expect(Math.ceil(20 / batch) * spongeLatency(latency, batch, cores) + 0.3).toBeLessThanOrEqual(0.9);
    // Nothing with fewer cores works, nor a smaller batch on these cores.
    for (let c = 1; c < cores; c++) for (let b = 1; b <= 16; b++) expect(spongeFeasible(p, c, b), `${c} cores, batch ${b}`).toBe(false);
    for (let b = 1; b < batch; b++) expect(spongeFeasible(p, cores, b), `${cores} cores, batch ${b}`).toBe(false);
  });

  it('needs more cores as the load grows or the budget shrinks', () => {
    const cores = (load: number, clMax: number) => spongeSearch(problem(load, clMax))?.cores ?? Infinity;
    expect(cores(10, 0.1)).toBeLessThanOrEqual(cores(20, 0.1));
    expect(cores(20, 0.1)).toBeLessThanOrEqual(cores(20, 0.6));
    expect(spongeSearch(problem(0, 0.5))).toEqual({ cores: 1, batch: 1 });
    // A budget gone before the request arrives: nothing can meet it.
    expect(spongeSearch(problem(10, 0.95))).toBeNull();
  });

  it.each(['highs', 'glpk'] as const)('the integer program (%s) makes the same choice as the search', async (name) => {
    const solver = createSolver(name);
    await solver.load();
    for (const load of [0, 1, 5, 10, 20, 40, 80]) {
      for (const clMax of [0, 0.1, 0.3, 0.6, 0.85, 0.95]) {
        const p = problem(load, clMax);
        expect(spongeChoiceOf(p, solver.solveLoaded(spongeModel(p))), `λ ${load}, cl_max ${clMax}`).toEqual(spongeSearch(p));
      }
    }
  });

  it('the policy reads λ from the last second and cl_max from the window, then resizes in place and re-batches only what changed', () => {
    const policy = new Sponge(spongeSchema.parse({ name: 'sponge', deployment: 'yolov5' }), latency);
    const pod = (cores: number): DeploymentObservation => ({ name: 'yolov5', replicas: 1, readyReplicas: 1, coresPerReplica: cores, variant: 'yolov5', accuracy: null, pods: [], queueLength: 0, inFlight: 0 });
    // 200 s of history: the worst budget, 0.6 s, fell out of the 2-minute window; 0.8 s is the worst in it.
    const budgets = Array.from({ length: 200 }, (_, i) => (i === 10 ? 0.6 : i === 150 ? 0.8 : 0.95));
    const observation = { now: 200, arrivalsPerSecond: [...Array(199).fill(5), 20], budgetPerSecond: budgets, deployments: [pod(1)] };
    expect(policy.problem(observation)).toMatchObject({ load: 20, clMaxSeconds: expect.closeTo(0.2, 12) });
    const expected = spongeSearch(problem(20, 0.2)) as NonNullable<ReturnType<typeof spongeSearch>>;
    expect(policy.decide(observation)).toEqual([
      ...(expected.cores === 1 ? [] : [{ kind: 'resize', deployment: 'yolov5', cores: expected.cores, strategy: 'in-place' }]),
      { kind: 'batch', deployment: 'yolov5', maxBatch: expected.batch, maxWaitSeconds: 0 },
    ]);
    // The same decision again, on the cores it asked for: nothing to do.
    expect(policy.decide({ ...observation, deployments: [pod(expected.cores)] })).toEqual([]);
    // Without any known budget (no uplink modelled) cl_max is 0.
    expect(policy.problem({ now: 1, arrivalsPerSecond: [3], deployments: [pod(1)] }).clMaxSeconds).toBe(0);
  });

  it('in the simulated cluster it sizes the pod to the uplink: bigger images leave less budget and take more cores', async () => {
    const base = readSpecFile(join(packageRoot, 'experiments/paper/sponge/sponge.json'));
    const run = (sizeKB: number) =>
      simulate({ ...base, duration: 120, network: { upload: { bandwidthLog: 'profiles/sponge/report_bus_0001.log', sizeKB } } }, { resolve: (file) => join(packageRoot, file) });
    const [small, large] = await Promise.all([run(100), run(500)]);
    expect(small.policy).toBe('sponge');
    expect(large.reconfigurations).toBeGreaterThan(0);
    expect(small.meanCores).toBeLessThan(large.meanCores);
    expect(large.meanCores).toBeLessThan(16);
    expect(large.sloViolationRate).toBeLessThan(0.05);
  });

  it("FA2 (the authors' fa2): the fewest one-core replicas over the batch sizes whose first batch ends before the SLO", () => {
    const ms = (b: number) => Math.trunc(1000 * spongeLatency(latency, b, 1));
    const replicas = (load: number, b: number) => Math.ceil(load / (Math.trunc(1000 / ms(b)) * b));
    const choice = fa2Choice(problem(60, 0.2)) as NonNullable<ReturnType<typeof fa2Choice>>;
    expect(choice.replicas).toBe(replicas(60, choice.batch));
    for (let b = 1; b <= 16 && ms(b) <= 1000; b++) {
      if (ms(b) / 1000 + 0.2 < 1) expect(replicas(60, b), `batch ${b}`).toBeGreaterThanOrEqual(choice.replicas);
    }
    // A first batch that cannot end in time after the uplink, no load, or more than 16 replicas: no choice.
    expect(fa2Choice(problem(60, 0.99))).toBeNull();
    expect(fa2Choice(problem(0, 0.2))).toBeNull();
    expect(fa2Choice(problem(100000, 0.2))).toBeNull();
  });

  it('FA2 as a policy scales one-core replicas and reads cl_max from the last second that had a budget', () => {
    const policy = new Sponge(spongeSchema.parse({ name: 'sponge', deployment: 'yolov5', baseline: 'fa2' }), latency);
    expect(policy.name).toBe('fa2');
    const d: DeploymentObservation = { name: 'yolov5', replicas: 1, readyReplicas: 1, coresPerReplica: 1, variant: 'yolov5', accuracy: null, pods: [], queueLength: 0, inFlight: 0 };
    const observation = { now: 10, arrivalsPerSecond: [60, 60, 60], budgetPerSecond: [0.5, 0.8, Infinity], deployments: [d] };
    expect(policy.problem(observation).clMaxSeconds).toBeCloseTo(0.2, 12);
    const choice = fa2Choice(problem(60, 0.2)) as NonNullable<ReturnType<typeof fa2Choice>>;
    expect(policy.decide(observation)).toEqual([
      ...(choice.replicas === 1 ? [] : [{ kind: 'scale', deployment: 'yolov5', replicas: choice.replicas }]),
      { kind: 'batch', deployment: 'yolov5', maxBatch: choice.batch, maxWaitSeconds: 0 },
    ]);
  });

  it('a resize the node cannot fit waits (Deferred): the pod keeps serving on the cores it has', async () => {
    const base = readSpecFile(join(packageRoot, 'experiments/paper/sponge/sponge.json'));
    const run = async (nodeCores: number) => {
      const rows: { cores: number }[] = [];
      const summary = await simulate(
        { ...base, duration: 240, cluster: { nodePools: [{ name: 'node', nodes: 1, cores: nodeCores, memoryGiB: 64 }] } },
        { resolve: (file) => join(packageRoot, file), onServiceRow: (row) => rows.push(row) },
      );
      return { summary, most: Math.max(...rows.map((r) => r.cores)) };
    };
    const [roomy, small] = await Promise.all([run(32), run(2)]);
    // With room Sponge takes more than 2 cores in these 4 minutes; on a 2-core node none of that is granted, and nothing is lost.
    expect(roomy.most).toBeGreaterThan(2);
    expect(small.most).toBeLessThanOrEqual(2);
    expect(small.summary.completed + small.summary.dropped + small.summary.inFlight).toBe(small.summary.requests);
    expect(small.summary.completed).toBeGreaterThan(0.9 * small.summary.requests);
  });
});
