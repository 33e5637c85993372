import { describe, expect, it } from 'vitest';
import { BatchMeans } from '../../src/metrics/batch-means.js';
import { serviceTimeMoments, type ServiceTimeSpec } from '../../src/profiles/service-time.js';
import { erlangB, mg1Wait, mmckTheory, mmcWait } from '../helpers/queueing.js';
import { queueSpec, simulate } from '../helpers/run.js';
import { TestWorld } from '../helpers/world.js';

/**
 * Queueing conformance: the simulated mean wait against theory. Service means are 1 s, so the
 * rate is the load per server; each run covers millions of customers so that the 99% batch-means
 * interval is narrow enough to also hold the 2% bound.
 */
interface Case {
  name: string;
  servers: number;
  load: number;
  service: ServiceTimeSpec;
  customers: number;
}

const cases: Case[] = [
  { name: 'M/M/1 at 0.5', servers: 1, load: 0.5, service: { dist: 'exponential', mean: 1 }, customers: 2e6 },
  { name: 'M/M/1 at 0.9', servers: 1, load: 0.9, service: { dist: 'exponential', mean: 1 }, customers: 8e6 },
  { name: 'M/M/4 at 0.9', servers: 4, load: 0.9, service: { dist: 'exponential', mean: 1 }, customers: 6e6 },
  { name: 'M/M/8 at 0.7', servers: 8, load: 0.7, service: { dist: 'exponential', mean: 1 }, customers: 3e6 },
  { name: 'M/D/1 at 0.8', servers: 1, load: 0.8, service: { dist: 'deterministic', value: 1 }, customers: 3e6 },
  { name: 'M/G/1 lognormal cv 2 at 0.7', servers: 1, load: 0.7, service: { dist: 'lognormal', mean: 1, cv: 2 }, customers: 6e6 },
  { name: 'M/G/1 gamma cv 0.5 at 0.9', servers: 1, load: 0.9, service: { dist: 'gamma', mean: 1, cv: 0.5 }, customers: 6e6 },
];

function theoryWaitSeconds(c: Case): number {
  const lambda = c.load * c.servers;
  const { mean, secondMoment } = serviceTimeMoments(c.service);
  return c.servers === 1 ? mg1Wait(lambda, mean, secondMoment) : mmcWait(lambda, mean, c.servers);
}

describe('queueing conformance (mean wait in queue)', () => {
  it.each(cases)('$name', async (c) => {
    const lambda = c.load * c.servers;
    const s = await simulate(queueSpec(c.name, lambda, c.servers, c.service, c.customers / lambda));
    const theoryMs = theoryWaitSeconds(c) * 1000;
    const [low, high] = s.waitMs.ci99 as [number, number];
    expect(theoryMs).toBeGreaterThanOrEqual(low);
    expect(theoryMs).toBeLessThanOrEqual(high);
    expect(Math.abs((s.waitMs.mean as number) / theoryMs - 1)).toBeLessThan(0.02);
  });

  it("Little's law: time-average number in system = arrival rate × mean time in system", async () => {
    const s = await simulate(queueSpec('little', 3.2, 4, { dist: 'lognormal', mean: 1, cv: 1.5 }, 2e5));
    const d = s.deployments[0];
    const inSystem = (d.utilization as number) * 4 + d.meanQueueLength;
    const lambdaW = (s.requests / s.duration) * ((s.latencyMs.mean as number) / 1000);
    expect(Math.abs(inSystem / lambdaW - 1)).toBeLessThan(0.005);
  });

  it('the contract spec mm4 lands near Erlang C (29.69 ms), inside its own 99% interval', async () => {
    const s = await simulate({
      name: 'mm4',
      seed: 7,
      duration: 1000,
      workload: { arrivals: { process: 'poisson', rate: 360 } },
      deployments: [{ name: 'svc', replicas: 4, serviceTime: { dist: 'exponential', mean: 0.01 } }],
      policy: { name: 'static' },
    });
    const theoryMs = (mmcWait(360, 0.01, 4) + 0.01) * 1000;
    expect(theoryMs).toBeCloseTo(29.69, 2);
    const [low, high] = s.latencyMs.ci99 as [number, number];
    expect(theoryMs).toBeGreaterThanOrEqual(low);
    expect(theoryMs).toBeLessThanOrEqual(high);
  });
});

/**
 * Loss and finite-capacity systems: `queueLimit` requests may wait, so `queueLimit: 0` on c
 * servers is M/M/c/c (Erlang B) and `queueLimit: K − c` is M/M/c/K. The blocking probability's
 * 99% interval is by batch means: each arrival, in arrival order, is a 0/1 observation (dropped
 * or not) fed to the run's own batch-means helper (32 to 64 batches of consecutive arrivals, a
 * Student t interval on the batch proportions), which allows for the correlation between
 * neighbouring arrivals' fates that a plain binomial interval would ignore.
 */
interface LossCase {
  name: string;
  servers: number;
  /** Offered load a = λ/μ (service means are 1 s). */
  offered: number;
  queueLimit: number;
  queue?: 'central' | 'per-replica';
  router?: 'least-outstanding';
  customers: number;
}

const lossCases: LossCase[] = [
  { name: 'M/M/4/4 (Erlang B) at offered load 3.6', servers: 4, offered: 3.6, queueLimit: 0, customers: 1e6 },
  // Least-outstanding routing sends an arrival to an idle replica whenever there is one: the same loss system.
  { name: 'M/M/4/4 with per-replica queues, least-outstanding', servers: 4, offered: 3.6, queueLimit: 0, queue: 'per-replica', router: 'least-outstanding', customers: 1e6 },
  { name: 'M/M/2/6 at offered load 1.8', servers: 2, offered: 1.8, queueLimit: 4, customers: 1e6 },
];

async function simulateLoss(c: LossCase) {
  const spec = queueSpec(c.name, c.offered, c.servers, { dist: 'exponential', mean: 1 }, c.customers / c.offered);
  Object.assign(spec.deployments[0], { queueLimit: c.queueLimit, queue: c.queue ?? 'central', ...(c.router && { router: c.router }) });
  const outcome: number[] = [];
  const s = await simulate(spec, { requestLog: (request, _where, status) => void (status !== 'in_flight' && (outcome[request.id] = status === 'dropped' ? 1 : 0)) });
  const blocked = new BatchMeans();
  for (const x of outcome) if (x !== undefined) blocked.add(x);
  return { s, ci: blocked.interval99() as [number, number] };
}

describe('queueing conformance (blocking probability with a queue limit)', () => {
  it('Erlang B and M/M/c/K closed forms match known values', () => {
    expect(erlangB(4, 3)).toBeCloseTo(0.2061, 4);
    expect(erlangB(4, 3.6)).toBeCloseTo(0.2707, 4);
    expect(erlangB(10, 5)).toBeCloseTo(0.01838, 5);
    // With K = c, M/M/c/K is the loss system; with K large it tends to M/M/c.
    expect(mmckTheory(3.6, 1, 4, 4).blocking).toBeCloseTo(erlangB(4, 3.6), 12);
    expect(mmckTheory(3.6, 1, 4, 4).waitSeconds).toBe(0);
    expect(mmckTheory(3.6, 1, 4, 2000).waitSeconds).toBeCloseTo(mmcWait(3.6, 1, 4), 9);
  });

  it.each(lossCases)('$name', async (c) => {
    const theory = mmckTheory(c.offered, 1, c.servers, c.servers + c.queueLimit);
    const { s, ci } = await simulateLoss(c);
    const blocking = s.dropped / s.requests;
    expect(ci[0]).toBeLessThanOrEqual(theory.blocking);
    expect(theory.blocking).toBeLessThanOrEqual(ci[1]);
    expect(Math.abs(blocking / theory.blocking - 1)).toBeLessThan(0.02);
    if (c.queueLimit === 0) {
      expect(s.waitMs.max).toBe(0);
      expect(s.deployments[0].meanQueueLength).toBe(0);
    } else {
      const theoryMs = theory.waitSeconds * 1000;
      const [low, high] = s.waitMs.ci99 as [number, number];
      expect(theoryMs).toBeGreaterThanOrEqual(low);
      expect(theoryMs).toBeLessThanOrEqual(high);
      expect(Math.abs((s.waitMs.mean as number) / theoryMs - 1)).toBeLessThan(0.02);
    }
  });
});

describe('queueLimit counts waiting requests only', () => {
  const svc = (extra: object) => ({ name: 'svc', replicas: 1, serviceTime: { dist: 'deterministic' as const, value: 1 }, ...extra });

  it('queueLimit 0: an arrival that finds a free lane is served, one that would wait is dropped', () => {
    const w = new TestWorld({ deployments: [svc({ replicas: 2, queueLimit: 0 })] });
    for (const t of [0, 0.1, 0.2, 1.5]) w.send(t);
    w.run(10);
    expect(w.completed().map((l) => l.id)).toEqual([0, 1, 3]);
    expect(w.dropped().map((l) => l.id)).toEqual([2]);
  });

  it('per-replica queues: the limit is on the deployment total; a replica with a free lane still serves', () => {
    const w = new TestWorld({ deployments: [svc({ replicas: 2, queue: 'per-replica', router: 'round-robin', queueLimit: 1 })] });
    // 0 → A and 1 → B start; 2 → A waits (1 waiting); 3 → B would wait: dropped. At 1 A starts 2;
    // 4 → A at 1.15 waits behind it (1 waiting); 5 → B at 1.2 finds B idle: served although 1 waits.
    for (const t of [0, 0.1, 0.2, 0.3, 1.15, 1.2]) w.send(t);
    w.run(10);
    expect(w.dropped().map((l) => l.id)).toEqual([3]);
    expect(w.completed().map((l) => [l.id, l.end])).toEqual([[0, 1], [1, 1.1], [2, 2], [5, 2.2], [4, 3]]);
  });

  it('a request joining a forming batch waits, so it counts against the limit', () => {
    const w = new TestWorld({ deployments: [svc({ queueLimit: 1, batching: { maxBatch: 3, maxWaitSeconds: 0.5 } })] });
    // 0 waits for its batch to fill; 1 and 2 would join it with one waiting: dropped. The batch
    // [0] leaves at 0.5; 3 at 0.6 may wait again (none waits).
    for (const t of [0, 0.1, 0.4]) w.send(t);
    w.send(0.6);
    w.run(10);
    expect(w.dropped().map((l) => l.id)).toEqual([1, 2]);
    expect(w.completed().map((l) => l.id)).toEqual([0, 3]);
  });

  it('queueLimit 0 with batching but no wait: each arrival on a free lane starts at once', () => {
    const w = new TestWorld({ deployments: [svc({ queueLimit: 0, batching: { maxBatch: 4, maxWaitSeconds: 0 } })] });
    for (const t of [0, 0.5, 1.2]) w.send(t);
    w.run(10);
    expect(w.completed().map((l) => l.id)).toEqual([0, 2]);
    expect(w.dropped().map((l) => l.id)).toEqual([1]);
  });
});
