import { describe, expect, it } from 'vitest';
import type { SpecInput } from '../../src/experiment/spec.js';
import { simulate } from '../helpers/run.js';
import { TestWorld } from '../helpers/world.js';

/** A shared cluster of one node pool. */
const sharedCluster = (cores: number, nodes = 1, extra: object = {}) => ({ cpu: 'shared' as const, nodePools: [{ name: 'pool', nodes, cores, ...extra }] });

describe('CPU contention conformance (cluster cpu "shared")', () => {
  it('M/M/1-PS: one core shared by every request in service has the mean sojourn of M/M/1, 1/(μ − λ)', async () => {
    // One one-core pod whose requests all run at once, one thread each: processor sharing.
    const lambda = 0.7;
    const spec: SpecInput = {
      name: 'mm1-ps',
      seed: 3,
      duration: 400_000,
      window: 40_000,
      workload: { arrivals: { process: 'poisson', rate: lambda } },
      cluster: sharedCluster(1),
      deployments: [{ name: 'svc', replicas: 1, cores: 1, threads: 400, concurrency: 400, serviceTime: { dist: 'exponential', mean: 1 } }],
    };
    const s = await simulate(spec);
    expect(s.dropped).toBe(0);
    const [low, high] = s.latencyMs.ci99 as [number, number];
    const theoryMs = 1000 / (1 - lambda);
    expect(theoryMs).toBeGreaterThanOrEqual(low);
    expect(theoryMs).toBeLessThanOrEqual(high);
    expect(Math.abs((s.latencyMs.mean as number) / theoryMs - 1)).toBeLessThan(0.02);
    // No request ever waited for a lane: the sharing is all processor sharing.
    expect(s.waitMs.mean).toBe(0);
  });

  it('a c-core node with k > c busy single-thread pods slows each by k/c', () => {
    for (const [cores, pods] of [
      [4, 8],
      [2, 3],
      [3, 12],
    ]) {
      const w = new TestWorld({
        cluster: sharedCluster(cores),
        deployments: [{ name: 'svc', replicas: pods, cores: cores / pods, queue: 'per-replica', serviceTime: { dist: 'deterministic', value: 1 } }],
      });
      for (let i = 0; i < pods; i++) w.send(0);
      w.run(100);
      const ends = w.completed().map((l) => l.end);
      expect(ends).toHaveLength(pods);
      for (const end of ends) expect(end).toBeCloseTo(pods / cores, 9);
    }
  });

  it('with k ≤ c busy pods nothing slows: requests that fit run as on reserved cores', () => {
    const w = new TestWorld({
      cluster: sharedCluster(4),
      deployments: [{ name: 'svc', replicas: 4, cores: 1, queue: 'per-replica', serviceTime: { dist: 'deterministic', value: 0.25 } }],
    });
    for (let i = 0; i < 4; i++) w.send(0);
    w.send(0.1);
    w.run(10);
    expect(w.completed().map((l) => l.end)).toEqual([0.25, 0.25, 0.25, 0.25, 0.5].map((x) => expect.closeTo(x, 12)));
  });

  it('cores go in proportion to CPU requests (cpu.shares), and what a pod cannot use goes to the others', () => {
    // 2 cores; pod a requests 1.5 and pod b 0.5, each with two busy threads: a gets 1.5, b 0.5.
    const w = new TestWorld({
      cluster: sharedCluster(2),
      deployments: [
        { name: 'a', replicas: 1, cores: 1.5, threads: 2, serviceTime: { dist: 'deterministic', value: 1 } },
        { name: 'b', replicas: 1, cores: 0.5, threads: 2, serviceTime: { dist: 'deterministic', value: 1 } },
      ],
      pipelines: [{ name: 'p', stages: [{ name: 's', deployments: ['a', 'b'], weights: [1, 1] }] }],
    });
    w.send(0);
    w.send(0);
    w.run(100);
    // a: 1.5 of its 2 threads' cores, speed 0.75, until t = 4/3; b: 0.25, having done 1/3; then 2 cores for b.
    const [a, b] = w.completed().sort((x, y) => x.end - y.end);
    expect(a.end).toBeCloseTo(4 / 3, 9);
    expect(b.end).toBeCloseTo(4 / 3 + 2 / 3 / 1, 9);
  });

  it('a pod without a limit uses idle cores up to its threads; with a limit, CFS quota throttles it per 100 ms period', () => {
    const run = (limit: number | undefined, seconds: number) => {
      const w = new TestWorld({
        cluster: sharedCluster(2),
        deployments: [{ name: 'svc', replicas: 1, cores: 0.5, ...(limit !== undefined && { cpuLimitCores: limit }), threads: 1, serviceTime: { dist: 'deterministic', value: seconds } }],
      });
      w.send(0);
      w.run(10);
      return w.completed()[0].end;
    };
    // No limit: one thread on an idle node gets a whole core (the service time is at its one thread).
    expect(run(undefined, 0.12)).toBeCloseTo(0.12, 12);
    // Limit 0.5: 50 ms of CPU per 100 ms period. A 20 ms batch fits in one period's quota; a
    // 120 ms batch runs 50 ms, waits to 100 ms, runs 50 ms, waits to 200 ms, runs its last 20 ms:
    // 220 ms, not the 240 ms of running at the limit's average rate.
    expect(run(0.5, 0.02)).toBeCloseTo(0.02, 12);
    expect(run(0.5, 0.12)).toBeCloseTo(0.22, 12);
  });

  it('background demand competes: system daemons, and a co-located client charged per request', () => {
    // Daemons keep 1 of 2 cores busy (weight 1); two pods of 0.5 cores (weight 0.5 each) share the other: half speed.
    const daemons = new TestWorld({
      cluster: sharedCluster(2, 1, { backgroundCores: 1 }),
      deployments: [{ name: 'svc', replicas: 2, cores: 0.5, queue: 'per-replica', serviceTime: { dist: 'deterministic', value: 1 } }],
    });
    daemons.send(0);
    daemons.send(0);
    daemons.run(10);
    for (const l of daemons.completed()) expect(l.end).toBeCloseTo(2, 9);
    // One core, a one-core pod and a client whose sending costs 0.5 s of CPU per request: both
    // run at half speed until the client is done at 1 s, then the pod's last 0.5 s at full speed.
    const client = new TestWorld({
      cluster: { ...sharedCluster(1), client: { cpuSecondsPerRequest: 0.5 } },
      deployments: [{ name: 'svc', replicas: 1, cores: 1, serviceTime: { dist: 'deterministic', value: 1 } }],
    });
    client.send(0);
    client.run(10);
    expect(client.completed()[0].end).toBeCloseTo(1.5, 9);
  });

  it('CPU usage that HPA reads is the cores a pod got, not the ones it asked for', () => {
    const w = new TestWorld({
      cluster: sharedCluster(1),
      deployments: [{ name: 'svc', replicas: 2, cores: 0.5, threads: 1, queue: 'per-replica', serviceTime: { dist: 'deterministic', value: 1 } }],
    });
    w.send(0);
    w.send(0);
    w.run(1);
    const pods = w.deployment('svc').pods;
    // Both busy from 0 to 2 on half a core each: 0.5 core-seconds each by t = 1.
    for (const pod of pods) expect(pod.cpuSeconds(1)).toBeCloseTo(0.5, 12);
    w.run(3);
    for (const pod of pods) expect(pod.cpuSeconds(3)).toBeCloseTo(1, 12);
  });

  it('a pod killed mid-batch frees its cores for the others', () => {
    const w = new TestWorld({
      cluster: sharedCluster(1),
      deployments: [{ name: 'svc', replicas: 2, cores: 0.5, queue: 'per-replica', lifecycle: { terminationGraceSeconds: 0.5 }, serviceTime: { dist: 'deterministic', value: 1 } }],
    });
    w.send(0);
    w.send(0);
    w.run(0.25);
    w.deployment('svc').scaleTo(1);
    w.run(10);
    // The newest pod goes: its request is dropped at 0.75 s; the other, half done by then, finishes 0.625 s later.
    expect(w.dropped()).toHaveLength(1);
    expect(w.completed()[0].end).toBeCloseTo(0.75 + 0.625, 9);
  });

  it('is deterministic and leaves the reserved default as it was', async () => {
    const spec = (cpu: 'shared' | 'reserved'): SpecInput => ({
      name: 'two-pods',
      seed: 5,
      duration: 2000,
      workload: { arrivals: { process: 'poisson', rate: 3 } },
      cluster: { cpu, nodePools: [{ name: 'pool', nodes: 1, cores: 2 }] },
      deployments: [{ name: 'svc', replicas: 2, cores: 1, queue: 'per-replica', serviceTime: { dist: 'exponential', mean: 0.5 } }],
    });
    const results = ({ wallSeconds, timing, ...rest }: Awaited<ReturnType<typeof simulate>>) => rest;
    const a = await simulate(spec('shared'));
    expect(results(await simulate(spec('shared')))).toEqual(results(a));
    // Requests that fit their cores never contend: the same latencies as reserved cores.
    const reserved = await simulate(spec('reserved'));
    expect(a.latencyMs.mean).toBeCloseTo(reserved.latencyMs.mean as number, 9);
    expect(a.latencyMs.p99).toBeCloseTo(reserved.latencyMs.p99 as number, 9);
  });
});

describe('an idle server\'s wake-up (deployment wakeUpSeconds)', () => {
  it('is paid by a batch that finds its lane idle, not by one that starts straight after the one before', () => {
    const w = new TestWorld({ deployments: [{ name: 'svc', replicas: 1, wakeUpSeconds: 0.5, serviceTime: { dist: 'deterministic', value: 1 } }] });
    w.send(1);
    w.send(1.2);
    w.send(10);
    w.run(100);
    // 1 → 2.5 (woken), 2.5 → 3.5 (queued: no wake-up), 10 → 11.5 (idle again).
    expect(w.completed().map((l) => l.end)).toEqual([2.5, 3.5, 11.5]);
  });
});
