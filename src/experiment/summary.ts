import { round, type LatencySummaryMs } from '../metrics/latency-stats.js';
import type { RunMetrics } from '../metrics/run-metrics.js';
import type { Provenance } from './provenance.js';
import type { Spec } from './spec.js';

export interface DeploymentSummary {
  name: string;
  requests: number;
  completed: number;
  dropped: number;
  meanLatencyMs: number | null;
  coreSeconds: number;
  meanCores: number;
  /** Busy lane-seconds over the lane-seconds of ready pods (a lane serves one batch at a time). */
  utilization: number | null;
  /** Time-average number of requests waiting in the queue. */
  meanQueueLength: number;
}

/** Wall-clock figures of a run: they vary from machine to machine and run to run. */
export interface Timing {
  wallSeconds: number;
  /** Per-decision solve time of an optimising policy (ms); null for others. */
  solveMs: { decisions: number; mean: number; max: number } | null;
  /** The process's peak resident memory so far, MiB (the whole process: a sweep's workers share it); null where unknown (a browser). */
  peakRssMiB: number | null;
}

/**
 * `summary.json`. Every field but `timing`, `wallSeconds` (the same as `timing.wallSeconds`,
 * kept at the top for scripts that read it there) and `provenance` is a pure function of the spec
 * and seed: byte-identical for the same spec and seed.
 */
export interface Summary {
  name: string;
  seed: number;
  /** Simulated seconds. */
  duration: number;
  requests: number;
  completed: number;
  dropped: number;
  /** Queued or in service when the run ended. */
  inFlight: number;
  latencyMs: LatencySummaryMs;
  waitMs: LatencySummaryMs;
  sloSeconds: number | null;
  /** (completed late + dropped) / (completed + dropped); null without an SLO. */
  sloViolationRate: number | null;
  /**
   * InfAdapter's evaluation metric: the share of windows whose server-side P99 (TF-Serving's
   * buckets, all deployments, windows with no completion left out) exceeds the SLO; null without an SLO.
   */
  windowViolationRate: number | null;
  meanCores: number;
  coreSeconds: number;
  /** Mean pipeline accuracy of the completed requests (for one stage: of the variant that served them); null when unknown. */
  accuracy: number | null;
  events: number;
  /** The policy that ran, and how many changes it made (scaling, resizing, evictions, weights). */
  policy: string;
  reconfigurations: number;
  deployments: DeploymentSummary[];
  /**
   * What a real cluster would have complained about while the run went on (pods that stayed
   * Pending for want of room, as Kubernetes' FailedScheduling events), in deployment order;
   * present only when there is one, so a clean run's summary has no such field.
   */
  warnings?: string[];
  wallSeconds: number;
  timing: Timing;
  /** The servesim version and commit, the command and the spec's hash, added where the summary is written. */
  provenance?: Provenance;
}

export function summarize(
  spec: Spec,
  metrics: RunMetrics,
  duration: number,
  inFlight: number,
  events: number,
  control: { policy: string; reconfigurations: number; solveSeconds: number[] | undefined },
  wallSeconds: number,
): Summary {
  const perDeployment = metrics.deployments.map((d): DeploymentSummary => {
    const coreSeconds = d.view.coreSeconds(duration);
    const laneSeconds = d.view.laneSeconds(duration);
    return {
      name: d.view.name,
      requests: d.arrived,
      completed: d.completed,
      dropped: d.dropped,
      meanLatencyMs: d.completed === 0 ? null : round((d.latencySum / d.completed) * 1000),
      coreSeconds: round(coreSeconds),
      meanCores: round(coreSeconds / duration),
      utilization: laneSeconds > 0 ? round(d.view.busySeconds(duration) / laneSeconds) : null,
      meanQueueLength: round(d.view.queueSeconds(duration) / duration),
    };
  });
  const coreSeconds = perDeployment.reduce((sum, d) => sum + d.coreSeconds, 0);
  const slo = spec.workload.slo ?? null;
  const finished = metrics.completed + metrics.dropped;
  return {
    name: spec.name,
    seed: spec.seed,
    duration: round(duration),
    requests: metrics.arrived,
    completed: metrics.completed,
    dropped: metrics.dropped,
    inFlight,
    latencyMs: metrics.latency.summaryMs(),
    waitMs: metrics.wait.summaryMs(),
    sloSeconds: slo,
    sloViolationRate: slo === null || finished === 0 ? null : round(metrics.sloViolations / finished),
    windowViolationRate: nullableRound(metrics.serverWindow?.rate() ?? null),
    meanCores: round(coreSeconds / duration),
    coreSeconds: round(coreSeconds),
    accuracy: metrics.accuracyCount === 0 ? null : round(metrics.accuracySum / metrics.accuracyCount),
    events,
    policy: control.policy,
    reconfigurations: control.reconfigurations,
    deployments: perDeployment,
    ...optionalWarnings(metrics),
    ...timing(wallSeconds, control.solveSeconds),
  };
}

const nullableRound = (x: number | null) => (x === null ? null : round(x));

/** The run's warnings, as a field only when there are any. */
function optionalWarnings(metrics: RunMetrics): Pick<Summary, 'warnings'> {
  const warnings = metrics.deployments.flatMap((d) => {
    const pending = d.view.pendingReplicaCount();
    if (pending === 0) return [];
    const pods = pending === 1 ? '1 pod' : `${pending} pods`;
    return [`deployment "${d.view.name}": ${pods} stayed Pending to the end of the run, no node having room (Kubernetes: FailedScheduling)`];
  });
  return warnings.length === 0 ? {} : { warnings };
}

/** The wall-clock part of a summary. */
export function timing(wallSeconds: number, solveSeconds: number[] | undefined): Pick<Summary, 'wallSeconds' | 'timing'> {
  const wall = round(wallSeconds, 3);
  return { wallSeconds: wall, timing: { wallSeconds: wall, solveMs: solveSummary(solveSeconds), peakRssMiB: peakRssMiB() } };
}

function peakRssMiB(): number | null {
  return typeof process === 'undefined' || typeof process.resourceUsage !== 'function' ? null : Math.round(process.resourceUsage().maxRSS / 1024);
}

/** Decisions, mean and max solve time (ms) of an optimising policy; null for one that does not solve. */
function solveSummary(solveSeconds: number[] | undefined): Timing['solveMs'] {
  if (solveSeconds === undefined || solveSeconds.length === 0) return null;
  return {
    decisions: solveSeconds.length,
    mean: round((solveSeconds.reduce((a, b) => a + b, 0) / solveSeconds.length) * 1000, 3),
    max: round(Math.max(...solveSeconds) * 1000, 3),
  };
}
