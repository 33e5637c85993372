import { describe, expect, it } from 'vitest';
import { serviceTimeMoments, type ServiceTimeSpec } from '../src/profiles/service-time.js';
import { mg1Wait, mmcWait } from './helpers/queueing.js';
import { queueSpec, simulate } from './helpers/run.js';

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
