import type { EventHandler } from '../engine/event-queue.js';
import type { RandomStreams } from '../engine/random.js';
import type { Simulator } from '../engine/simulator.js';
import { gammaArrivals, mmppArrivals, poissonArrivals, scheduledPoissonArrivals, type ArrivalProcess } from './arrivals.js';
import { Request } from './request.js';
import type { WorkloadSpec } from './schema.js';
import { openTrace, type TraceLimit } from './trace.js';

/** Where arriving requests go. */
export interface RequestSink {
  accept(request: Request): void;
}

/**
 * The arrival process a workload spec describes. `tracePath` is the trace file, already resolved;
 * `horizon` is where the run stops generating arrivals (its duration); a trace must not run past
 * `limit` (see `TraceLimit`).
 */
export function openArrivals(spec: WorkloadSpec, streams: RandomStreams, tracePath?: string, horizon = Infinity, limit?: TraceLimit): ArrivalProcess {
  const u = streams.uniform('arrivals');
  if (spec.trace !== undefined) return openTrace(spec.trace, tracePath ?? spec.trace.file, u, streams.uniform('trace-rounding'), limit);
  const arrivals = spec.arrivals;
  switch (arrivals?.process) {
    case 'poisson':
      return typeof arrivals.rate === 'number'
        ? poissonArrivals(u, arrivals.rate)
        : scheduledPoissonArrivals(u, arrivals.rate.map(([time, rate]) => ({ time, rate })));
    case 'gamma':
      return gammaArrivals(u, arrivals.rate, arrivals.cv);
    case 'mmpp':
      return mmppArrivals(u, arrivals.rates, arrivals.meanDurations, horizon);
    default:
      throw new Error(`workload without arrivals or trace reached the simulator`);
  }
}

/**
 * Turns arrival times into requests handed to a sink: one pending event at a time, so the event
 * set stays small however long the trace. Arrivals at or after `horizon` are not generated; an
 * impossible time (NaN, or before the previous arrival) reaches the simulator, which refuses it.
 */
export class ArrivalFeeder implements EventHandler {
  private nextId = 0;
  /** True once the process has no more arrivals before the horizon. */
  exhausted = false;

  constructor(
    private readonly sim: Simulator,
    private readonly process: ArrivalProcess,
    private readonly sink: RequestSink,
    private readonly sloSeconds: number,
    private readonly horizon: number,
    /** Called once, when the process has no more arrivals before the horizon. */
    private readonly onExhausted: () => void = () => {},
  ) {}

  start(): void {
    this.scheduleNext();
  }

  handleEvent(): void {
    const now = this.sim.now;
    this.sink.accept(new Request(this.nextId++, now, now + this.sloSeconds));
    this.scheduleNext();
  }

  private scheduleNext(): void {
    const time = this.process.next();
    if (time >= this.horizon) {
      this.exhausted = true;
      this.onExhausted();
    } else this.sim.post(time, this);
  }
}
