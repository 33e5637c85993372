import { performance } from 'node:perf_hooks';
import { Deployment } from '../cluster/deployment.js';
import { RandomStreams } from '../engine/random.js';
import { Simulator } from '../engine/simulator.js';
import { initHistograms } from '../metrics/latency-stats.js';
import { RunMetrics, type RequestLog } from '../metrics/run-metrics.js';
import type { WindowRow } from '../metrics/timeseries.js';
import { serviceTimeSampler } from '../profiles/service-time.js';
import { ArrivalFeeder, openArrivals } from '../workload/workload.js';
import type { Spec } from './spec.js';
import { summarize, type Summary } from './summary.js';

export interface RunOptions {
  /** The trace file, resolved to a readable path (defaults to the spec's path as written). */
  tracePath?: string;
  onRow?: (row: WindowRow) => void;
  requestLog?: RequestLog;
  /** Called between steps with the fraction done, in [0, 1]. */
  onProgress?: (fraction: number) => void;
}

/** Simulated seconds between progress reports when the run's length is not known in advance. */
const OPEN_ENDED_STEP_SECONDS = 60;

/** Builds the simulated world a spec describes, runs it and returns its summary. */
export async function runSpec(spec: Spec, options: RunOptions = {}): Promise<Summary> {
  await initHistograms();
  const wallStart = performance.now();
  const sim = new Simulator();
  const streams = new RandomStreams(spec.seed);
  const metrics = new RunMetrics(sim, spec.window, options.onRow ?? (() => {}), options.requestLog ?? null);
  const deployments = spec.deployments.map(
    (d) => new Deployment(sim, d, serviceTimeSampler(d.serviceTime, streams.uniform(`service:${d.name}`)), (view) => metrics.track(view)),
  );
  const target = deployments.find((d) => d.name === (spec.workload.deployment ?? spec.deployments[0].name)) as Deployment;
  const arrivals = openArrivals(spec.workload, streams, options.tracePath);
  const horizon = spec.duration ?? Infinity;
  const feeder = new ArrivalFeeder(sim, arrivals, target, spec.workload.slo ?? Infinity, horizon);
  metrics.start();
  feeder.start();

  const end = () => (spec.duration ?? (feeder.exhausted ? arrivals.end : Infinity));
  const step = Number.isFinite(horizon) ? horizon / 100 : OPEN_ENDED_STEP_SECONDS;
  for (let stop = end(); sim.now < stop; stop = end()) {
    sim.runUntil(Math.min(stop, sim.now + step));
    options.onProgress?.(Number.isFinite(horizon) ? sim.now / horizon : (arrivals.progress?.() ?? 0));
  }
  const inFlight = () => deployments.reduce((sum, d) => sum + d.inFlightCount(), 0);
  if (spec.drain) while (inFlight() > 0) sim.runUntil(sim.now + spec.window);

  const duration = sim.now;
  metrics.finish(duration);
  const summary = summarize(spec, metrics, duration, inFlight(), sim.eventsHandled, (performance.now() - wallStart) / 1000);
  metrics.destroy();
  checkConservation(summary);
  return summary;
}

/** Every request that arrived is completed, dropped, or still in flight: none may vanish. */
function checkConservation(s: Summary): void {
  if (s.requests !== s.completed + s.dropped + s.inFlight) {
    throw new Error(
      `request conservation violated: ${s.requests} arrived != ${s.completed} completed + ${s.dropped} dropped + ${s.inFlight} in flight`,
    );
  }
}
