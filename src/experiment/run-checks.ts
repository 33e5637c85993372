import { MIN_CONTROL_PERIOD_SECONDS } from '../engine/limits.js';
import type { EventTimeError } from '../engine/simulator.js';
import { InputError } from '../errors.js';
import { Deployment } from '../cluster/deployment.js';
import { Service } from '../cluster/service.js';
import type { ScopedPolicy } from '../control/loop.js';
import { ArrivalFeeder } from '../workload/workload.js';
import type { World } from './build.js';
import type { Spec } from './spec.js';

/**
 * The ways a run can be refused or stopped with one line instead of spinning for ever or ending
 * with a result that looks complete: checks before the run, and the errors that stop it.
 */

/**
 * A Poisson workload whose every rate is 0 within the run would end with nothing having happened,
 * a result that looks complete. (Not in the schema: a world with no arrivals is what tests build
 * to drive by hand.) MMPP's rates are checked by its schema.
 */
export function rejectSilentWorkload(spec: Spec): void {
  const arrivals = spec.workload.arrivals;
  if (arrivals?.process !== 'poisson') return;
  const horizon = spec.duration ?? Infinity;
  const steps = typeof arrivals.rate === 'number' ? [[0, arrivals.rate]] : arrivals.rate;
  // A step's rate holds from its time, so only steps that begin before the end can bring arrivals.
  if (!steps.some(([time, rate]) => rate > 0 && time < horizon)) {
    throw new InputError(`workload.arrivals.rate: every rate is 0 ${typeof arrivals.rate === 'number' ? '' : `before the end (${horizon} s) `}so no request would ever arrive: expected a positive rate`);
  }
}

/** A policy from a module may ask for any period; below the shortest control period it would spend the run deciding. */
export function rejectFastPolicies(policies: ScopedPolicy[]): void {
  for (const { policy } of policies) {
    if (policy.intervalSeconds < MIN_CONTROL_PERIOD_SECONDS) {
      throw new InputError(`policy ${policy.name}: intervalSeconds ${policy.intervalSeconds}: expected at least ${MIN_CONTROL_PERIOD_SECONDS} s (the shortest control period)`);
    }
  }
}

const figure = (x: number) => String(Number(x.toPrecision(4)));
const counted = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/**
 * The error that ends a run whose deployment reached the overload bound: its arrival rate so far
 * against its capacity, the completions per busy lane-second measured so far times its ready lanes.
 */
export function overloadStop(d: Deployment, now: number): never {
  const readyPods = d.pods.filter((pod) => pod.state === 'ready');
  const lanes = readyPods.reduce((n, pod) => n + pod.activeLanes(), 0);
  const busySeconds = d.busySeconds(now);
  const perLane = busySeconds > 0 ? d.metrics.completed / busySeconds : NaN;
  const capacity =
    lanes === 0 ? 'a capacity of 0 (no ready pod)' : Number.isNaN(perLane) || d.metrics.completed === 0 ? `no request finished yet (${counted(readyPods.length, 'ready pod')})` : `a capacity of about ${figure(perLane * lanes)} requests/s (${counted(readyPods.length, 'ready pod')}, ${counted(lanes, 'lane')})`;
  const rate = now > 0 ? `arrivals at ${figure(d.metrics.arrived / now)} requests/s` : `${d.metrics.arrived} arrivals at t = 0`;
  throw new InputError(
    `deployment "${d.name}" is overloaded: ${d.queueLength()} requests waiting at t = ${figure(now)} s, the bound overload.maxQueuedPerDeployment; ${rate} against ${capacity}. Add replicas or cores, lower the load, or set overload.action to "drop"`,
  );
}

/** A drain without a controller whose remaining requests sit where no pod will ever take them. */
export function stuckDrain(world: World, now: number): InputError {
  const stuck = [...world.deployments.values()]
    .filter((d) => d.inFlightCount() > 0)
    .map((d) => `"${d.name}" holds ${d.inFlightCount()}, with ${d.readyReplicaCount()} ready and ${d.pendingReplicaCount()} Pending pods`);
  const where = stuck.length > 0 ? stuck.join('; ') : 'none is in a deployment';
  return new InputError(`drain: ${world.service.live} requests can never finish (${where}) and no policy acts: the run stopped at ${figure(now)} s; give the deployment replicas (or room on a node), or set drain to false`);
}

/**
 * An impossible event time from a spec's numbers (a service time or a delay that is NaN, infinite
 * or negative) as an input error naming where it came from; any other is a bug, left as it is.
 */
export function explainEventTime(error: EventTimeError, spec: Spec): Error {
  const { handler, time, now } = error;
  const at = `at t = ${now} s`;
  if (handler instanceof Deployment) {
    const i = spec.deployments.findIndex((d) => d.name === handler.name);
    const d = spec.deployments[i];
    const source = d.serviceTime ?? d.profile ?? d.biathlon;
    return new InputError(`deployments[${i}] ("${handler.name}"): a service time of ${time - now} s ${at}: expected a finite time ≥ 0 from its source (${JSON.stringify(source)})`);
  }
  if (handler instanceof ArrivalFeeder) {
    return new InputError(`workload: an arrival at ${time} s ${at}: expected finite arrival times that never go back (${JSON.stringify(spec.workload.arrivals ?? spec.workload.trace)})`);
  }
  if (handler instanceof Service) {
    const outage = time === Infinity && spec.network?.upload !== undefined ? ': an upload while the bandwidth log shows 0 bytes would never finish' : '';
    return new InputError(`network: a delay of ${time - now} s ${at}: expected finite delays ≥ 0${outage} (${JSON.stringify(spec.network)})`);
  }
  return error;
}
