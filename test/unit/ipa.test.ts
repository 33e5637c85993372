import { describe, expect, it } from 'vitest';
import type { Action, DeploymentObservation, Observation } from '../../src/control/types.js';
import { InputError } from '../../src/errors.js';
import { Ipa, ipaSchema } from '../../src/policies/ipa.js';
import { baseAllocations, type IpaVariant } from '../../src/policies/ipa-allocation.js';
import { ipaReactive } from '../../src/policies/predictors/lstm.js';

/** A variant profiled at batches 1, 2, 4, 8 on 1, 2, 4 and 8 cores; its batch-1 one-core latency is `latency1`. */
function variant(deployment: string, accuracy: number, latency1: number): IpaVariant {
  const points = [1, 2, 4, 8].flatMap((cores) =>
    [1, 2, 4, 8].map((batch) => {
      const mean = (latency1 * (1 + 0.8 * (batch - 1))) / cores;
      return { cores, batch, p99Seconds: 1.2 * mean, throughputRps: batch / mean };
    }),
  );
  return { deployment, accuracy, points };
}

describe("IPA's base allocations", () => {
  it('gives each variant the fewest cores reaching the threshold within the stage SLA, never fewer than a less accurate one', () => {
    // At 4 requests/s within 2 s: a 0.1 s variant needs 1 core, a 0.5 s one 2 cores (0.25 s at batch 1), a 0.2 s one would need 1.
    const variants = [variant('big', 0.8, 0.5), variant('small', 0.5, 0.1), variant('mid', 0.7, 0.2)];
    const base = baseAllocations(variants, 2, 4, 'test');
    expect(Object.fromEntries(base)).toEqual({ small: 1, mid: 1, big: 2 });
    // Walked from the least accurate up: a cheap but accurate variant after a costly one keeps the cursor's cores.
    const inverted = baseAllocations([variant('costly', 0.5, 0.5), variant('cheap', 0.9, 0.1)], 2, 4, 'test');
    expect(Object.fromEntries(inverted)).toEqual({ costly: 2, cheap: 2 });
  });

  it('moves up a step when the next core count sustains more batch sizes (the authors\' heuristic)', () => {
    // "b" reaches 4 requests/s at batch 8 only on 1 core (8 / (0.3·6.6) = 4.04), at every batch on 2 cores.
    const base = baseAllocations([variant('a', 0.5, 0.1), variant('b', 0.6, 0.3)], 10, 4, 'test');
    expect(base.get('b')).toBe(2);
  });

  it('is an input error naming the variant when no core count qualifies', () => {
    expect(() => baseAllocations([variant('a', 0.5, 0.1), variant('slow', 0.9, 10)], 2, 4, 'stage "x"')).toThrow(InputError);
    expect(() => baseAllocations([variant('slow', 0.9, 10)], 2, 4, 'stage "x"')).toThrow(/stage "x": no base allocation for "slow"/);
  });
});

const deployment = (name: string, replicas: number, extra: Partial<DeploymentObservation> = {}): DeploymentObservation => ({
  name,
  replicas,
  readyReplicas: replicas,
  coresPerReplica: 1,
  variant: name,
  accuracy: null,
  pods: [],
  queueLength: 0,
  inFlight: 0,
  ...extra,
});

describe('the IPA policy', () => {
  const spec = (extra: object = {}) =>
    ipaSchema.parse({
      name: 'ipa',
      stages: [
        { stage: 'detect', deployments: ['d1', 'd2'], slaSeconds: 3 },
        { stage: 'classify', deployments: ['c1', 'c2'], slaSeconds: 3 },
      ],
      ...extra,
    });
  const variants = () => [
    [variant('d1', 0.4, 0.05), variant('d2', 0.6, 0.1)],
    [variant('c1', 0.6, 0.05), variant('c2', 0.8, 0.1)],
  ];
  const constant = (rate: number) => ({ name: 'constant', predict: () => rate });
  const observe = (now: number, deployments: DeploymentObservation[]): Observation => ({ now, arrivalsPerSecond: [], deployments });
  const ofKind = (actions: Action[], kind: Action['kind']) => actions.filter((a) => a.kind === kind);

  it('sends each stage to the variant serving at the start, then at its first decision moves to the best plan once its replicas are ready', async () => {
    const ipa = new Ipa(spec(), variants(), constant(5));
    await ipa.prepare();
    const start = ipa.decide(observe(0, [deployment('d1', 1), deployment('d2', 0), deployment('c1', 1), deployment('c2', 0)]));
    expect(ofKind(start, 'weights')).toEqual([
      { kind: 'weights', stage: 'detect', weights: [1, 0] },
      { kind: 'weights', stage: 'classify', weights: [1, 0] },
    ]);
    // At 5 requests/s one replica of the accurate variants suffices, at the same cost: they are the plan.
    const decision = ipa.decide(observe(10, [deployment('d1', 1), deployment('d2', 0), deployment('c1', 1), deployment('c2', 0)]));
    expect(ofKind(decision, 'scale')).toEqual([
      { kind: 'scale', deployment: 'd2', replicas: 1 },
      { kind: 'scale', deployment: 'c2', replicas: 1 },
    ]);
    expect(ofKind(decision, 'batch').map((a) => a.kind === 'batch' && a.deployment)).toEqual(['d2', 'c2']);
    expect(ofKind(decision, 'weights')).toEqual([]);
    expect(ipa.solveSeconds).toHaveLength(1);
    // Not ready yet: the load stays where it is.
    const starting = ipa.decide(observe(11, [deployment('d1', 1), deployment('d2', 1, { readyReplicas: 0 }), deployment('c1', 1), deployment('c2', 1, { readyReplicas: 0 })]));
    expect(ofKind(starting, 'weights')).toEqual([]);
    // Ready: the load moves; the old variant goes only once its queue is empty.
    const ready = ipa.decide(observe(12, [deployment('d1', 1, { queueLength: 3 }), deployment('d2', 1), deployment('c1', 1), deployment('c2', 1)]));
    expect(ofKind(ready, 'weights')).toEqual([
      { kind: 'weights', stage: 'detect', weights: [0, 1] },
      { kind: 'weights', stage: 'classify', weights: [0, 1] },
    ]);
    expect(ofKind(ready, 'scale')).toEqual([{ kind: 'scale', deployment: 'c1', replicas: 0 }]);
    const drained = ipa.decide(observe(13, [deployment('d1', 1), deployment('d2', 1), deployment('c1', 0), deployment('c2', 1)]));
    expect(ofKind(drained, 'scale')).toEqual([{ kind: 'scale', deployment: 'd1', replicas: 0 }]);
  });

  it('as FA2 (baseline "scale") keeps the serving variants and scales them out; as RIM ("switch") keeps the replicas', async () => {
    const start = [deployment('d1', 3), deployment('d2', 0), deployment('c1', 3), deployment('c2', 0)];
    const fa2 = new Ipa(spec({ baseline: 'scale' }), variants(), constant(200));
    await fa2.prepare();
    fa2.decide(observe(0, start));
    const scaled = ofKind(fa2.decide(observe(10, start)), 'scale');
    expect(scaled.map((a) => a.kind === 'scale' && a.deployment)).toEqual(['d1', 'c1']);
    const rim = new Ipa(spec({ baseline: 'switch' }), variants(), constant(5));
    await rim.prepare();
    rim.decide(observe(0, start));
    const switched = ofKind(rim.decide(observe(10, start)), 'scale');
    expect(switched).toEqual([
      { kind: 'scale', deployment: 'd2', replicas: 3 },
      { kind: 'scale', deployment: 'c2', replicas: 3 },
    ]);
    expect(fa2.name).toBe('fa2');
    expect(rim.name).toBe('rim');
  });

  it('keeps the pipeline as it is when no plan meets the SLA, and rounds its forecast half to even as Python does', async () => {
    const ipa = new Ipa(spec({ slaSeconds: 0.001 }), variants(), constant(2.5));
    await ipa.prepare();
    const now = [deployment('d1', 1), deployment('d2', 0), deployment('c1', 1), deployment('c2', 0)];
    ipa.decide(observe(0, now));
    expect(ofKind(ipa.decide(observe(10, now)), 'scale')).toEqual([]);
    expect(ipa.decisions).toEqual([{ time: 10, load: 2, plan: null }]);
  });
});

describe("IPA's reactive predictor", () => {
  it('predicts the peak second of the last 10 s, and the 2-minute peak with less history', () => {
    const history = Array.from({ length: 130 }, (_, i) => (i === 50 ? 90 : i >= 120 ? 10 + i - 120 : 5));
    expect(ipaReactive().predict(history)).toBe(19);
    expect(ipaReactive().predict(history.slice(0, 100))).toBe(90);
    expect(ipaReactive({ margin: 0.1 }).predict(history)).toBeCloseTo(20.9, 9);
  });
});
