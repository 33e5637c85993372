import { describe, expect, it } from 'vitest';
import { Keda, kedaSchema } from '../../src/policies/keda.js';
import type { Observation, PodObservation } from '../../src/control/types.js';
import { policySchema } from '../../src/policies/schema.js';
import { validateSpec } from '../../src/experiment/load-spec.js';
import { runSpec } from '../../src/experiment/run.js';
import { readSpecFile } from '../../src/experiment/spec-variants.js';
import type { WindowRow } from '../../src/metrics/timeseries.js';
import { pod } from '../helpers/observations.js';

/**
 * KEDA one rule at a time, each expected count worked out by hand from kedacore/keda
 * pkg/scaling/executor/scale_scaledobjects.go (RequestScale: activation, cooldown) and, for the
 * HPA KEDA creates, kubernetes/kubernetes replica_calculator.go GetExternalPerPodMetricReplicas
 * (an AverageValue target against the scale's status replicas) with horizontal.go's behaviour.
 * Metric "rps" with the default 60 s rate window: the value at time t is the arrivals of seconds
 * t−60..t−1 over 60. KEDA polls at 0, 30, 60, …; the HPA syncs at 15, 30, 45, ….
 */

const keda = (extra: Record<string, unknown> = {}) => new Keda(kedaSchema.parse({ name: 'keda', deployment: 'svc', metric: 'rps', threshold: 50, ...extra }));

/** An observation at `now` of deployment "svc" with `replicas` desired and `pods` (default: that many running), after `arrivals(s)` requests in each second s < now. */
function observe(now: number, replicas: number, arrivals: (second: number) => number, pods: PodObservation[] = Array.from({ length: replicas }, (_, i) => pod(i, null))): Observation {
  return {
    now,
    arrivalsPerSecond: Array.from({ length: now }, (_, s) => arrivals(s)),
    deployments: [{ name: 'svc', replicas, readyReplicas: pods.filter((p) => p.ready).length, coresPerReplica: 1, variant: 'v', accuracy: null, pods, queueLength: 0, inFlight: 0 }],
  };
}

/** Calls the policy every `intervalSeconds` over [from, to], applying its scale actions; returns them with their times. */
function drive(k: Keda, from: number, to: number, start: number, arrivals: (second: number) => number): { t: number; replicas: number }[] {
  const changes: { t: number; replicas: number }[] = [];
  let replicas = start;
  for (let t = from; t <= to; t += k.intervalSeconds) {
    for (const a of k.decide(observe(t, replicas, arrivals))) {
      if (a.kind !== 'scale') continue;
      replicas = a.replicas;
      changes.push({ t, replicas });
    }
  }
  return changes;
}

const after = (k: Keda, o: Observation) => {
  const actions = k.decide(o);
  return actions.length === 0 ? o.deployments[0].replicas : (actions[0] as { replicas: number }).replicas;
};

describe('KEDA spec', () => {
  it('validates the short form and fills in KEDA\'s defaults', () => {
    const spec = policySchema.parse({ name: 'keda', deployment: 'svc', metric: 'rps', threshold: 50 });
    expect(spec).toMatchObject({
      name: 'keda',
      threshold: 50,
      activationThreshold: 0,
      pollingIntervalSeconds: 30,
      cooldownPeriodSeconds: 300,
      initialCooldownPeriodSeconds: 0,
      minReplicaCount: 0,
      maxReplicaCount: 100,
      rateWindowSeconds: 60,
      hpaSyncSeconds: 15,
      tolerance: 0.1,
      behavior: { scaleUp: { stabilizationWindowSeconds: 0 }, scaleDown: { stabilizationWindowSeconds: 300 } },
    });
    expect(keda().intervalSeconds).toBe(15); // gcd(30, 15)
    expect(keda({ pollingIntervalSeconds: 20 }).intervalSeconds).toBe(5);
  });

  it('rejects what KEDA rejects, naming the field', () => {
    const issue = (extra: Record<string, unknown>) => {
      const r = kedaSchema.safeParse({ name: 'keda', deployment: 'svc', metric: 'rps', threshold: 50, ...extra });
      return r.success ? null : r.error.issues[0].path.join('.');
    };
    expect(issue({ threshold: undefined })).toBe('threshold');
    expect(issue({ minReplicaCount: 5, maxReplicaCount: 4 })).toBe('minReplicaCount');
    expect(issue({ minReplicaCount: 2, idleReplicaCount: 2 })).toBe('idleReplicaCount');
    expect(issue({ minReplicaCount: 2, idleReplicaCount: 0 })).toBeNull();
  });
});

describe('KEDA activation and deactivation (RequestScale)', () => {
  it('activates 0 → 1 at the first poll whose value is above activationThreshold', () => {
    // 2 requests/s from second 40. Poll t = 30: seconds 0..29 hold none, 0: inactive. t = 60:
    // 20 s × 2 / 60 = 0.67 > 0: active, 0 → 1. (The HPA does nothing at 0: scaling disabled.)
    const arrivals = (s: number) => (s >= 40 ? 2 : 0);
    expect(drive(keda(), 0, 60, 0, arrivals)).toEqual([{ t: 60, replicas: 1 }]);
    // activationThreshold 1: 0.67 is not above it; t = 90: 50 × 2 / 60 = 1.67 is.
    expect(drive(keda({ activationThreshold: 1 }), 0, 90, 0, arrivals)).toEqual([{ t: 90, replicas: 1 }]);
  });

  it('goes 1 → 0 only once the cooldown has passed since the last active poll', () => {
    // 1 request/s in seconds 0..99. Polls: t = 150 still sees seconds 90..99 (10 / 60 > 0), the
    // last active one; t = 180 sees none. 150 + 300 = 450 is not before the poll at 450; 480 is
    // the first poll after it. The HPA keeps 1 meanwhile (ceil(rate / 50) ≤ 1, minReplicas 1).
    const arrivals = (s: number) => (s < 100 ? 1 : 0);
    expect(drive(keda(), 0, 600, 1, arrivals)).toEqual([{ t: 480, replicas: 0 }]);
    expect(drive(keda({ cooldownPeriodSeconds: 60 }), 0, 600, 1, arrivals)).toEqual([{ t: 240, replicas: 0 }]);
  });

  it('never active: scales in after initialCooldownPeriod from the start (default 0)', () => {
    // No traffic, 2 replicas. The poll at 0 is not after 0 + 0; the one at 30 is. The HPA's
    // sync at 15 proposes 0 but its 300 s scale-down window holds 2.
    expect(drive(keda(), 0, 60, 2, () => 0)).toEqual([{ t: 30, replicas: 0 }]);
    expect(drive(keda({ initialCooldownPeriodSeconds: 90 }), 0, 150, 2, () => 0)).toEqual([{ t: 120, replicas: 0 }]);
  });

  it('respects minReplicaCount: a target below it is lifted to it, active or not, and never goes below it', () => {
    // minReplicaCount 2 without idleReplicaCount: the poll at t = 0 finds the target at 0 (inactive,
    // below the minimum) and sets 2; after the traffic ends nothing goes below 2 (the HPA's
    // minReplicas is 2, and inactive KEDA scales in only when minReplicaCount is 0).
    const arrivals = (s: number) => (s >= 40 && s < 100 ? 2 : 0);
    expect(drive(keda({ minReplicaCount: 2 }), 0, 900, 0, arrivals)).toEqual([{ t: 0, replicas: 2 }]);
    expect(drive(keda({ minReplicaCount: 2 }), 0, 900, 1, () => 0)).toEqual([{ t: 0, replicas: 2 }]);
  });

  it('idleReplicaCount: inactive goes to it after the cooldown, active lifts to minReplicaCount', () => {
    const arrivals = (s: number) => (s >= 40 && s < 100 ? 2 : 0);
    // Active at 60 (from 0: minReplicaCount 3) through the poll at 150 (seconds 90..99); 0 at 480.
    expect(drive(keda({ minReplicaCount: 3, idleReplicaCount: 0 }), 0, 600, 0, arrivals)).toEqual([
      { t: 60, replicas: 3 },
      { t: 480, replicas: 0 },
    ]);
  });
});

describe('the HPA KEDA creates (External metric, AverageValue target)', () => {
  const steady = (rate: number) => () => rate;

  it('asks for ceil(total / threshold), outside the tolerance around the status replicas', () => {
    // 1 pod at 120 requests/s: 120000m / (50000m × 1) = 2.4, ceil(120 / 50) = 3 (the scale-up
    // limit max(1 + 4, 2 × 1) = 5 lets it through).
    expect(after(keda(), observe(600, 1, steady(120)))).toBe(3);
    // 54/s: ratio 1.08, within 0.1: 1. 56/s: 1.12, ceil(56 / 50) = 2.
    expect(after(keda(), observe(600, 1, steady(54)))).toBe(1);
    expect(after(keda(), observe(600, 1, steady(56)))).toBe(2);
  });

  it('counts every pod that is not terminating as the status replicas, ready or not', () => {
    // 2 running pods and 1 terminating at 105/s: 105 / (50 × 2) = 1.05, within the tolerance: 2.
    // (Counting the terminating pod, 105 / 150 = 0.7 would ask for ceil(2.1) = 3.)
    const pods = [pod(0, null), pod(1, null), pod(2, null, { phase: 'Terminating' })];
    expect(after(keda(), observe(600, 2, steady(105), pods))).toBe(2);
    // A Pending pod counts: 1 ready + 1 pending at 120/s, ratio 1.2: ceil(2.4) = 3.
    const starting = [pod(0, null), pod(1, null, { phase: 'Pending', ready: false, startTime: null, readyTime: null })];
    expect(after(keda(), observe(600, 2, steady(120), starting))).toBe(3);
  });

  it('keeps the HPA\'s scale-down stabilisation, unless behavior says otherwise', () => {
    // 4 pods at 100/s want ceil(100 / 50) = 2. The first sync records 4 as a recommendation, so
    // the default 300 s window holds 4; with a 0 s window the drop is at once (100% per 15 s allows it).
    expect(after(keda(), observe(600, 4, steady(100)))).toBe(4);
    expect(after(keda({ behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } }), observe(600, 4, steady(100)))).toBe(2);
  });

  it('is bounded by maxReplicaCount and scales up at most max(4 pods, 100%) per 15 s', () => {
    // 2 pods at 1000/s want 20: the limit is max(2 + 4, 2 × 2) = 6; maxReplicaCount 5 caps it.
    expect(after(keda(), observe(600, 2, steady(1000)))).toBe(6);
    expect(after(keda({ maxReplicaCount: 5 }), observe(600, 2, steady(1000)))).toBe(5);
  });

  it('metric "concurrency" reads the deployment\'s requests in flight', () => {
    const o = observe(600, 1, () => 0);
    o.deployments[0].inFlight = 120;
    expect(after(keda({ metric: 'concurrency' }), o)).toBe(3);
  });
});

describe('KEDA through a run (experiments/examples/keda.json)', () => {
  it('scales out for the burst and back, and accounts for every request', async () => {
    const rows: WindowRow[] = [];
    const s = await runSpec(validateSpec(readSpecFile('experiments/examples/keda.json'), 'keda.json'), { onRow: (r) => rows.push(r) });
    expect(s.policy).toBe('keda');
    expect(s.reconfigurations).toBeGreaterThan(0);
    expect(s.requests).toBe(s.completed + s.dropped + s.inFlight);
    // About 45 requests/s before the burst (ceil(45 / 7) ≈ 7 pods) and about 220 in it (≈ 32).
    const before = rows.filter((r) => r.t >= 120 && r.t < 420).map((r) => r.replicas);
    const during = rows.filter((r) => r.t >= 540 && r.t < 840).map((r) => r.replicas);
    const end = rows.filter((r) => r.t >= 1380).map((r) => r.replicas);
    expect(Math.min(...before)).toBeGreaterThanOrEqual(6);
    expect(Math.max(...before)).toBeLessThanOrEqual(9);
    expect(Math.max(...during)).toBeGreaterThanOrEqual(28);
    expect(Math.max(...end)).toBeLessThan(12);
  });
});
