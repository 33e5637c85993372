import { describe, expect, it } from 'vitest';
import { Hpa, hpaSchema } from '../../src/policies/hpa.js';
import type { SpecInput } from '../../src/experiment/spec.js';
import type { WindowRow } from '../../src/metrics/timeseries.js';
import type { Observation, PodObservation, Policy } from '../../src/control/types.js';
import { simulate } from '../helpers/run.js';
import { TestWorld } from '../helpers/world.js';

/**
 * The metrics pipeline the HPA reads: metrics-server's scrapes (kubernetes-sigs/metrics-server
 * pkg/storage/pod.go: a sample is the rate between a pod's last two points, stamped with the later
 * one) on their own grid, and the CPU a pod may use beyond its request.
 */

const deterministic = (value: number) => ({ dist: 'deterministic', value }) as const;

/** A policy that only watches (and may scale once at its first decision). */
class Spy implements Policy {
  readonly name = 'spy';
  readonly seen: Observation[] = [];
  constructor(
    readonly intervalSeconds: number,
    readonly firstDecisionSeconds: number,
    private readonly scaleTo?: number,
  ) {}
  decide(o: Observation) {
    this.seen.push(o);
    if (this.scaleTo === undefined || this.seen.length > 1) return [];
    return [{ kind: 'scale' as const, deployment: 'svc', replicas: this.scaleTo }];
  }
  pod(now: number, id: number, deployment = 'svc'): PodObservation | undefined {
    return this.seen.find((o) => o.now === now)?.deployments.find((d) => d.name === deployment)?.pods.find((p) => p.id === id);
  }
}

/** A world with metrics-server and the spy: `offset` as the spec's scrapeOffsetSeconds (undefined: the default). */
function watch(spec: ConstructorParameters<typeof TestWorld>[0], spy: Spy, offset?: number) {
  const w = new TestWorld(spec);
  w.control(spy, offset);
  return w;
}

describe('metrics-server samples', () => {
  it('have an age: by default the scrapes fall half a resolution before each sync', () => {
    const spy = new Spy(15, 15);
    const w = watch({ deployments: [{ name: 'svc', replicas: 1, cores: 1, serviceTime: deterministic(1) }] }, spy);
    w.send(10); // busy 10–11 s on its one core
    w.run(46);
    // Scrapes at 7.5, 22.5, 37.5. At 7.5 the container is 7.5 s old (< 10 s): a point, no sample.
    expect(spy.pod(15, 0)?.cpuUsageCores).toBeNull();
    // The sync at 30 reads the sample of 22.5, averaged over 7.5–22.5: 1 core-second / 15 s.
    expect(spy.pod(30, 0)).toMatchObject({ metricTime: 22.5, metricWindowSeconds: 15 });
    expect(spy.pod(30, 0)?.cpuUsageCores).toBeCloseTo(1 / 15, 12);
    expect(spy.pod(45, 0)).toMatchObject({ cpuUsageCores: 0, metricTime: 37.5 });
  });

  it('with offset 0 a sync reads the scrape of its own instant', () => {
    const spy = new Spy(15, 15);
    const w = watch({ deployments: [{ name: 'svc', replicas: 1, cores: 1, serviceTime: deterministic(1) }] }, spy, 0);
    w.send(10);
    w.run(16);
    // Points at 0 and 15: the sample over 0–15 is there for the sync at 15 (the scrape runs first).
    expect(spy.pod(15, 0)).toMatchObject({ metricTime: 15, metricWindowSeconds: 15 });
    expect(spy.pod(15, 0)?.cpuUsageCores).toBeCloseTo(1 / 15, 12);
  });

  it('a starting pod is Pending until its container runs, then has samples of 0 (model-load CPU is not modelled)', () => {
    // At 15 the spy adds a pod: container start 5 s (Pending), then 60 s of model load.
    const spy = new Spy(2.5, 15, 2);
    const w = watch({ deployments: [{ name: 'svc', replicas: 1, serviceTime: deterministic(1), lifecycle: { containerStartSeconds: 5, modelLoadSeconds: 60 } }] }, spy);
    w.run(61);
    expect(spy.pod(17.5, 1)).toMatchObject({ phase: 'Pending', startTime: 15, cpuUsageCores: null });
    // Running from 20; the scrape at 22.5 finds it 2.5 s old: a point only.
    expect(spy.pod(22.5, 1)).toMatchObject({ phase: 'Running', ready: false, cpuUsageCores: null });
    // From 37.5 on it has a sample, over 22.5–37.5, of 0 cores; its completions per second wait for readiness.
    expect(spy.pod(37.5, 1)).toMatchObject({ phase: 'Running', ready: false, cpuUsageCores: 0, metricTime: 37.5, metricWindowSeconds: 15, requestsPerSecond: null });
  });

  it('a container first seen 10 s to one resolution after its start is sampled from its start', () => {
    // Offset 0: scrapes at 15, 30. The pod added at 15 runs from 18; at 30 it is 12 s old, so its
    // first sample covers 18–30 (metrics-server's fresh-container rule), a 12 s window.
    const spy = new Spy(15, 15, 2);
    const w = watch({ deployments: [{ name: 'svc', replicas: 1, serviceTime: deterministic(1), lifecycle: { containerStartSeconds: 3, modelLoadSeconds: 60 } }] }, spy, 0);
    w.run(31);
    expect(spy.pod(30, 1)).toMatchObject({ cpuUsageCores: 0, metricTime: 30, metricWindowSeconds: 12 });
  });
});

describe('CPU beyond the request', () => {
  /** Two saturated one-core pods on one 8-core node (one stage, two variants): one without a CPU limit, one limited to its request. */
  const saturated = (extra: Record<string, unknown> = {}) => {
    const spy = new Spy(15, 15);
    const w = watch(
      {
        cluster: { nodePools: [{ name: 'pool', nodes: 1, cores: 8 }] },
        deployments: [
          { name: 'svc', replicas: 1, cores: 1, serviceTime: deterministic(0.5), ...extra },
          { name: 'limited', replicas: 1, cores: 1, cpuLimitCores: 1, serviceTime: deterministic(0.5) },
        ],
        pipelines: [{ name: 'p', stages: [{ name: 'only', deployments: ['svc', 'limited'] }] }],
      },
      spy,
    );
    for (let i = 0; i < 400; i++) w.send(0);
    w.run(31);
    return spy;
  };

  it('a pod without a limit uses the cores its node leaves unrequested; a limited one stays at its limit', () => {
    // 8 cores, 2 requested, one burstable pod: it runs on 1 + 6 = 7 cores; the limited pod on 1.
    const spy = saturated();
    expect(spy.pod(30, 0)?.cpuUsageCores).toBeCloseTo(7, 9);
    expect(spy.pod(30, 0, 'limited')?.cpuUsageCores).toBeCloseTo(1, 9);
  });

  it('a limit above the request caps the burst', () => {
    expect(saturated({ cpuLimitCores: 2.5 }).pod(30, 0)?.cpuUsageCores).toBeCloseTo(2.5, 9);
  });

  it('the batch is served at the cores the pod may use (a profile that speeds up with cores)', () => {
    const one = (extra: Record<string, unknown>) => {
      const w = new TestWorld({ cluster: { nodePools: [{ name: 'pool', nodes: 1, cores: 4 }] }, deployments: [{ name: 'y', replicas: 1, profile: { name: 'sponge', variant: 'yolov5', cv: 0 }, ...extra }] });
      w.send(0);
      w.run(10);
      return w.completed()[0].end;
    };
    // Sponge's l(b, c) = γ·b/c + δ·b + ε/c + η is 0.070 s for one request on one core (test/cluster.test.ts).
    expect(one({ cpuLimitCores: 1 })).toBeCloseTo(0.07, 3);
    expect(one({})).toBeLessThan(0.06);
  });

  it('on the unbounded default cluster no spare cores are known: a pod uses its request', () => {
    const spy = new Spy(15, 15);
    const w = watch({ deployments: [{ name: 'svc', replicas: 1, cores: 1, serviceTime: deterministic(0.5) }] }, spy);
    for (let i = 0; i < 200; i++) w.send(0);
    w.run(31);
    expect(spy.pod(30, 0)?.cpuUsageCores).toBeCloseTo(1, 9);
  });

  it('rejects a limit below the request', async () => {
    const { validateSpec } = await import('../../src/experiment/load-spec.js');
    const spec = { name: 'bad', duration: 1, workload: { arrivals: { process: 'poisson', rate: 1 } }, deployments: [{ name: 'svc', replicas: 1, cores: 2, cpuLimitCores: 1, serviceTime: deterministic(1) }] };
    expect(() => validateSpec(spec, 'bad.json')).toThrow(/cpuLimitCores/);
  });
});

describe('the HPA through a run', () => {
  const firstScaleUp = (rows: WindowRow[], from: number) => rows.find((r) => r.replicas > from);

  it('reacts one scrape after the load change: the sample at a sync still half covers the time before it', async () => {
    // Two one-core pods serving 0.1 s requests: 0.5 requests/s (2.5%) until 120 s, then 100/s (saturated).
    // Scrapes at 7.5 + 15k. The sync at 135 reads the 127.5 sample: 7.5 s saturated and 7.5 s
    // nearly idle, about 51%, ratio ≈ 1.03, within the tolerance. The sync at 150 reads 127.5–142.5,
    // 100%: ratio 2, ceil(2 × 2) = 4. (Reading samples taken at the sync, it would scale at 135.)
    const spec: SpecInput = {
      name: 'stale',
      seed: 3,
      duration: 170,
      window: 1,
      workload: { arrivals: { process: 'poisson', rate: [[0, 0.5], [120, 100]] } },
      deployments: [{ name: 'svc', replicas: 2, cores: 1, serviceTime: deterministic(0.1) }],
      policy: { name: 'hpa', deployment: 'svc', targetUtilization: 0.5, minReplicas: 1, maxReplicas: 10 },
    };
    const rows: WindowRow[] = [];
    const summary = await simulate(spec, { onRow: (r) => rows.push(r) });
    const up = firstScaleUp(rows, 2) as WindowRow;
    expect(up.t + 1).toBeGreaterThanOrEqual(150); // the row closing at t + 1 s
    expect(up.t + 1).toBeLessThanOrEqual(151);
    expect(up.replicas).toBe(4);
    // Same spec and seed, same result (but for the wall-clock time).
    const withoutWallTime = (s: object) => JSON.parse(JSON.stringify(s, (key, value) => (key === 'wallSeconds' ? 0 : value)));
    expect(withoutWallTime(await simulate(spec))).toEqual(withoutWallTime(summary));
  });

  it('answers the same step one sync earlier when the scrapes coincide with the syncs', () => {
    // The run above, driven by hand with evenly spaced arrivals: with offset 0 the sync at 135 reads
    // the sample over 120–135, saturated, and scales; with the default offset it waits for 150.
    const firstScaleAt = (offset?: number) => {
      const hpa = new Hpa(hpaSchema.parse({ name: 'hpa', deployment: 'svc', targetUtilization: 0.5, minReplicas: 1, maxReplicas: 10 }), 15);
      let scaledAt = NaN;
      const policy: Policy = {
        name: 'hpa',
        intervalSeconds: 15,
        firstDecisionSeconds: 15,
        decide: (o) => {
          const actions = hpa.decide(o);
          if (actions.length > 0 && Number.isNaN(scaledAt)) scaledAt = o.now;
          return actions;
        },
      };
      const w = new TestWorld({ deployments: [{ name: 'svc', replicas: 2, cores: 1, serviceTime: deterministic(0.1) }] });
      w.control(policy, offset);
      for (let t = 0; t < 120; t += 2) w.send(t);
      for (let i = 0; i < 5000; i++) w.send(120 + i * 0.01);
      w.run(170);
      return scaledAt;
    };
    expect(firstScaleAt(0)).toBe(135);
    expect(firstScaleAt()).toBe(150);
  });

  it('sees utilisation above 100% from a pod without a CPU limit on a node with spare cores', async () => {
    // One one-core pod on an 8-core node, saturated: without a limit it uses 8 cores, 800% of its
    // request: ratio 16, proposal 16, limited to max(1 + 4, 2 × 1) = 5. Limited to 1 core: 100%, ratio 2: 2.
    const spec = (cpuLimitCores?: number): SpecInput => ({
      name: 'burst',
      seed: 1,
      duration: 40,
      window: 1,
      cluster: { nodePools: [{ name: 'pool', nodes: 1, cores: 8 }] },
      workload: { arrivals: { process: 'poisson', rate: 50 } },
      deployments: [{ name: 'svc', replicas: 1, cores: 1, cpuLimitCores, serviceTime: deterministic(0.1) }],
      policy: { name: 'hpa', deployment: 'svc', targetUtilization: 0.5, minReplicas: 1, maxReplicas: 20 },
    });
    const scaled = async (cpuLimitCores?: number) => {
      const rows: WindowRow[] = [];
      await simulate(spec(cpuLimitCores), { onRow: (r) => rows.push(r) });
      return firstScaleUp(rows, 1)?.replicas;
    };
    expect(await scaled()).toBe(5);
    expect(await scaled(1)).toBe(2);
  });
});
