import type { Deployment } from './deployment.js';
import type { Lane, Pod } from './pod.js';

/**
 * Hears what happens to a deployment's pods and batches, for a trace of the run (`servesim run
 * --trace-events`). A deployment's `tracer` is null unless the run is traced, so an untraced run
 * pays a null test as each batch starts and ends, and nothing else. Calls come in simulated-time
 * order; a tracer only reads what it is given and never changes the run (it may set the
 * deployment's `tracer` back to null once it has heard enough).
 */
export interface ClusterTracer {
  /** The pod is in a new `pod.state` from `time` on (first call: it was created, pending). */
  podState(deployment: Deployment, pod: Pod, time: number): void;
  /** An in-place resize of the pod was asked for (true) or is over: applied, dropped or turned into an eviction (false). */
  podResizing(deployment: Deployment, pod: Pod, resizing: boolean, time: number): void;
  /** The lane starts serving its batch (`lane.size` requests on `lane.cores` cores). */
  batchStart(deployment: Deployment, lane: Lane, time: number): void;
  /** The lane's batch is over: served, or cut short when its pod's grace period ended (`cut`). */
  batchEnd(deployment: Deployment, lane: Lane, time: number, cut: boolean): void;
}
