import { describe, expect, it } from 'vitest';
import { Hpa, hpaSchema } from '../../src/policies/hpa.js';
import type { DeploymentObservation, PodObservation } from '../../src/control/types.js';
import { deployment, observe, pod } from '../helpers/observations.js';

/**
 * The HPA's rules one scenario at a time, each expected count worked out by hand from
 * kubernetes/kubernetes pkg/controller/podautoscaler: replica_calculator.go (groupPods,
 * GetResourceReplicas, GetMetricReplicas), metrics/utilization.go (whole-percent utilisation) and
 * horizontal.go (reconcileAutoscaler, stabilizeRecommendationWithBehaviors,
 * convertDesiredReplicasWithBehaviorRate). Pods request 1 core (1000m); the target is 50% unless
 * said otherwise, so ratio = utilisation% / 50.
 */

/** A ready pod long past the CPU initialisation period, with a 15 s sample. */

const at = (n: number, usage: number, from = 0) => Array.from({ length: n }, (_, i) => pod(from + i, usage));
const pending = (id: number, extra: Partial<PodObservation> = {}) => pod(id, null, { phase: 'Pending', ready: false, startTime: null, readyTime: null, ...extra });

const hpa = (extra: Record<string, unknown> = {}) =>
  new Hpa(hpaSchema.parse({ name: 'hpa', deployment: 'svc', targetUtilization: 0.5, minReplicas: 1, maxReplicas: 100, ...extra }), 15);
/** No scale-down stabilisation, so a single sync shows the calculation. */
const quick = (extra: Record<string, unknown> = {}) => hpa({ behavior: { scaleDown: { stabilizationWindowSeconds: 0 } }, ...extra });
const after = (h: Hpa, now: number, d: DeploymentObservation) => {
  const actions = h.decide(observe(now, d));
  return actions.length === 0 ? d.replicas : (actions[0] as { replicas: number }).replicas;
};

describe('HPA replica calculation (replica_calculator.go)', () => {
  it('fast path: desired = ceil(ratio × ready pods), whatever the spec replicas', () => {
    // Spec replicas 5, 4 pods listed at 90%: ratio 1.8, ceil(1.8 × 4) = 8 (× 5 would give 9).
    // The scale-up limit max(5 + 4, 2 × 5) = 10 lets 8 through.
    expect(after(hpa(), 15, deployment(at(4, 0.9), 5))).toBe(8);
  });

  it('tolerance: no change while 0.9 ≤ ratio ≤ 1.1, both edges included (Tolerances.isWithin)', () => {
    expect(after(hpa(), 15, deployment(at(4, 0.55)))).toBe(4); // 55% → 1.1
    expect(after(quick(), 15, deployment(at(4, 0.45)))).toBe(4); // 45% → 0.9
    expect(after(hpa(), 15, deployment(at(4, 0.56)))).toBe(5); // 56% → 1.12, ceil(4.48)
    expect(after(quick(), 15, deployment(at(10, 0.44)))).toBe(9); // 44% → 0.88, ceil(8.8)
  });

  it('utilisation is a whole percent, truncated (GetResourceUtilizationRatio)', () => {
    // 555m each: 2220m × 100 / 4000m = 55.5 → 55%, ratio 1.1: within the tolerance. The exact
    // ratio 1.11 would have given ceil(4.44) = 5.
    expect(after(hpa(), 15, deployment(at(4, 0.555)))).toBe(4);
  });

  it('a Pods metric (rps) compares the truncated mean with the target value', () => {
    // 10.5, 10.5 and 12.3 requests/s: 33300m / 3 = 11100m against 10000m, ratio 1.11, ceil(3.33) = 4.
    const pods = [10.5, 10.5, 12.3].map((rps, i) => pod(i, null, { requestsPerSecond: rps }));
    expect(after(hpa({ metric: 'rps', targetRps: 10 }), 15, deployment(pods))).toBe(4);
  });

  it('scale-down: a pod without a CPU sample counts at max(100%, target) of its request', () => {
    // 3 pods at 5% (ratio 0.1) and one without a sample at max(100%, 50%) = 1000m:
    // (150 + 1000) / 4000 = 28.75 → 28%, ratio 0.56, ceil(0.56 × 4) = 3.
    // (At target × request = 500m it would be 16%, ratio 0.32: 2.)
    expect(after(quick(), 15, deployment([...at(3, 0.05), pod(3, null)]))).toBe(3);
    // Target 150%: 3 pods at 15% (ratio 0.1), the missing one at 150% = 1500m:
    // (450 + 1500) / 4000 = 48.75 → 48%, ratio 0.32, ceil(1.28) = 2. (At 100% of its request: 36%, 0.24, 1.)
    expect(after(quick({ targetUtilization: 1.5 }), 15, deployment([...at(3, 0.15), pod(3, null)]))).toBe(2);
  });

  it('scale-down: a pod without a Pods-metric value counts at the target value', () => {
    // 3 pods at 2 requests/s (ratio 0.2), one missing at 10: 16000m / 4 = 4000m, ratio 0.4, ceil(1.6) = 2.
    const pods = [...[0, 1, 2].map((i) => pod(i, null, { requestsPerSecond: 2 })), pod(3, null)];
    expect(after(quick({ metric: 'rps', targetRps: 10 }), 15, deployment(pods))).toBe(2);
  });

  it('scale-up: a pod without a sample counts as idle', () => {
    // 3 pods at 100% (ratio 2) and one missing at 0: 3000 / 4000 = 75%, ratio 1.5, ceil(1.5 × 4) = 6.
    expect(after(hpa(), 15, deployment([...at(3, 1), pod(3, null)]))).toBe(6);
  });

  it('conservative path: no change when the assumptions reverse the direction', () => {
    // 1 pod at 20% (ratio 0.4) and 3 missing at 100%: (200 + 3000) / 4000 = 80%, ratio 1.6 > 1.
    expect(after(quick(), 15, deployment([pod(0, 0.2), pod(1, null), pod(2, null), pod(3, null)]))).toBe(4);
    // Target 90%, spec replicas 3 but 5 pods: 2 at 20% (ratio 0.22) and 3 missing at 100%:
    // (400 + 3000) / 5000 = 68%, ratio 0.756 < 1, yet ceil(0.756 × 5) = 4 > 3: keep 3.
    const surge = [pod(0, 0.2), pod(1, 0.2), pod(2, null), pod(3, null), pod(4, null)];
    expect(after(quick({ targetUtilization: 0.9 }), 15, deployment(surge, 3))).toBe(3);
  });

  it('Pending pods are unready: idle in the rebalance when scaling up', () => {
    // 2 ready 1-core pods at 100% (ratio 2) and 2 Pending pods of a 0.5-core template:
    // (2000 + 0 + 0) / (1000 + 1000 + 500 + 500) = 66%, ratio 1.32, ceil(1.32 × 4) = 6.
    // Left out of the rebalance, the ratio would stay 2 over 2 pods: 4.
    const pods = [...at(2, 1), pending(2, { cpuRequestCores: 0.5 }), pending(3, { cpuRequestCores: 0.5 })];
    expect(after(hpa(), 15, deployment(pods))).toBe(6);
  });

  it('Pending pods are left out when scaling down', () => {
    // 2 ready pods at 10% (ratio 0.2), 2 Pending: no missing pods and no rebalance (ratio < 1):
    // the fast path over the ready pods, ceil(0.2 × 2) = 1.
    expect(after(quick(), 15, deployment([...at(2, 0.1), pending(2), pending(3)]))).toBe(1);
  });

  it('Terminating pods (a deletionTimestamp) are ignored entirely', () => {
    // 2 pods at 25% (ratio 0.5) and 2 terminating at 100%: ceil(0.5 × 2) = 1.
    // Counted, they would give (500 + 2000) / 4000 = 62%, ratio 1.24: 5.
    const terminating = [pod(2, 1, { phase: 'Terminating', ready: false }), pod(3, 1, { phase: 'Terminating', ready: false })];
    expect(after(quick(), 15, deployment([...at(2, 0.25), ...terminating], 2))).toBe(1);
  });

  it('a starting pod with a sample is unready (left out scaling down), not missing (counted at 100%)', () => {
    // 2 ready pods at 10%, 2 starting pods (Running, not ready) whose samples read 0:
    // unready, so the fast path over the ready pods: ratio 0.2, ceil(0.4) = 1.
    const starting = [2, 3].map((i) => pod(i, 0, { ready: false, startTime: -20, readyTime: null, metricTime: 0 }));
    expect(after(quick(), 15, deployment([...at(2, 0.1), ...starting]))).toBe(1);
    // Without samples they are missing: (200 + 2000) / 4000 = 55%, ratio 1.1, within the tolerance: 4.
    const unsampled = [2, 3].map((i) => pod(i, null, { ready: false, startTime: -20, readyTime: null }));
    expect(after(quick(), 15, deployment([...at(2, 0.1), ...unsampled]))).toBe(4);
  });

  describe('CPU readiness (groupPods)', () => {
    // 2 pods at 100% and a third at 100% under test. Counted ready: ratio 2, ceil(2 × 3) = 6.
    // Unready, it is idle in the rebalance: 2000 / 3000 = 66%, ratio 1.32, ceil(3.96) = 4.
    const withThird = (third: Partial<PodObservation>) => deployment([...at(2, 1), pod(2, 1, third)]);

    it('inside the initialisation period, a sample whose window began before readiness is ignored', () => {
      // Started at 90, ready at 100, now 150 (< 90 + 300): a sample at 110 over 15 s began at 95.
      expect(after(hpa(), 150, withThird({ startTime: 90, readyTime: 100, metricTime: 110 }))).toBe(4);
      // Stamped at 115 = ready + window: not before it, so counted.
      expect(after(hpa(), 150, withThird({ startTime: 90, readyTime: 100, metricTime: 115 }))).toBe(6);
    });

    it('uses each sample\'s own window (metric.Window)', () => {
      // A 12 s window (a fresh container's first sample) stamped 110 began at 98 < 100: ignored;
      // a 5 s one began at 105: counted.
      expect(after(hpa(), 150, withThird({ startTime: 90, readyTime: 100, metricTime: 110, metricWindowSeconds: 12 }))).toBe(4);
      expect(after(hpa(), 150, withThird({ startTime: 90, readyTime: 100, metricTime: 110, metricWindowSeconds: 5 }))).toBe(6);
    });

    it('inside the initialisation period, an unready pod is ignored whatever its sample', () => {
      expect(after(hpa(), 150, withThird({ startTime: 90, ready: false, readyTime: null, metricTime: 145 }))).toBe(4);
    });

    it('past the period, an unready pod is ignored only if it never became ready after the initial readiness delay', () => {
      // Started at −1000, never ready: its Ready condition dates from its start, within 30 s of it.
      expect(after(hpa(), 15, withThird({ ready: false, readyTime: null }))).toBe(4);
      // Its Ready transition at −900 is past start + 30 s: its sample counts.
      expect(after(hpa(), 15, withThird({ ready: false, readyTime: -900 }))).toBe(6);
    });
  });
});

describe('HPA over time (horizontal.go)', () => {
  it('the first sync records the current scale, so a scale-down waits out the window from then', () => {
    // recordInitialRecommendation: 4 at t = 15. 4 pods at 5% propose ceil(0.1 × 4) = 1, but a
    // recommendation counts while it is after now − 300 s, so 4 holds until t = 315; then 1
    // (100% per 15 s allows it).
    const h = hpa();
    expect(after(h, 15, deployment(at(4, 0.05)))).toBe(4);
    expect(after(h, 300, deployment(at(4, 0.05)))).toBe(4);
    expect(after(h, 315, deployment(at(4, 0.05)))).toBe(1);
  });

  it('scale-down stabilisation takes the largest recommendation within the window', () => {
    const h = hpa({ behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } });
    expect(after(h, 0, deployment(at(8, 0.25)))).toBe(8); // initial 8; proposal ceil(0.5 × 8) = 4
    expect(after(h, 45, deployment(at(8, 0.375)))).toBe(8); // 37% → 0.74, proposal 6; 8 (at 0) is within 60 s
    expect(after(h, 61, deployment(at(8, 0.25)))).toBe(6); // within (1, 61]: 6 (at 45) and 4 → 6
    expect(after(h, 76, deployment(at(6, 0.25)))).toBe(6); // within (16, 76]: 6, 4, 3 → 6
    expect(after(h, 106, deployment(at(6, 0.25)))).toBe(4); // within (46, 106]: 4, 3, 3 → 4
  });

  it('scale-up stabilisation takes the smallest recommendation within the window', () => {
    const h = hpa({ behavior: { scaleUp: { stabilizationWindowSeconds: 60 } } });
    expect(after(h, 15, deployment(at(4, 0.5)))).toBe(4); // ratio 1: 4 (and the initial 4)
    expect(after(h, 30, deployment(at(4, 1)))).toBe(4); // proposal 8, but 4 was recommended at 15
    expect(after(h, 76, deployment(at(4, 1)))).toBe(8); // within (16, 76]: 8, 8 → 8
  });

  describe('scaling policies (convertDesiredReplicasWithBehaviorRate)', () => {
    it('scale-up: Max takes the larger of Pods and Percent, Min the smaller, Disabled none', () => {
      // 10 pods at 250% (ratio 5): proposal 50; limits 10 + 4 = 14 and ceil(10 × 2) = 20.
      expect(after(hpa(), 15, deployment(at(10, 2.5)))).toBe(20);
      expect(after(hpa({ behavior: { scaleUp: { selectPolicy: 'Min' } } }), 15, deployment(at(10, 2.5)))).toBe(14);
      expect(after(hpa({ behavior: { scaleUp: { selectPolicy: 'Disabled' } } }), 15, deployment(at(10, 2.5)))).toBe(10);
    });

    it('scale-down: the documented 4 pods or 10% per 60 s, from 80 replicas', () => {
      const behavior = (selectPolicy: string) => ({
        scaleDown: {
          stabilizationWindowSeconds: 0,
          selectPolicy,
          policies: [
            { type: 'Pods', value: 4, periodSeconds: 60 },
            { type: 'Percent', value: 10, periodSeconds: 60 },
          ],
        },
      });
      const h = hpa({ behavior: behavior('Max') });
      // 80 pods at 5%: proposal 8. Limits 80 − 4 = 76 and trunc(80 × 0.9) = 72; Max = the larger change: 72.
      expect(after(h, 15, deployment(at(80, 0.05)))).toBe(72);
      // Within the period the 8 removed count: start 72 + 8 = 80, limits 76 and 72: no further step.
      expect(after(h, 30, deployment(at(72, 0.05)))).toBe(72);
      // After it (the event at 15 is not after 76 − 60): start 72, limits 68 and trunc(64.8) = 64.
      expect(after(h, 76, deployment(at(72, 0.05)))).toBe(64);
      // Min takes the smaller change: max(76, 72) = 76.
      expect(after(hpa({ behavior: behavior('Min') }), 15, deployment(at(80, 0.05)))).toBe(76);
      expect(after(hpa({ behavior: behavior('Disabled') }), 15, deployment(at(80, 0.05)))).toBe(80);
    });

    it('a period starts from the replicas before both the additions and the removals within it', () => {
      const h = hpa({ behavior: { scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }] } } });
      // t = 15: 4 pods at 100% (ratio 2): 8, limit max(4 + 4, 8) = 8.
      expect(after(h, 15, deployment(at(4, 1)))).toBe(8);
      // t = 30: 8 pods at 5% propose 1. The period started at 8 − 4 added = 4: trunc(4 × 0.5) = 2.
      // (Counting only removals it would start at 8 and stop at 4.)
      expect(after(h, 30, deployment(at(8, 0.05)))).toBe(2);
    });
  });

  it('min and max replicas bound the result, and a target outside them is brought back first', () => {
    expect(after(hpa({ maxReplicas: 5 }), 15, deployment(at(4, 1)))).toBe(5); // proposal 8, limit 8, max 5
    expect(after(quick({ minReplicas: 3 }), 15, deployment(at(4, 0.05)))).toBe(3); // proposal 1, limit 0, min 3
    expect(after(hpa({ maxReplicas: 5 }), 15, deployment(at(7, 0.5)))).toBe(5); // above max: max, metrics aside
    expect(after(hpa({ minReplicas: 3 }), 15, deployment(at(2, 0.5)))).toBe(3); // below min: min
  });

  it('scaling is disabled while the target has 0 replicas', () => {
    expect(hpa().decide({ now: 15, arrivalsPerSecond: [], deployments: [deployment([], 0)] })).toEqual([]);
  });
});
