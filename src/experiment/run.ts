import { longestRunSeconds, MAX_WINDOWS_PER_RUN } from '../engine/limits.js';
import { RandomStreams } from '../engine/random.js';
import { EventTimeError, Simulator } from '../engine/simulator.js';
import { WindowP99Violations } from '../metrics/prometheus-histogram.js';
import { RunMetrics, type RequestLog, type ServiceWindowRow } from '../metrics/run-metrics.js';
import type { WindowRow } from '../metrics/timeseries.js';
import type { Request } from '../workload/request.js';
import { ArrivalFeeder, openArrivals } from '../workload/workload.js';
import type { TraceLimit } from '../workload/trace.js';
import { InputError } from '../errors.js';
import { resolvePath } from '../io/path.js';
import { prepareServiceTimes } from '../profiles/service-time-source.js';
import { buildWorld, controllerCost, stageOfDeployment, variantOf, type World } from './build.js';
import { createPolicies, policyContext, policyLabel } from './policies.js';
import { SimulatedControlPlane } from '../cluster/control-plane.js';
import type { Deployment } from '../cluster/deployment.js';
import type { ClusterTracer } from '../cluster/tracer.js';
import { ControlLoop, type Decision, type ScopedPolicy } from '../control/loop.js';
import type { Spec } from './spec.js';
import { explainEventTime, overloadStop, rejectFastPolicies, rejectSilentWorkload, stuckDrain } from './run-checks.js';
import { summarize, type Summary } from './summary.js';

export interface RunOptions {
  /** Turns a data file named in the spec (trace, profile, bandwidth log) into a readable path. */
  resolve?: (file: string) => string;
  onRow?: (row: WindowRow) => void;
  /** End-to-end rows per window over the whole service (not written to timeseries.csv). */
  onServiceRow?: (row: ServiceWindowRow) => void;
  requestLog?: RequestLog;
  /** Called between steps with the fraction done, in [0, 1]. */
  onProgress?: (fraction: number) => void;
  /** Turns a policy module named in the spec into a path (default: from the working directory). */
  resolveModule?: (file: string) => string;
  /** Hears of the run's policies once they are built, for a caller that reads their decisions afterwards. */
  onPolicies?: (policies: ScopedPolicy[]) => void;
  /** Watches the run from inside: pods, batches, decisions and sampled counters (`servesim run --trace-events`). */
  tracer?: RunTracer;
}

/**
 * Watches a run from inside (src/report/trace-events.ts writes what it hears as a trace): the
 * deployments' pods and batches, the control loop's decisions, and the state of the world sampled
 * at the times it asks for, between events. It reads and never changes anything, and it posts no
 * events, so a traced run's results are the untraced run's.
 */
export interface RunTracer extends ClusterTracer {
  /** The world is built and nothing has happened yet: its deployments in spec order (their pods as created), and its policies' names. */
  start(deployments: readonly Deployment[], policies: readonly string[], now: number): void;
  /** A policy decided and its actions were carried out. */
  decision(decision: Decision): void;
  /** The next simulated time it samples at (never before the last), or Infinity. */
  nextSample(): number;
  /** Every event before `time` has been handled and none at it: the world as it is just before `time`. */
  sample(time: number): void;
  /** The run ended at `time` (not called when it fails). */
  finish(time: number): void;
}

/** Simulated seconds between progress reports when the run's length is not known in advance. */
const OPEN_ENDED_STEP_SECONDS = 60;

/**
 * Builds the simulated world a spec describes, runs it and returns its summary. A run that could
 * never end, or could not mean what it seems to, is an InputError before it starts where the spec
 * tells (every rate 0, a controller's period below the shortest), else as soon as the run shows it
 * (a trace past the longest run, an overloaded queue, a drain that cannot finish, an impossible
 * service or arrival time).
 */
export async function runSpec(spec: Spec, options: RunOptions = {}): Promise<Summary> {
  rejectSilentWorkload(spec);
  await prepareServiceTimes(spec.deployments);
  const wallStart = performance.now();
  const sim = new Simulator();
  const streams = new RandomStreams(spec.seed);
  const serverWindow = spec.workload.slo === undefined ? null : new WindowP99Violations(spec.workload.slo);
  const metrics = new RunMetrics(sim, spec.window, options.onRow ?? (() => {}), options.requestLog ?? null, options.onServiceRow ?? null, serverWindow);
  const resolve = options.resolve ?? ((file: string) => file);
  const world = buildWorld(spec, sim, streams, metrics, resolve);
  const horizon = spec.duration ?? Infinity;
  const longest = longestRunSeconds(spec.window);
  // With a duration the spec's bounds already hold; without one, the trace says how long the run is.
  const traceLimit: TraceLimit | undefined =
    spec.duration === undefined ? { seconds: longest, why: `at most ${MAX_WINDOWS_PER_RUN} windows of ${spec.window} s: set a longer "window", or a "duration"` } : undefined;
  const arrivals = openArrivals(spec.workload, streams, spec.workload.trace && resolve(spec.workload.trace.file), horizon, traceLimit);
  // Without a duration the run ends where the trace does: stop at its last arrival, then run on to its end, never past it.
  const feeder = new ArrivalFeeder(sim, arrivals, world.service, spec.workload.slo ?? Infinity, horizon, () => {
    if (spec.duration === undefined) sim.stop();
  });
  for (const d of world.deployments.values()) {
    d.limitQueue({ maxQueued: spec.overload.maxQueuedPerDeployment, action: spec.overload.action, stop: (overloaded) => overloadStop(overloaded, sim.now) });
  }
  const facts = (name: string) => {
    const d = world.deployments.get(name);
    return d === undefined ? undefined : { spec: d.spec, variant: d.variantName(), accuracy: d.accuracy };
  };
  const policies = await createPolicies(
    spec,
    policyContext(spec.metricsServer.scrapeSeconds, facts, resolve),
    options.resolveModule ?? ((file) => resolvePath(file)),
  );
  rejectFastPolicies(policies);
  options.onPolicies?.(policies);
  const variantFor = (d: Deployment, variant: string) => {
    if (d.spec.profile === undefined) throw new InputError(`deployment "${d.name}" has no profile to take variant "${variant}" from`);
    return variantOf({ ...d.spec, profile: { ...d.spec.profile, variant } }, streams, resolve);
  };
  const plane = new SimulatedControlPlane(sim, world.deployments, world.service, () => metrics.arrived, spec.metricsServer.scrapeSeconds, variantFor, spec.metricsServer.scrapeOffsetSeconds);
  const stages = stageOfDeployment(spec);
  const loop = policies.length === 0 ? null : new ControlLoop(plane, plane, policies, (d) => stages.get(d), controllerCost(spec, world.cluster));
  const tracer = options.tracer ?? null;
  if (tracer !== null) {
    const deployments = [...world.deployments.values()];
    for (const d of deployments) d.tracer = tracer;
    tracer.start(deployments, policies.map((p) => p.policy.name), sim.now);
    if (loop !== null) loop.onDecision = (decision) => tracer.decision(decision);
  }
  /**
   * Runs the simulation up to `horizon`. A traced run stops on the way at each time its tracer
   * samples at: handling events in more, shorter steps changes nothing, as no handler sees where a
   * step ends (a handler that stops the run still stops it at the same event).
   */
  const runTo =
    tracer === null
      ? (horizon: number) => sim.runUntil(horizon)
      : (horizon: number) => {
          for (let at = tracer.nextSample(); at < horizon; at = tracer.nextSample()) {
            sim.runUntil(at);
            if (sim.now < at) return; // stopped by a handler before `at`
            tracer.sample(at);
          }
          sim.runUntil(horizon);
        };
  const beforeMetrics = sim.pendingEvents;
  metrics.start();
  /** Events that recur for ever whatever happens (the windows'): with only these left, nothing else can. */
  const recurringEvents = sim.pendingEvents - beforeMetrics;
  try {
    feeder.start();
    if (loop !== null) {
      plane.start();
      loop.start();
    }

    const end = () => (spec.duration ?? (feeder.exhausted ? arrivals.end : Infinity));
    const step = Number.isFinite(horizon) ? horizon / 100 : OPEN_ENDED_STEP_SECONDS;
    for (let stop = end(); sim.now < stop; stop = end()) {
      runTo(Math.min(stop, sim.now + step));
      options.onProgress?.(Number.isFinite(horizon) ? sim.now / horizon : (arrivals.progress?.() ?? 0));
    }
    if (spec.drain) {
      while (world.service.live > 0) {
        // Without a controller nothing can change once only the windows' events are left.
        if (loop === null && sim.pendingEvents <= recurringEvents) throw stuckDrain(world, sim.now);
        if (sim.now >= longest) throw new InputError(`drain: ${world.service.live} requests still unfinished at ${sim.now} s, the longest run (at most ${MAX_WINDOWS_PER_RUN} windows of ${spec.window} s)`);
        runTo(Math.min(sim.now + spec.window, longest));
      }
    }
  } catch (error) {
    throw error instanceof EventTimeError ? explainEventTime(error, spec) : error;
  }

  const duration = sim.now;
  tracer?.finish(duration);
  metrics.finish(duration);
  const inFlight = inFlightRequests(world);
  for (const [request, where] of inFlight) metrics.inFlight(request, where);
  const solveSeconds = policies.flatMap((p) => p.policy.solveSeconds ?? []);
  const control = { policy: policyLabel(policies), reconfigurations: loop?.reconfigurations ?? 0, solveSeconds: solveSeconds.length > 0 ? solveSeconds : undefined };
  const summary = summarize(spec, metrics, duration, inFlight.size, sim.eventsHandled, control, (performance.now() - wallStart) / 1000);
  checkConservation(summary, world.service.live);
  return summary;
}

/** The requests still queued, in service or on the network, each once (branches count as their request). */
export function inFlightRequests(world: World): Map<Request, string> {
  const found = new Map<Request, string>();
  for (const d of world.deployments.values()) for (const r of d.inFlight()) if (!r.root.failed && !found.has(r.root)) found.set(r.root, d.name);
  for (const r of world.service.transit()) if (!r.root.failed && !found.has(r.root)) found.set(r.root, 'network');
  return found;
}

/**
 * Every request that arrived is completed, dropped, or still in flight, and the requests found in
 * flight are exactly those the service has not finished: none may vanish or be counted twice.
 */
function checkConservation(s: Summary, live: number): void {
  if (s.requests !== s.completed + s.dropped + s.inFlight || s.inFlight !== live) {
    throw new Error(
      `request conservation violated: ${s.requests} arrived, ${s.completed} completed + ${s.dropped} dropped + ${s.inFlight} found in flight (${live} unfinished)`,
    );
  }
}
