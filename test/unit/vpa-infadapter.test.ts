import { describe, expect, it } from 'vitest';
import type { Action, DeploymentObservation, Observation, PodObservation } from '../../src/control/types.js';
import { Vpa, vpaSchema } from '../../src/policies/vpa.js';

/** VPA as InfAdapter's baseline ran it: a recommender every 60 s, read every 30 s by the adapter, which restarts the deployment. */
const pod = (usage: number, time: number, request: number): PodObservation => ({
  id: 0,
  phase: 'Running',
  ready: true,
  startTime: 0,
  readyTime: 1,
  cpuRequestCores: request,
  cpuUsageCores: usage,
  metricTime: time,
  metricWindowSeconds: 15,
  requestsPerSecond: null,
});

const observe = (now: number, usage: number, cores: number): Observation => {
  const d: DeploymentObservation = { name: 'svc', replicas: 1, readyReplicas: 1, coresPerReplica: cores, variant: 'v', accuracy: null, pods: [pod(usage, now, cores)], queueLength: 0, inFlight: 0 };
  return { now, arrivalsPerSecond: [], deployments: [d] };
};

const baseline = (extra: Record<string, unknown> = {}) =>
  new Vpa(
    vpaSchema.parse({
      name: 'vpa',
      deployment: 'svc',
      mode: 'Off',
      applyBy: 'restart',
      minCores: 2,
      maxCores: 20,
      wholeCores: true,
      updaterIntervalSeconds: 30,
      firstUpdateSeconds: 120,
      scaleDownAfter: 4,
      ...extra,
    }),
  );

const resized = (actions: Action[]) => actions.filter((a): a is Extract<Action, { kind: 'resize' }> => a.kind === 'resize').map((a) => a.cores);

describe("VPA read by InfAdapter's adapter", () => {
  it('runs every 30 s when the updater reads every 30 s, with a new recommendation every 60 s', () => {
    const v = baseline();
    expect(v.intervalSeconds).toBe(30);
    expect(v.firstDecisionSeconds).toBe(60);
    v.decide(observe(60, 5, 20));
    expect(v.recommendation).not.toBeNull();
    const first = v.recommendation;
    v.decide(observe(90, 10, 20));
    // 90 s is an updater tick only: no new sample, no new recommendation.
    expect(v.recommendation).toBe(first);
  });

  it('a target at or below the cores in place waits 4 reads, then restarts the deployment with it', () => {
    const v = baseline();
    // 5 cores used of 20: target p90 × 1.15 rounds up to 6 whole cores.
    const reads: number[][] = [];
    for (let t = 60; t <= 300; t += 30) reads.push(resized(v.decide(observe(t, 5, 20))));
    // Reads at 120, 150, 180 and 210 s are skipped (VPA_TYPE "P"), the one at 240 s restarts.
    expect(reads.slice(0, 2)).toEqual([[], []]); // 60 and 90 s: before the adapter's first decision
    expect(reads.slice(2, 6)).toEqual([[], [], [], []]);
    expect(reads[6]).toEqual([6]);
  });

  it('a higher target restarts at once', () => {
    const v = baseline();
    v.decide(observe(60, 7.9, 4));
    v.decide(observe(90, 7.9, 4));
    expect(resized(v.decide(observe(120, 7.9, 4)))).toEqual([10]);
  });

  it("the paper-era recommender weighs each sample by the pod's request: history gathered on a larger pod counts more", () => {
    const run = (sampleWeight: 'constant' | 'request') => {
      const v = baseline({ sampleWeight, halfLifeSeconds: 86_400 });
      // Ten minutes at 2 cores used on a 20-core pod, then ten at 6 cores used on a 2-core request.
      for (let m = 1; m <= 10; m++) v.decide(observe(m * 60, 2, 20));
      for (let m = 11; m <= 20; m++) v.decide(observe(m * 60, 6, 2));
      return (v.recommendation as NonNullable<Vpa['recommendation']>).target;
    };
    // Equal weights: the p90 lies among the 6-core samples, whose bucket ends at 6.18 cores: ⌈6.18 × 1.15⌉ = 8.
    // Weighted by request (20 against 2), the 2-core samples hold 91%: ⌈2.09 × 1.15⌉ = 3.
    expect(run('constant')).toBe(8);
    expect(run('request')).toBe(3);
  });

  it('rejects loops that are not multiples of one another', () => {
    expect(() => vpaSchema.parse({ name: 'vpa', deployment: 'svc', recommenderIntervalSeconds: 60, updaterIntervalSeconds: 45 })).toThrow(/multiples of one another/);
  });
});
