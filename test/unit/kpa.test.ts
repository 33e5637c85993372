import { describe, expect, it } from 'vitest';
import { Kpa, kpaSchema } from '../../src/policies/kpa.js';
import type { Observation, Policy } from '../../src/control/types.js';
import { policySchema } from '../../src/policies/schema.js';
import { validateSpec } from '../../src/experiment/load-spec.js';
import { runSpec } from '../../src/experiment/run.js';
import { readSpecFile } from '../../src/experiment/spec-variants.js';
import type { WindowRow } from '../../src/metrics/timeseries.js';
import { TestWorld } from '../helpers/world.js';

/**
 * Knative's KPA one rule at a time, each expected count worked out by hand from knative/serving
 * pkg/autoscaler/scaling/autoscaler.go (Scale), aggregation/bucketing.go (window averages) and
 * pkg/reconciler/autoscaling/kpa/scaler.go (handleScaleToZero). targetConcurrency 10 at the
 * default 70% utilisation: a target of 7 requests in flight per pod. The policy is called every
 * second (the scrape) and decides at every even second (the 2 s tick).
 */

const kpa = (extra: Record<string, unknown> = {}) => new Kpa(kpaSchema.parse({ name: 'kpa', deployment: 'svc', targetConcurrency: 10, ...extra }));

const observe = (now: number, replicas: number, readyReplicas: number, inFlight: number): Observation => ({
  now,
  arrivalsPerSecond: [],
  deployments: [{ name: 'svc', replicas, readyReplicas, coresPerReplica: 1, variant: 'v', accuracy: null, pods: [], queueLength: 0, inFlight }],
});

interface World {
  replicas: number;
  /** Ready pods; undefined: every replica is ready at once. */
  ready?: number;
}

/** Calls the policy at every whole second of [from, to] with `inFlight(t)`, applies its scale actions, and returns them with their times. */
function drive(k: Kpa, from: number, to: number, world: World, inFlight: (t: number) => number): { t: number; replicas: number }[] {
  const changes: { t: number; replicas: number }[] = [];
  for (let t = from; t <= to; t++) {
    for (const a of k.decide(observe(t, world.replicas, world.ready ?? world.replicas, inFlight(t)))) {
      if (a.kind !== 'scale') continue;
      world.replicas = a.replicas;
      changes.push({ t, replicas: a.replicas });
    }
  }
  return changes;
}

describe('KPA spec', () => {
  it('validates the short form and fills in Knative\'s defaults', () => {
    const spec = policySchema.parse({ name: 'kpa', deployment: 'svc', targetConcurrency: 10 });
    expect(spec).toMatchObject({
      name: 'kpa',
      targetConcurrency: 10,
      targetUtilization: 0.7,
      stableWindowSeconds: 60,
      panicWindowPercentage: 10,
      panicThresholdPercentage: 200,
      maxScaleUpRate: 1000,
      maxScaleDownRate: 2,
      minScale: 0,
      maxScale: 0,
      scaleToZeroGraceSeconds: 30,
      enableScaleToZero: true,
      targetBurstCapacity: 211,
      tickSeconds: 2,
    });
    expect(policySchema.parse({ name: 'kpa', deployment: 'svc' })).toMatchObject({ targetConcurrency: 100 });
  });

  it('rejects values Knative rejects, naming the field', () => {
    const issue = (extra: Record<string, unknown>) => {
      const r = kpaSchema.safeParse({ name: 'kpa', deployment: 'svc', ...extra });
      return r.success ? null : `${r.error.issues[0].path.join('.')}: ${r.error.issues[0].message}`;
    };
    expect(issue({ stableWindowSeconds: 5 })).toMatch(/^stableWindowSeconds: .*at least 6/);
    expect(issue({ stableWindowSeconds: 3601 })).toMatch(/^stableWindowSeconds: .*at most 3600/);
    expect(issue({ panicThresholdPercentage: 100 })).toMatch(/^panicThresholdPercentage: /);
    expect(issue({ maxScaleDownRate: 1 })).toMatch(/^maxScaleDownRate: /);
    expect(issue({ targetUtilization: 0 })).toMatch(/^targetUtilization: /);
    expect(issue({ minScale: 3, maxScale: 2 })).toMatch(/^minScale: /);
    expect(issue({ targetBurstCapacity: -2 })).toMatch(/^targetBurstCapacity: /);
    expect(issue({ minScale: 3, maxScale: 0 })).toBeNull();
  });
});

describe('KPA decisions (autoscaler.go Scale)', () => {
  it('starts in panic over more than one ready pod, then scales to ceil(stable concurrency / 7)', () => {
    // 10 ready pods with 50 requests in flight: ceil(50 / 7) = 8 (7.14), within the halving bound
    // floor(10 / 2) = 5. A decider created over 10 ready pods panics from its first observation
    // (t = 1) and keeps 10 while no decision is over the threshold (ceil(50/7) / 10 = 0.8 < 2);
    // panic ends at the first tick past 1 + 60 s, t = 62.
    const k = kpa();
    expect(drive(k, 1, 90, { replicas: 10 }, () => 50)).toEqual([{ t: 62, replicas: 8 }]);
  });

  it('follows the 60 s average: one more pod once the mean passes a multiple of 7', () => {
    // 4 pods at 28 in flight (4 × 7), then 42 from t = 71. At tick t the window holds seconds
    // t−59..t: mean 28 + 14 (t − 70) / 60. t = 72: 28.47, ceil(4.07) = 5. t = 100: exactly 35,
    // still 5 pods; t = 102: 35.47 → 6.
    // The 6 s panic mean stays at most 42: ceil(42/7) / 4 = 1.5 < 2, no panic.
    const k = kpa();
    expect(drive(k, 1, 200, { replicas: 4 }, (t) => (t <= 70 ? 28 : 42))).toEqual([
      { t: 72, replicas: 5 },
      { t: 102, replicas: 6 },
    ]);
  });

  it('scales down at most by half per decision (max-scale-down-rate 2)', () => {
    // 10 pods with 7 in flight want 1 pod. After the start-up panic (t = 62): floor(10/2) = 5;
    // t = 64: floor(5/2) = 2; t = 66: max(1, floor(2/2)) = 1.
    expect(drive(kpa(), 1, 100, { replicas: 10 }, () => 7)).toEqual([
      { t: 62, replicas: 5 },
      { t: 64, replicas: 2 },
      { t: 66, replicas: 1 },
    ]);
  });

  it('panics at twice the ready pods, never scales down in panic, and leaves it a stable window after the last burst', () => {
    // 2 ready pods (new ones stay starting) at 14 in flight; 42 from t = 101 to 120, then 7.
    // t = 102: panic window 97..102 = (4 × 14 + 2 × 42) / 6 = 23.3, ceil(3.33) = 4, and 4 / 2 = 2:
    //   panic; stable (58 × 14 + 2 × 42) / 60 = 14.9 → 3; desired max(3, 4) = 4.
    // t = 104: (2 × 14 + 4 × 42) / 6 = 32.7 → 5; t = 106: 42 → 6.
    // The last tick over the threshold is t = 122 ((4 × 42 + 2 × 7) / 6 = 30.3 → 5, 5 / 2 ≥ 2;
    // t = 124: 18.7 → 3, 1.5 < 2). Until 122 + 60 the count stays at 6 whatever the stable mean
    // says; t = 184 is the first tick past it: stable 7 → 1, within floor(2 / 2) = 1.
    const world = { replicas: 2, ready: 2 };
    const load = (t: number) => (t <= 100 ? 14 : t <= 120 ? 42 : 7);
    expect(drive(kpa(), 1, 240, world, load)).toEqual([
      { t: 102, replicas: 4 },
      { t: 104, replicas: 5 },
      { t: 106, replicas: 6 },
      { t: 184, replicas: 1 },
    ]);
  });

  it('max-scale-up-rate bounds a scale-up to ceil(rate × ready pods)', () => {
    // 1 pod, 700 in flight: ceil(700 / 7) = 100, but at rate 3 at most ceil(3 × 1) = 3.
    expect(drive(kpa({ maxScaleUpRate: 3 }), 1, 2, { replicas: 1, ready: 1 }, () => 700)).toEqual([{ t: 2, replicas: 3 }]);
  });
});

describe('KPA scale to zero and back (scaler.go handleScaleToZero, multiscaler.go Poke)', () => {
  // 1 pod with 1 request in flight until t = 100, none after: the 60 s mean is 0 from the tick
  // whose window is 101..160, t = 160 (until then ceil(mean / 7) = 1). maxScaleDown = floor(1/2) = 0.
  const idleAfter100 = (t: number) => (t <= 100 ? 1 : 0);

  it('with the activator already in the path (target-burst-capacity 211 > 1 pod × 10), goes to 0 one tick after deactivating', () => {
    // t = 160: desired 0; active since t = 1 (≥ 60 s), so the autoscaler goes inactive and the
    // scale stays. t = 162: inactive 2 s < 30 s, but the activator has been in the path since the
    // start (1 × 10 − 211 − 0 < 0) for more than the grace period: the fast path scales to 0.
    expect(drive(kpa(), 1, 300, { replicas: 1 }, idleAfter100)).toEqual([{ t: 162, replicas: 0 }]);
  });

  it('with the activator out of the path (target-burst-capacity 0), waits the 30 s grace period after deactivating', () => {
    // Excess burst capacity 0 keeps the activator out while pods are wanted; it enters at t = 160,
    // when the autoscaler goes inactive. t = 188: 28 s < 30 s; t = 190: 30 s, scale to 0.
    expect(drive(kpa({ targetBurstCapacity: 0 }), 1, 300, { replicas: 1 }, idleAfter100)).toEqual([{ t: 190, replicas: 0 }]);
  });

  it('keeps one pod when scale to zero is disabled, or minScale when it is set', () => {
    expect(drive(kpa({ enableScaleToZero: false }), 1, 400, { replicas: 1 }, idleAfter100)).toEqual([]);
    expect(drive(kpa({ minScale: 2 }), 1, 400, { replicas: 1 }, idleAfter100)).toEqual([{ t: 2, replicas: 2 }]);
  });

  it('scales from zero at once when a request is buffered (the activator pokes the decider)', () => {
    // After the scale to 0 at t = 162 nothing is recorded (no ready pod, nothing in flight). At
    // t = 301, an odd second between ticks, 3 requests wait: the last decision was 0, so the
    // decider runs at once. The window restarts (more than 60 s since the last write): mean 3,
    // ceil(3 / 7) = 1.
    const k = kpa();
    const world: World = { replicas: 1 };
    drive(k, 1, 300, world, idleAfter100);
    expect(world.replicas).toBe(0);
    expect(drive(k, 301, 301, world, () => 3)).toEqual([{ t: 301, replicas: 1 }]);
  });

  it('scales a deployment that starts at 0 at the next tick after a request is buffered', () => {
    // No decision yet (-1), so no poke: 3 requests wait from t = 5, the tick at t = 6 asks for 1.
    const k = kpa();
    expect(drive(k, 1, 10, { replicas: 0, ready: 0 }, (t) => (t >= 5 ? 3 : 0))).toEqual([{ t: 6, replicas: 1 }]);
  });
});

/** A policy that records what it sees. */
class Watch implements Policy {
  readonly name = 'watch';
  readonly intervalSeconds = 1;
  readonly firstDecisionSeconds = 1;
  readonly seen: Observation[] = [];
  decide(o: Observation) {
    this.seen.push(o);
    return [];
  }
}

describe('the observation\'s inFlight (src/cluster/control-plane.ts)', () => {
  const watch = (replicas: number, queue: 'central' | 'per-replica') => {
    const w = new TestWorld({ deployments: [{ name: 'svc', replicas, queue, serviceTime: { dist: 'deterministic', value: 10 } }] });
    const spy = new Watch();
    w.control(spy);
    for (let i = 0; i < 3; i++) w.send(0.5);
    w.run(1.5);
    return { w, d: spy.seen[0].deployments[0] };
  };

  it('counts the requests waiting and in service', () => {
    const { d } = watch(1, 'central');
    expect([d.queueLength, d.inFlight]).toEqual([2, 3]);
  });

  it('with a central queue, counts the requests waiting while no pod exists (what the activator buffers)', () => {
    const { d } = watch(0, 'central');
    expect([d.readyReplicas, d.queueLength, d.inFlight]).toEqual([0, 3, 3]);
  });

  it('with per-replica queues and no pod, requests are dropped, so nothing is in flight to scale from zero on', () => {
    const { w, d } = watch(0, 'per-replica');
    expect(d.inFlight).toBe(0);
    expect(w.dropped()).toHaveLength(3);
  });
});

describe('KPA through a run (experiments/examples/kpa.json)', () => {
  it('scales out for the burst and back, and accounts for every request', async () => {
    const rows: WindowRow[] = [];
    const s = await runSpec(validateSpec(readSpecFile('experiments/examples/kpa.json'), 'kpa.json'), { onRow: (r) => rows.push(r) });
    expect(s.policy).toBe('kpa');
    expect(s.reconfigurations).toBeGreaterThan(0);
    expect(s.requests).toBe(s.completed + s.dropped + s.inFlight);
    // The burst (7 to 14 minutes in) takes it to max-scale 30; the load after it needs far fewer.
    const during = rows.filter((r) => r.t >= 480 && r.t < 840).map((r) => r.replicas);
    const after = rows.filter((r) => r.t >= 1200).map((r) => r.replicas);
    expect(Math.max(...during)).toBe(30);
    expect(Math.max(...after)).toBeLessThan(15);
    expect(Math.max(...rows.map((r) => r.replicas))).toBeLessThanOrEqual(30);
  });
});
