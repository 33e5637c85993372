/**
 * The control interface: what a controller sees (Observation) and what it may do (Action). Both
 * are plain data with the same meaning for the simulated cluster and for the real-hardware runner,
 * so one policy file drives both.
 */

/** One pod as the Kubernetes API and metrics-server show it. Times in seconds. */
export interface PodObservation {
  id: number;
  /** Pending: not placed, or its container not started yet; Running: its container runs (starting or ready); Terminating: on its way out. */
  phase: 'Pending' | 'Running' | 'Terminating';
  ready: boolean;
  /** When the pod was placed and its containers started; null while pending. */
  startTime: number | null;
  /** When it became ready; null if it has not. */
  readyTime: number | null;
  cpuRequestCores: number;
  /** The latest CPU usage sample metrics-server holds for the pod (cores), and when it was taken. */
  cpuUsageCores: number | null;
  metricTime: number | null;
  /** The span the sample averages over, ending at `metricTime` (the metrics API's `window`). */
  metricWindowSeconds: number | null;
  /** Requests per second it finished over the latest metrics window (a per-pod custom metric). */
  requestsPerSecond: number | null;
}

export interface DeploymentObservation {
  name: string;
  /** Desired replicas (the scale subresource's spec.replicas). */
  replicas: number;
  readyReplicas: number;
  /** Cores new pods get. */
  coresPerReplica: number;
  variant: string;
  accuracy: number | null;
  pods: PodObservation[];
  /** Requests waiting in the deployment's queues, not yet in service. */
  queueLength: number;
  /**
   * Requests in the deployment now, waiting or in service (with a central queue, those waiting
   * while no pod is ready count too): the concurrency Knative's queue-proxy and activator report.
   */
  inFlight: number;
}

export interface Observation {
  now: number;
  /** Requests that reached the service in each whole second, oldest first (the last `historySeconds`). */
  arrivalsPerSecond: number[];
  /**
   * Aligned with `arrivalsPerSecond`: the smallest remaining SLO budget (deadline − arrival at the
   * first stage, seconds) of the requests that reached the first stage in each second, Infinity in a
   * second without any; what a client that reports its uplink time lets a controller see (Sponge).
   * Absent where the world does not know it (the testbed has no modelled uplink).
   */
  budgetPerSecond?: number[];
  deployments: DeploymentObservation[];
}

/** How a change of cores or variant reaches the pods. */
export type Strategy = 'recreate' | 'rolling' | 'in-place';

export type Action =
  | { kind: 'scale'; deployment: string; replicas: number }
  | { kind: 'resize'; deployment: string; cores: number; strategy: Strategy }
  | { kind: 'replace'; deployment: string; variant: string; strategy: Exclude<Strategy, 'in-place'> }
  /** Cores for the pods created from now on (VPA's admission controller). */
  | { kind: 'template'; deployment: string; cores: number }
  /** Delete one pod; its ReplicaSet replaces it with a pod from the current template. */
  | { kind: 'evict'; deployment: string; pod: number }
  /** Resize one pod in place; if its node cannot fit it, evict it instead when `evictIfDeferred`. */
  | { kind: 'resize-pod'; deployment: string; pod: number; cores: number; evictIfDeferred: boolean }
  | { kind: 'batch'; deployment: string; maxBatch: number; maxWaitSeconds: number }
  | { kind: 'weights'; stage: string; weights: number[] };

/** A controller: called every `intervalSeconds`, first at `firstDecisionSeconds`. */
export interface Policy {
  readonly name: string;
  readonly intervalSeconds: number;
  readonly firstDecisionSeconds: number;
  /** Asynchronous set-up before the run (loading a solver); decisions themselves are synchronous. */
  prepare?(): Promise<void>;
  decide(observation: Observation): Action[];
  /** Solve time of each decision (seconds), for policies that optimise. */
  readonly solveSeconds?: number[];
}
