import { describe, expect, it } from 'vitest';
import { Hpa, hpaSchema } from '../../src/policies/hpa.js';
import type { DeploymentObservation } from '../../src/control/types.js';
import { deployment, observe, pod } from '../helpers/observations.js';
import { DecayingHistogram, Vpa, vpaSchema } from '../../src/policies/vpa.js';


const hpa = (extra: Record<string, unknown> = {}) =>
  new Hpa(hpaSchema.parse({ name: 'hpa', deployment: 'svc', targetUtilization: 0.5, minReplicas: 1, maxReplicas: 20, ...extra }), 15);
const replicasAfter = (h: Hpa, now: number, d: DeploymentObservation) => {
  const actions = h.decide(observe(now, d));
  return actions.length === 0 ? d.replicas : (actions[0] as { replicas: number }).replicas;
};
const at = (n: number, usage: number) => Array.from({ length: n }, (_, i) => pod(i, usage));

describe('HPA (kubernetes pkg/controller/podautoscaler)', () => {
  it('desired = ceil(current × usage / target) over the ready pods', () => {
    // 4 pods at 90% of 1 core, target 50%: ratio 1.8, ceil(7.2) = 8; the rate limit allows max(4 + 4, 2 × 4) = 8.
    expect(replicasAfter(hpa(), 15, deployment(at(4, 0.9)))).toBe(8);
  });

  it('keeps the replicas within the 10% tolerance band', () => {
    expect(replicasAfter(hpa(), 15, deployment(at(4, 0.54)))).toBe(4); // ratio 1.08
    expect(replicasAfter(hpa(), 15, deployment(at(4, 0.46)))).toBe(4); // ratio 0.92
    expect(replicasAfter(hpa(), 15, deployment(at(4, 0.56)))).toBe(5); // ratio 1.12: ceil(4.48)
  });

  it('limits a scale-up to max(4 pods, 100%) per 15 s', () => {
    // 2 pods at 5× the target: proposal 10, limits 2 + 4 = 6 and 2 × 2 = 4, the larger wins.
    const h = hpa();
    expect(replicasAfter(h, 15, deployment(at(2, 2.5)))).toBe(6);
    // Within the same 15 s period the 4 added pods count against the limit: start = 6 − 4 = 2.
    expect(replicasAfter(h, 20, deployment(at(6, 2.5)))).toBe(6);
    // After the period: from 6, max(6 + 4, 12) = 12 (the proposal is 30).
    expect(replicasAfter(h, 31, deployment(at(6, 2.5)))).toBe(12);
  });

  it('waits out the 300 s scale-down stabilisation window, then drops at 100% per 15 s to the proposal', () => {
    const h = hpa();
    expect(replicasAfter(h, 0, deployment(at(8, 0.5)))).toBe(8); // proposal 8 (ratio 1): recorded
    expect(replicasAfter(h, 15, deployment(at(8, 0.1)))).toBe(8); // proposal ceil(0.2 × 8) = 2, but 8 was recommended within 300 s
    expect(replicasAfter(h, 295, deployment(at(8, 0.1)))).toBe(8);
    expect(replicasAfter(h, 301, deployment(at(8, 0.1)))).toBe(2);
  });

  it('respects minReplicas and maxReplicas', () => {
    expect(replicasAfter(hpa({ maxReplicas: 5 }), 15, deployment(at(4, 1)))).toBe(5);
    expect(replicasAfter(hpa({ minReplicas: 3, behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } }), 15, deployment(at(4, 0.05)))).toBe(3);
  });

  it('ignores pods that are not ready yet, and counts them as idle when scaling up', () => {
    // 2 ready pods at 100% (ratio 2) and 2 starting pods without metrics (missing, so idle when
    // scaling up): the ratio over 4 pods is 1, within tolerance: no change (the conservative path).
    const starting = [pod(2, null, { ready: false, readyTime: null, startTime: 10 }), pod(3, null, { ready: false, readyTime: null, startTime: 10 })];
    expect(replicasAfter(hpa(), 15, deployment([...at(2, 1), ...starting]))).toBe(4);
    // Ready pods whose CPU sample predates readiness (within the initialisation period) are ignored too.
    const fresh = [pod(2, 1, { readyTime: 10, startTime: 0, metricTime: 12 }), pod(3, 1, { readyTime: 10, startTime: 0, metricTime: 12 })];
    expect(replicasAfter(hpa(), 15, deployment([...at(2, 1), ...fresh]))).toBe(4);
  });

  it('assumes pods with no metric use 100% when scaling down (and so may not scale down at all)', () => {
    const h = hpa({ behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } });
    // 2 pods at 10% (ratio 0.2) and 2 without metrics at max(100%, 50%) of their request:
    // (0.1 + 0.1 + 1 + 1) / 4 cores = 55%, ratio 1.1, within the tolerance: no change.
    const pods = [...at(2, 0.1), pod(2, null), pod(3, null)];
    expect(replicasAfter(h, 15, deployment(pods))).toBe(4);
  });

  it('scales on requests/s per pod (a Pods metric)', () => {
    const h = hpa({ metric: 'rps', targetRps: 10 });
    const pods = [0, 1, 2].map((i) => pod(i, null, { requestsPerSecond: 25 }));
    // Proposal ceil(2.5 × 3) = 8, limited to max(3 + 4, 2 × 3) = 7.
    expect(replicasAfter(h, 15, deployment(pods))).toBe(7);
  });
});

describe('VPA recommender (kubernetes/autoscaler)', () => {
  it('exponential buckets from 0.01 cores, 5% wider each; percentiles return the bucket end', () => {
    const h = new DecayingHistogram(86_400);
    for (let i = 0; i < 100; i++) h.add(0.5, 0.1, i * 60);
    // 0.5 cores falls in bucket 25 ([0.47727, 0.51112)): every percentile is its end.
    expect(DecayingHistogram.bucketStart(25)).toBeCloseTo(0.47727, 4);
    expect(h.percentile(0.9)).toBeCloseTo(0.51112, 4);
    expect(h.percentile(0.5)).toBeCloseTo(0.51112, 4);
  });

  it('newer samples weigh more: one half-life later a sample counts double', () => {
    const h = new DecayingHistogram(3600);
    h.add(0.2, 1, 0);
    h.add(2, 1, 3600);
    // Weights 1 (at 0.2 cores) and 2 (at 2 cores): the median is in 2's bucket.
    expect(h.percentile(0.4)).toBeGreaterThan(2);
    expect(h.percentile(0.3)).toBeLessThan(0.25);
  });

  const observeUsage = (vpa: Vpa, minutes: number, usage: number, pods = 2, cores = 1) => {
    for (let m = 1; m <= minutes; m++) {
      const ps = Array.from({ length: pods }, (_, i) => pod(i, usage, { metricTime: m * 60, cpuRequestCores: cores, startTime: 0 }));
      vpa.decide(observe(m * 60, deployment(ps)));
    }
  };

  it('target = p90 × 1.15; bounds widen with little history (confidence)', () => {
    const v = new Vpa(vpaSchema.parse({ name: 'vpa', deployment: 'svc', mode: 'Off' }));
    observeUsage(v, 24 * 60, 0.5, 1);
    // One sample a minute for a day: confidence = lifespan (1439 minutes) / 1 day. p50 = p90 = p95 = 0.51112.
    const confidence = (1439 * 60) / 86_400;
    const r = v.recommendation as NonNullable<Vpa['recommendation']>;
    expect(r.target).toBeCloseTo(0.51112 * 1.15, 4);
    expect(r.lowerBound).toBeCloseTo(0.51112 * 1.15 * (1 + 0.001 / confidence) ** -2, 4);
    expect(r.upperBound).toBeCloseTo(0.51112 * 1.15 * (1 + 1 / confidence), 4);
  });

  it('Recreate evicts only pods outside the bounds while young, at most half the replicas per loop', () => {
    const v = new Vpa(vpaSchema.parse({ name: 'vpa', deployment: 'svc', mode: 'Recreate', minCores: 1, maxCores: 16 }));
    // With an hour of history the upper bound is ~25× p95: 4 cores used at 0.5 stay in bounds (young pods: no update).
    observeUsage(v, 59, 0.5, 4, 4);
    const inBounds = Array.from({ length: 4 }, (_, i) => pod(i, 0.5, { metricTime: 3600, cpuRequestCores: 4, startTime: 0 }));
    expect(v.decide(observe(3600, deployment(inBounds))).filter((a) => a.kind === 'evict')).toEqual([]);
    // Pods of 1 core using 3 (a limit above the request): 1 core is below the lower bound.
    const busy = new Vpa(vpaSchema.parse({ name: 'vpa', deployment: 'svc', mode: 'Recreate', minCores: 1, maxCores: 16 }));
    observeUsage(busy, 59, 3, 4, 1);
    const ps = Array.from({ length: 4 }, (_, i) => pod(i, 3, { metricTime: 3600, cpuRequestCores: 1, startTime: 0 }));
    const actions = busy.decide(observe(3600, deployment(ps)));
    expect(actions.filter((a) => a.kind === 'evict')).toHaveLength(2);
    expect(busy.recommendation?.lowerBound).toBeGreaterThan(1);
  });

  it('updates nothing below the updater\'s min-replicas (2) or in Off mode', () => {
    const one = new Vpa(vpaSchema.parse({ name: 'vpa', deployment: 'svc', mode: 'Recreate' }));
    observeUsage(one, 30, 0.5, 1, 4);
    expect(one.decide(observe(1860, deployment([pod(0, 0.5, { metricTime: 1860, cpuRequestCores: 4, startTime: 0 })]))).filter((a) => a.kind === 'evict')).toEqual([]);
    const off = new Vpa(vpaSchema.parse({ name: 'vpa', deployment: 'svc', mode: 'Off' }));
    observeUsage(off, 30, 0.5, 4, 4);
    expect(off.decide(observe(1860, deployment(at(4, 0.5))))).toEqual([]);
  });
});

describe('policies in a run (the contract policy blocks)', () => {
  const base = (policy: Record<string, unknown>) => ({
    name: 'ramp',
    seed: 2,
    duration: 900,
    window: 15,
    workload: { arrivals: { process: 'poisson' as const, rate: [[0, 20], [300, 80]] as [number, number][] } },
    deployments: [
      { name: 'svc', replicas: 2, cores: 1, serviceTime: { dist: 'exponential' as const, mean: 0.05 }, lifecycle: { containerStartSeconds: 10, modelLoadSeconds: 5 } },
    ],
    policy,
  });

  it('HPA scales out after the load steps up, with ready replicas lagging by the start-up time', async () => {
    const { simulate } = await import('../helpers/run.js');
    const rows: { t: number; replicas: number; readyReplicas: number }[] = [];
    const s = await simulate(base({ name: 'hpa', deployment: 'svc', metric: 'cpu', targetUtilization: 0.5, minReplicas: 1, maxReplicas: 20 }) as never, {
      onRow: (r) => rows.push(r),
    });
    expect(s.policy).toBe('hpa');
    expect(s.reconfigurations).toBeGreaterThan(0);
    const before = rows.filter((r) => r.t < 300);
    const after = rows.filter((r) => r.t > 450);
    expect(Math.max(...before.map((r) => r.replicas))).toBeLessThanOrEqual(3);
    // 80 requests/s × 0.05 s = 4 busy cores at 50% target: about 8 replicas.
    expect(after.at(-1)?.readyReplicas).toBeGreaterThanOrEqual(7);
    expect(rows.some((r) => r.readyReplicas < r.replicas)).toBe(true);
    expect(s.requests).toBe(s.completed + s.dropped + s.inFlight);
  });

  it('VPA (Recreate) resizes the pods\' cores and the cores column follows', async () => {
    const { simulate } = await import('../helpers/run.js');
    const rows: { t: number; cores: number }[] = [];
    const s = await simulate(
      base({ name: 'vpa', deployment: 'svc', mode: 'Recreate', minCores: 1, maxCores: 16, wholeCores: true, halfLifeSeconds: 300, podLifetimeThresholdSeconds: 60 }) as never,
      { onRow: (r) => rows.push(r) },
    );
    expect(s.policy).toBe('vpa');
    expect(s.reconfigurations).toBeGreaterThan(0);
    expect(rows.at(-1)?.cores).not.toBe(rows[0].cores);
  });
});
