import { describe, expect, it } from 'vitest';
import { WeightedRoundRobin } from '../../src/cluster/router.js';
import { TestWorld } from '../helpers/world.js';

const fixed = (value: number) => ({ dist: 'deterministic', value }) as const;
const svc = (extra: Record<string, unknown> = {}) => ({ name: 'svc', replicas: 1, serviceTime: fixed(1), ...extra });

describe('batching', () => {
  it('waits up to maxWaitSeconds for a batch to fill, then serves what it has', () => {
    const w = new TestWorld({ deployments: [svc({ batching: { maxBatch: 3, maxWaitSeconds: 0.5 } })] });
    w.send(0);
    w.send(0.2);
    w.run(10);
    expect(w.completed().map((l) => [l.start, l.end])).toEqual([
      [0.5, 1.5],
      [0.5, 1.5],
    ]);
  });

  it('serves a full batch at once, and the next batch when the lane frees', () => {
    const w = new TestWorld({ deployments: [svc({ batching: { maxBatch: 2, maxWaitSeconds: 5 } })] });
    for (const t of [0, 0.1, 0.2, 0.3]) w.send(t);
    w.run(10);
    expect(w.completed().map((l) => l.start)).toEqual([0.1, 0.1, 1.1, 1.1]);
  });

  it('passes the batch size to the latency model (Sponge profile: larger batches take longer)', () => {
    const one = new TestWorld({ deployments: [{ name: 'y', replicas: 1, profile: { name: 'sponge', variant: 'yolov5', cv: 0 } }] });
    one.send(0);
    one.run(10);
    const four = new TestWorld({ deployments: [{ name: 'y', replicas: 1, batching: { maxBatch: 4, maxWaitSeconds: 0.01 }, profile: { name: 'sponge', variant: 'yolov5', cv: 0 } }] });
    for (let i = 0; i < 4; i++) four.send(0);
    four.run(10);
    const batch1 = one.completed()[0].end;
    const batch4 = four.completed()[0].end;
    // The fitted l(b, c) = γ·b/c + δ·b + ε/c + η: 0.070 s for one request, 0.138 s for four on one core.
    expect(batch1).toBeCloseTo(0.07, 3);
    expect(batch4).toBeCloseTo(0.138, 3);
    expect(four.completed().every((l) => l.start === 0 && l.end === batch4)).toBe(true);
  });
});

describe('queue discipline and drops', () => {
  it('EDF serves the earliest deadline first', () => {
    const w = new TestWorld({ deployments: [svc({ discipline: 'edf' })] });
    w.send(0, 100); // occupies the replica
    const late = w.send(0.1, 50);
    const urgent = w.send(0.2, 5);
    const middle = w.send(0.3, 20);
    w.run(10);
    expect(w.completed().map((l) => l.id)).toEqual([0, urgent, middle, late]);
  });

  it('drops an arrival that finds the queue full, and counts it', () => {
    const w = new TestWorld({ deployments: [svc({ queueLimit: 1 })] });
    for (const t of [0, 0.1, 0.2]) w.send(t);
    w.run(10);
    expect(w.completed()).toHaveLength(2);
    expect(w.dropped().map((l) => l.id)).toEqual([2]);
    expect(w.deployment('svc').metrics.dropped).toBe(1);
  });

  it('drops requests older than dropAfterSeconds when they reach the head', () => {
    const w = new TestWorld({ deployments: [svc({ dropAfterSeconds: 1.5 })] });
    for (const t of [0, 0, 0]) w.send(t);
    w.run(10);
    // The second starts at 1 (waited 1 s); the third would start at 2 (waited 2 s): dropped.
    expect(w.completed().map((l) => l.id)).toEqual([0, 1]);
    expect(w.dropped().map((l) => [l.id, l.end])).toEqual([[2, 2]]);
  });

  it('drops a request whose deadline passed while it waited (dropLate)', () => {
    const w = new TestWorld({ deployments: [svc({ dropLate: true })] });
    w.send(0, 10);
    w.send(0, 0.5);
    w.run(10);
    expect(w.dropped().map((l) => l.id)).toEqual([1]);
  });
});

describe('routing', () => {
  it('smooth weighted round-robin follows the weights evenly', () => {
    const wrr = new WeightedRoundRobin([3, 1]);
    const picks = Array.from({ length: 8 }, () => wrr.next());
    expect(picks).toEqual([0, 0, 1, 0, 0, 0, 1, 0]);
    const spread = new WeightedRoundRobin([5, 3, 2]);
    const counts = [0, 0, 0];
    for (let i = 0; i < 1000; i++) counts[spread.next()]++;
    expect(counts).toEqual([500, 300, 200]);
  });

  it('per-replica queues: round-robin spreads requests evenly over the replicas', () => {
    const w = new TestWorld({ deployments: [svc({ replicas: 3, queue: 'per-replica', router: 'round-robin', serviceTime: fixed(0.01) })] });
    for (let i = 0; i < 300; i++) w.send(i * 0.001);
    w.run(100);
    expect(w.completed()).toHaveLength(300);
    expect(w.deployment('svc').pods.map((p) => p.lanes.length)).toEqual([1, 1, 1]);
  });

  it('least-outstanding sends the next request to the idle replica', () => {
    const w = new TestWorld({ deployments: [svc({ replicas: 2, queue: 'per-replica', router: 'least-outstanding' })] });
    w.send(0);
    w.send(0.1);
    w.send(0.2);
    w.run(10);
    // Two replicas start at once; the third waits behind one of them.
    expect(w.completed().map((l) => l.start).sort()).toEqual([0, 0.1, 1]);
  });

  it('a stage splits its load over variants by weight', () => {
    const w = new TestWorld({
      deployments: [
        { name: 'a', replicas: 4, serviceTime: fixed(0.01), accuracy: 0.7 },
        { name: 'b', replicas: 4, serviceTime: fixed(0.01), accuracy: 0.8 },
      ],
      pipelines: [{ name: 'svc', stages: [{ name: 'only', deployments: ['a', 'b'], weights: [1, 3] }] }],
    });
    for (let i = 0; i < 400; i++) w.send(i * 0.01);
    w.run(100);
    expect(w.deployment('a').metrics.completed).toBe(100);
    expect(w.deployment('b').metrics.completed).toBe(300);
    expect(w.metrics.accuracySum / w.metrics.accuracyCount).toBeCloseTo(0.775, 10);
  });
});

describe('nodes and placement', () => {
  const cluster = (placement: 'first-fit' | 'best-fit') => ({
    nodePools: [
      { name: 'big', nodes: 1, cores: 8 },
      { name: 'small', nodes: 1, cores: 2 },
    ],
    placement,
  });

  it('first-fit takes the first node with room, best-fit the tightest', () => {
    const first = new TestWorld({ cluster: cluster('first-fit'), deployments: [svc({ cores: 2 })] });
    expect(first.deployment('svc').pods[0].node?.name).toBe('big-0');
    const best = new TestWorld({ cluster: cluster('best-fit'), deployments: [svc({ cores: 2 })] });
    expect(best.deployment('svc').pods[0].node?.name).toBe('small-0');
  });

  it('a pod that fits nowhere stays Pending, and is placed when room frees up', () => {
    const w = new TestWorld({
      cluster: { nodePools: [{ name: 'one', nodes: 1, cores: 4 }] },
      deployments: [svc({ replicas: 2, cores: 3 })],
    });
    const d = w.deployment('svc');
    expect(d.pods.map((p) => p.state)).toEqual(['ready', 'pending']);
    expect(d.pendingReplicaCount()).toBe(1);
    expect(d.cores()).toBe(3);
    d.scaleTo(1);
    w.run(1);
    expect(d.pods.map((p) => p.state)).toEqual(['ready']);
    d.reconfigure({ cores: 4 }, 'recreate');
    w.run(40);
    expect(d.pods.map((p) => [p.state, p.cores])).toEqual([['ready', 4]]);
  });
});

describe('pod lifecycle', () => {
  const lifecycle = { containerStartSeconds: 2, modelLoadSeconds: 6.44, warmupSeconds: 1, initialReady: false };

  it('a cold pod is ready after container start, model load and warm-up; requests wait for it', () => {
    const w = new TestWorld({ deployments: [svc({ lifecycle })] });
    const d = w.deployment('svc');
    w.send(1);
    w.run(5);
    expect(d.readyReplicaCount()).toBe(0);
    expect(d.cores()).toBe(1); // placed, so billed, while starting
    w.run(20);
    expect(w.completed()[0].start).toBeCloseTo(9.44, 10);
  });

  it('rolling replacement keeps serving: old pods retire only as new ones become ready, both billed meanwhile', () => {
    const w = new TestWorld({ deployments: [svc({ replicas: 2, serviceTime: fixed(0.1), lifecycle: { ...lifecycle, initialReady: true } })] });
    const d = w.deployment('svc');
    d.reconfigure({ cores: 2 }, 'rolling');
    w.run(1);
    expect(d.readyReplicaCount()).toBe(2);
    expect(d.cores()).toBe(2 * 1 + 2 * 2);
    w.run(20);
    expect(d.pods.map((p) => [p.state, p.cores])).toEqual([
      ['ready', 2],
      ['ready', 2],
    ]);
    expect(d.cores()).toBe(4);
  });

  it('recreate drops capacity to zero until the new pods are ready', () => {
    const w = new TestWorld({ deployments: [svc({ replicas: 2, lifecycle: { ...lifecycle, initialReady: true } })] });
    const d = w.deployment('svc');
    d.reconfigure({ cores: 2 }, 'recreate');
    w.run(1);
    expect(d.readyReplicaCount()).toBe(0);
    w.run(20);
    expect(d.readyReplicaCount()).toBe(2);
  });

  it('in-place resize changes cores after the resize delay, without a restart', () => {
    const w = new TestWorld({ deployments: [svc({ lifecycle: { resizeSeconds: 0.5 } })] });
    const d = w.deployment('svc');
    const pod = d.pods[0];
    d.reconfigure({ cores: 4 }, 'in-place');
    w.run(0.4);
    expect(pod.cores).toBe(1);
    w.run(0.6);
    expect(pod.cores).toBe(4);
    expect(d.pods[0]).toBe(pod);
    expect(pod.state).toBe('ready');
  });

  it('a terminating pod drops what it has not finished when the grace period ends, and counts it', () => {
    const w = new TestWorld({ deployments: [svc({ queue: 'per-replica', serviceTime: fixed(10), lifecycle: { terminationGraceSeconds: 5 } })] });
    w.send(0);
    w.send(0);
    w.run(1);
    w.deployment('svc').scaleTo(0);
    w.run(30);
    expect(w.dropped()).toHaveLength(2);
    expect(w.deployment('svc').pods).toHaveLength(0);
  });
});

describe('pipelines and network', () => {
  it('a two-stage chain: end-to-end latency adds stage service and network hops; accuracy is the product', () => {
    const w = new TestWorld({
      deployments: [
        { name: 'detect', replicas: 1, serviceTime: fixed(0.2), accuracy: 0.9 },
        { name: 'classify', replicas: 1, serviceTime: fixed(0.3), accuracy: 0.8 },
      ],
      pipelines: [{ name: 'video', stages: [{ name: 'detect', deployments: ['detect'] }, { name: 'classify', deployments: ['classify'] }] }],
      network: { hop: fixed(0.01) },
    });
    w.send(0);
    w.run(10);
    const [done] = w.completed();
    expect(done.end).toBeCloseTo(0.01 + 0.2 + 0.01 + 0.3 + 0.01, 10);
    expect(w.metrics.accuracySum).toBeCloseTo(0.72, 10);
  });

  it('dropAfterFrom "request": a stage drops what has been in the pipeline longer than its limit, however little it waited there (IPA\'s drop limit)', () => {
    const stages = (from: 'stage' | 'request') =>
      new TestWorld({
        deployments: [
          { name: 'first', replicas: 1, serviceTime: fixed(1) },
          { name: 'second', replicas: 1, serviceTime: fixed(0.1), dropAfterSeconds: 1.5, dropAfterFrom: from },
        ],
        pipelines: [{ name: 'p', stages: [{ name: 'a', deployments: ['first'] }, { name: 'b', deployments: ['second'] }] }],
      });
    for (const from of ['stage', 'request'] as const) {
      const w = stages(from);
      for (const t of [0, 0]) w.send(t);
      w.run(10);
      // The second request leaves the first stage at 2 s, 2 s after it entered, and waits no time at the second.
      expect(w.completed().map((l) => l.id), from).toEqual(from === 'stage' ? [0, 1] : [0]);
    }
  });

  it('fan-out and fan-in: the join stage starts when both branches are done', () => {
    const w = new TestWorld({
      deployments: [
        { name: 'split', replicas: 1, serviceTime: fixed(0.1) },
        { name: 'fast', replicas: 1, serviceTime: fixed(0.2) },
        { name: 'slow', replicas: 1, serviceTime: fixed(0.5) },
        { name: 'join', replicas: 1, serviceTime: fixed(0.1) },
      ],
      pipelines: [
        {
          name: 'dag',
          stages: [
            { name: 'split', deployments: ['split'] },
            { name: 'fast', deployments: ['fast'], after: ['split'] },
            { name: 'slow', deployments: ['slow'], after: ['split'] },
            { name: 'join', deployments: ['join'], after: ['fast', 'slow'] },
          ],
        },
      ],
    });
    w.send(0);
    w.run(10);
    expect(w.completed()).toHaveLength(1);
    expect(w.completed()[0].end).toBeCloseTo(0.1 + 0.5 + 0.1, 10);
    expect(w.metrics.completed).toBe(1);
    expect(w.deployment('join').metrics.completed).toBe(1);
  });

  it('upload time from a bandwidth log delays arrival at the first stage but not the deadline', () => {
    const w = new TestWorld({
      deployments: [svc({ serviceTime: fixed(0.05) })],
      network: { upload: { bandwidthLog: 'profiles/sponge/report_bus_0001.log', sizeKB: 200 } },
    });
    w.send(0, 1);
    w.run(10);
    // The log's first interval: 3,263,799 bytes in 725 ms = 4,501.8 bytes/ms; 200 KB take 45.5 ms.
    expect(w.completed()[0].end).toBeCloseTo((200 * 1024) / (3263799 / 725) / 1000 + 0.05, 6);
  });
});

describe('request conservation under reconfiguration', () => {
  it('no request is lost while pods are scaled, resized, replaced and removed mid-run', async () => {
    const { inFlightRequests } = await import('../../src/experiment/run.js');
    const w = new TestWorld({
      cluster: { nodePools: [{ name: 'pool', nodes: 2, cores: 6 }] },
      deployments: [
        svc({ replicas: 3, cores: 1, queue: 'per-replica', router: 'least-outstanding', serviceTime: { dist: 'exponential', mean: 0.05 }, lifecycle: { modelLoadSeconds: 2, terminationGraceSeconds: 1, initialReady: true } }),
        { name: 'central', replicas: 2, serviceTime: { dist: 'exponential', mean: 0.05 }, batching: { maxBatch: 4, maxWaitSeconds: 0.02 }, dropAfterSeconds: 3, lifecycle: { modelLoadSeconds: 1 } },
      ],
      pipelines: [{ name: 'p', stages: [{ name: 'a', deployments: ['svc'] }, { name: 'b', deployments: ['central'] }] }],
      network: { hop: { dist: 'exponential', mean: 0.002 } },
    });
    for (let i = 0; i < 6000; i++) w.send(i * 0.005);
    const a = w.deployment('svc');
    const b = w.deployment('central');
    const actions: [number, () => void][] = [
      [2, () => a.scaleTo(6)],
      [5, () => a.reconfigure({ cores: 2 }, 'in-place')],
      [8, () => b.reconfigure({ cores: 3 }, 'rolling')],
      [12, () => a.scaleTo(1)],
      [15, () => b.reconfigure({ cores: 1 }, 'recreate')],
      [20, () => a.scaleTo(0)],
      [22, () => a.scaleTo(4)],
    ];
    for (const [t, act] of actions) w.sim.at(t, { handleEvent: act });
    w.run(31);
    const m = w.metrics;
    const inFlight = inFlightRequests(w.world).size;
    expect(m.arrived).toBe(6000);
    expect(m.completed + m.dropped + inFlight).toBe(6000);
    expect(inFlight).toBe(w.world.service.live);
    expect(m.completed).toBeGreaterThan(1500);
    expect(m.dropped).toBeGreaterThan(0);
    w.run(200);
    expect(inFlightRequests(w.world).size).toBe(0);
    expect(m.completed + m.dropped).toBe(6000);
    expect(new Set(w.log.map((l) => l.id)).size).toBe(6000);
  });
});

describe('heterogeneous pools', () => {
  it('a GPU pod lands only on a node of its GPU type', () => {
    const w = new TestWorld({
      cluster: {
        nodePools: [
          { name: 'cpu', nodes: 2, cores: 32 },
          { name: 'a100', nodes: 1, cores: 16, gpus: 4, gpuType: 'A100' },
          { name: 'h100', nodes: 1, cores: 16, gpus: 8, gpuType: 'H100' },
        ],
      },
      deployments: [svc({ replicas: 3, gpus: 4, gpuType: 'H100' })],
    });
    expect(w.deployment('svc').pods.map((p) => [p.state, p.node?.name ?? null])).toEqual([
      ['ready', 'h100-0'],
      ['ready', 'h100-0'],
      ['pending', null],
    ]);
  });
});
