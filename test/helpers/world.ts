import { SimulatedControlPlane } from '../../src/cluster/control-plane.js';
import { ControlLoop } from '../../src/control/loop.js';
import type { Policy } from '../../src/control/types.js';
import { RandomStreams } from '../../src/engine/random.js';
import { Simulator } from '../../src/engine/simulator.js';
import { buildWorld, type World } from '../../src/experiment/build.js';
import { validateSpec } from '../../src/experiment/load-spec.js';
import type { SpecInput } from '../../src/experiment/spec.js';
import { RunMetrics, type RequestStatus } from '../../src/metrics/run-metrics.js';
import type { WindowRow } from '../../src/metrics/timeseries.js';
import { Request } from '../../src/workload/request.js';

export interface Logged {
  id: number;
  status: RequestStatus;
  where: string;
  arrival: number;
  start: number;
  end: number;
}

/** A simulated world built from a spec, driven by hand: send requests at chosen times, run, inspect. */
export class TestWorld {
  readonly sim = new Simulator();
  readonly metrics: RunMetrics;
  readonly world: World;
  readonly log: Logged[] = [];
  readonly rows: WindowRow[] = [];
  private nextId = 0;

  constructor(spec: Omit<SpecInput, 'name' | 'workload' | 'duration'> & Partial<SpecInput>) {
    const full = validateSpec({ name: 'test', duration: 1, workload: { arrivals: { process: 'poisson', rate: 0 } }, ...spec }, 'test');
    this.metrics = new RunMetrics(this.sim, full.window, (row) => this.rows.push(row), (request, where, status, end) =>
      this.log.push({ id: request.id, status, where, arrival: request.arrivalTime, start: request.startTime, end }),
    );
    this.world = buildWorld(full, this.sim, new RandomStreams(full.seed), this.metrics, (f) => f);
    this.metrics.start();
  }

  /** Starts a policy on this world, metrics-server scraping at `scrapeOffsetSeconds` (undefined: the default) every 15 s. */
  control(policy: Policy, scrapeOffsetSeconds?: number): ControlLoop {
    const noVariants = () => {
      throw new Error('no variants in a test world');
    };
    const plane = new SimulatedControlPlane(this.sim, this.world.deployments, this.world.service, () => this.metrics.arrived, 15, noVariants, scrapeOffsetSeconds);
    const loop = new ControlLoop(plane, plane, [{ policy, targets: null }]);
    plane.start();
    loop.start();
    return loop;
  }

  /** Sends a request at time `at` with an optional SLO; returns its id. */
  send(at: number, slo = Infinity): number {
    const id = this.nextId++;
    this.sim.at(at, { handleEvent: () => this.world.service.accept(new Request(id, at, at + slo)) });
    return id;
  }

  run(until: number): this {
    this.sim.runUntil(until);
    return this;
  }

  deployment(name: string) {
    const d = this.world.deployments.get(name);
    if (d === undefined) throw new Error(`no deployment ${name}`);
    return d;
  }

  completed(): Logged[] {
    return this.log.filter((l) => l.status === 'completed');
  }

  dropped(): Logged[] {
    return this.log.filter((l) => l.status === 'dropped');
  }
}
