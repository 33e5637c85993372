import type * as hdr from 'hdr-histogram-js';
import type { EventHandler } from '../engine/event-queue.js';
import type { Simulator } from '../engine/simulator.js';
import type { Request } from '../workload/request.js';
import { createLatencyHistogram, LatencyStats } from './latency-stats.js';
import type { WindowRow } from './timeseries.js';

/** What the metrics read of a deployment when a window closes and at the end of the run. */
export interface DeploymentView {
  readonly name: string;
  readonly accuracy: number | null;
  replicaCount(): number;
  readyReplicaCount(): number;
  /** Cores allocated now, summed over replicas. */
  cores(): number;
  queueLength(): number;
  /** ∫ allocated cores dt from 0 to `now`. */
  coreSeconds(now: number): number;
  /** ∫ busy replicas dt from 0 to `now`. */
  busySeconds(now: number): number;
  /** ∫ queue length dt from 0 to `now`. */
  queueSeconds(now: number): number;
  /** Requests queued or in service now. */
  inFlight(): Iterable<Request>;
}

export type RequestStatus = 'completed' | 'dropped' | 'in_flight';

/** Receives every request once, at the end of its life (or at the end of the run). */
export type RequestLog = (request: Request, deployment: string, status: RequestStatus, endTime: number) => void;

/** Counters and window accumulators of one deployment. Its methods are the hot path. */
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
  readonly windowLatency: hdr.Histogram = createLatencyHistogram();
  windowStartBusySeconds = 0;

  constructor(
    readonly view: DeploymentView,
    private readonly run: RunMetrics,
  ) {}

  onArrival(): void {
    this.arrived++;
    this.windowArrived++;
  }

  onComplete(request: Request, now: number): void {
    const latency = now - request.arrivalTime;
    this.completed++;
    this.windowCompleted++;
    this.latencySum += latency;
    this.windowLatency.recordValue(Math.round(latency * 1e6));
    if (now > request.deadline) this.windowViolations++;
    const accuracy = this.view.accuracy;
    if (accuracy !== null) {
      this.accuracySum += accuracy;
      this.windowAccuracySum += accuracy;
    }
    this.run.onComplete(request, this.view.name, latency, now);
  }

  onDrop(request: Request, now: number): void {
    this.dropped++;
    this.windowDropped++;
    this.windowViolations++;
    this.run.onDrop(request, this.view.name, now);
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

  constructor(
    private readonly sim: Simulator,
    private readonly windowSeconds: number,
    private readonly onRow: (row: WindowRow) => void,
    private readonly requestLog: RequestLog | null,
  ) {}

  track(view: DeploymentView): DeploymentMetrics {
    const metrics = new DeploymentMetrics(view, this);
    this.deployments.push(metrics);
    return metrics;
  }

  get arrived(): number {
    let total = 0;
    for (const d of this.deployments) total += d.arrived;
    return total;
  }

  /** Starts the window clock; call once before the run. */
  start(): void {
    this.sim.post(this.windowSeconds, this);
  }

  onComplete(request: Request, deployment: string, latency: number, now: number): void {
    this.completed++;
    this.latency.record(latency);
    this.wait.record(request.startTime - request.arrivalTime);
    if (now > request.deadline) this.sloViolations++;
    this.requestLog?.(request, deployment, 'completed', now);
  }

  onDrop(request: Request, deployment: string, now: number): void {
    this.dropped++;
    this.sloViolations++;
    this.requestLog?.(request, deployment, 'dropped', now);
  }

  /** A window boundary. */
  handleEvent(): void {
    this.closeWindow(this.sim.now);
    this.sim.post(this.windowStart + this.windowSeconds, this);
  }

  /** Closes the last, possibly partial, window and logs the requests still in flight. */
  finish(now: number): void {
    if (now > this.windowStart) this.closeWindow(now);
    for (const d of this.deployments) {
      d.windowLatency.destroy();
      if (this.requestLog === null) continue;
      for (const request of d.view.inFlight()) this.requestLog(request, d.view.name, 'in_flight', NaN);
    }
  }

  /** Frees the histograms' memory once the summary has been read. */
  destroy(): void {
    this.latency.destroy();
    this.wait.destroy();
  }

  private closeWindow(now: number): void {
    const length = now - this.windowStart;
    for (const d of this.deployments) {
      const view = d.view;
      const busy = view.busySeconds(now);
      const replicaSeconds = view.replicaCount() * length;
      this.onRow({
        t: this.windowStart,
        deployment: view.name,
        replicas: view.replicaCount(),
        readyReplicas: view.readyReplicaCount(),
        cores: view.cores(),
        arrivalRps: d.windowArrived / length,
        completed: d.windowCompleted,
        p99Ms: d.windowCompleted === 0 ? null : d.windowLatency.getValueAtPercentile(99) / 1000,
        sloViolations: d.windowViolations,
        accuracy: d.windowCompleted === 0 || view.accuracy === null ? null : d.windowAccuracySum / d.windowCompleted,
        dropped: d.windowDropped,
        queueLength: view.queueLength(),
        utilization: replicaSeconds > 0 ? (busy - d.windowStartBusySeconds) / replicaSeconds : null,
      });
      d.windowArrived = d.windowCompleted = d.windowDropped = d.windowViolations = d.windowAccuracySum = 0;
      d.windowLatency.reset();
      d.windowStartBusySeconds = busy;
    }
    this.windowStart = now;
  }
}
