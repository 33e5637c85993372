import type { EventHandler } from '../engine/event-queue.js';
import type { Simulator } from '../engine/simulator.js';
import type { Request } from '../workload/request.js';
import { HdrHistogram } from './hdr-histogram.js';
import { LatencyStats } from './latency-stats.js';
import type { WindowP99Violations } from './prometheus-histogram.js';
import type { WindowRow } from './timeseries.js';

/** What the metrics read of a deployment when a window closes and at the end of the run. */
export interface DeploymentView {
  readonly name: string;
  readonly accuracy: number | null;
  /** Pods that exist and are not terminating (pending, starting or ready). */
  replicaCount(): number;
  readyReplicaCount(): number;
  /** Pods waiting for a node with room. */
  pendingReplicaCount(): number;
  /** Cores allocated now, summed over replicas. */
  cores(): number;
  queueLength(): number;
  /** ∫ allocated cores dt from 0 to `now`. */
  coreSeconds(now: number): number;
  /** ∫ busy lanes dt from 0 to `now` (a lane serves one batch at a time). */
  busySeconds(now: number): number;
  /** ∫ lanes of ready pods dt from 0 to `now`. */
  laneSeconds(now: number): number;
  /** ∫ queue length dt from 0 to `now`. */
  queueSeconds(now: number): number;
  /** Requests queued or in service now. */
  inFlight(): Iterable<Request>;
}

export type RequestStatus = 'completed' | 'dropped' | 'in_flight';

/** End-to-end figures of one window over the whole service (all deployments). */
export interface ServiceWindowRow {
  t: number;
  arrivalRps: number;
  completed: number;
  p99Ms: number | null;
  sloViolations: number;
  accuracy: number | null;
  cores: number;
}

/** Receives every request once, at the end of its life (or at the end of the run). */
export type RequestLog = (request: Request, deployment: string, status: RequestStatus, endTime: number) => void;

/**
 * Counters and window accumulators of one deployment (a pipeline stage). Latency here is the
 * stage's: from joining its queue to the end of service. Its methods are the hot path.
 */
export class DeploymentMetrics {
  arrived = 0;
  completed = 0;
  dropped = 0;
  accuracySum = 0;
  latencySum = 0;
  // The window now open.
  windowArrived = 0;
  windowCompleted = 0;
  windowDropped = 0;
  windowViolations = 0;
  windowAccuracySum = 0;
  readonly windowLatency = new HdrHistogram();
  windowStartBusySeconds = 0;
  windowStartLaneSeconds = 0;

  constructor(
    readonly view: DeploymentView,
    /** The stage's own SLO in seconds; without one, the request's end-to-end deadline counts. */
    private readonly sloSeconds: number | undefined,
    /** Where the server-side latency of every completion goes, for the window metric (null: none kept). */
    private readonly serverWindow: WindowP99Violations | null,
  ) {}

  onArrival(): void {
    this.arrived++;
    this.windowArrived++;
  }

  onComplete(request: Request, now: number): void {
    const latency = now - request.stageArrival;
    this.completed++;
    this.windowCompleted++;
    this.latencySum += latency;
    this.windowLatency.recordValue(Math.round(latency * 1e6));
    this.serverWindow?.record(latency);
    if (this.sloSeconds === undefined ? now > request.deadline : latency > this.sloSeconds) this.windowViolations++;
    const accuracy = this.view.accuracy;
    if (accuracy !== null) {
      this.accuracySum += accuracy;
      this.windowAccuracySum += accuracy;
    }
  }

  onDrop(): void {
    this.dropped++;
    this.windowDropped++;
    this.windowViolations++;
  }
}

/**
 * All measurements of one run: end-to-end latency and queue wait over every deployment, request
 * conservation, and per-window rows for each deployment.
 */
export class RunMetrics implements EventHandler {
  readonly latency = new LatencyStats();
  readonly wait = new LatencyStats();
  readonly deployments: DeploymentMetrics[] = [];
  completed = 0;
  dropped = 0;
  sloViolations = 0;
  private windowStart = 0;

  /** End-to-end figures of the window now open, kept only when someone listens for them. */
  private serviceWindow: { arrived: number; latency: HdrHistogram; completed: number; violations: number; accuracySum: number; accuracyCount: number } | null = null;
  private arrivedAtWindowStart = 0;

  constructor(
    private readonly sim: Simulator,
    private readonly windowSeconds: number,
    private readonly onRow: (row: WindowRow) => void,
    private readonly requestLog: RequestLog | null,
    private readonly onServiceRow: ((row: ServiceWindowRow) => void) | null = null,
    /** The window metric over all deployments' server-side latencies (null without an SLO). */
    readonly serverWindow: WindowP99Violations | null = null,
  ) {
    if (onServiceRow !== null) {
      this.serviceWindow = { arrived: 0, latency: new HdrHistogram(), completed: 0, violations: 0, accuracySum: 0, accuracyCount: 0 };
    }
  }

  track(view: DeploymentView, stageSloSeconds?: number): DeploymentMetrics {
    const metrics = new DeploymentMetrics(view, stageSloSeconds, this.serverWindow);
    this.deployments.push(metrics);
    return metrics;
  }

  /** Requests sent by the client. */
  arrived = 0;
  accuracySum = 0;
  accuracyCount = 0;

  /** Starts the window clock; call once before the run. */
  start(): void {
    this.sim.post(this.windowSeconds, this);
  }

  /** A request finished end to end: its last stage is done and the response is back. */
  complete(request: Request, where: string, now: number): void {
    const w = this.serviceWindow;
    if (w !== null) {
      w.completed++;
      w.latency.recordValue(Math.round((now - request.arrivalTime) * 1e6));
      if (now > request.deadline) w.violations++;
      if (!Number.isNaN(request.accuracy)) {
        w.accuracySum += request.accuracy;
        w.accuracyCount++;
      }
    }
    this.completed++;
    this.latency.record(now - request.arrivalTime);
    this.wait.record(request.waitSeconds);
    if (now > request.deadline) this.sloViolations++;
    if (!Number.isNaN(request.accuracy)) {
      this.accuracySum += request.accuracy;
      this.accuracyCount++;
    }
    this.requestLog?.(request, where, 'completed', now);
  }

  /** A request was dropped somewhere on its way; it counts as an SLO violation. */
  drop(request: Request, where: string, now: number): void {
    if (this.serviceWindow !== null) this.serviceWindow.violations++;
    this.dropped++;
    this.sloViolations++;
    this.requestLog?.(request, where, 'dropped', now);
  }

  /** A window boundary. */
  handleEvent(): void {
    this.closeWindow(this.sim.now);
    this.sim.post(this.windowStart + this.windowSeconds, this);
  }

  /** Closes the last, possibly partial, window. */
  finish(now: number): void {
    if (now > this.windowStart) this.closeWindow(now);
  }

  /** Logs a request still in flight when the run ended. */
  inFlight(request: Request, where: string): void {
    this.requestLog?.(request, where, 'in_flight', NaN);
  }

  private closeWindow(now: number): void {
    const length = now - this.windowStart;
    this.serverWindow?.closeWindow();
    for (const d of this.deployments) {
      const view = d.view;
      const busy = view.busySeconds(now);
      const lanes = view.laneSeconds(now);
      this.onRow({
        t: this.windowStart,
        deployment: view.name,
        replicas: view.replicaCount(),
        readyReplicas: view.readyReplicaCount(),
        pendingReplicas: view.pendingReplicaCount(),
        cores: view.cores(),
        arrivalRps: d.windowArrived / length,
        completed: d.windowCompleted,
        p99Ms: d.windowCompleted === 0 ? null : d.windowLatency.getValueAtPercentile(99) / 1000,
        sloViolations: d.windowViolations,
        accuracy: d.windowCompleted === 0 || view.accuracy === null ? null : d.windowAccuracySum / d.windowCompleted,
        dropped: d.windowDropped,
        queueLength: view.queueLength(),
        utilization: lanes > d.windowStartLaneSeconds ? (busy - d.windowStartBusySeconds) / (lanes - d.windowStartLaneSeconds) : null,
      });
      d.windowArrived = d.windowCompleted = d.windowDropped = d.windowViolations = d.windowAccuracySum = 0;
      d.windowLatency.reset();
      d.windowStartBusySeconds = busy;
      d.windowStartLaneSeconds = lanes;
    }
    const w = this.serviceWindow;
    if (w !== null && this.onServiceRow !== null) {
      this.onServiceRow({
        t: this.windowStart,
        arrivalRps: (this.arrived - this.arrivedAtWindowStart) / length,
        completed: w.completed,
        p99Ms: w.completed === 0 ? null : w.latency.getValueAtPercentile(99) / 1000,
        sloViolations: w.violations,
        accuracy: w.accuracyCount === 0 ? null : w.accuracySum / w.accuracyCount,
        cores: this.deployments.reduce((sum, d) => sum + d.view.cores(), 0),
      });
      w.completed = w.violations = w.accuracySum = w.accuracyCount = 0;
      w.latency.reset();
      this.arrivedAtWindowStart = this.arrived;
    }
    this.windowStart = now;
  }
}
