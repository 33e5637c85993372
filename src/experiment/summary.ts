import { round, type LatencySummaryMs } from '../metrics/latency-stats.js';
import type { RunMetrics } from '../metrics/run-metrics.js';
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

/** `summary.json`. Every field but `wallSeconds` is a pure function of the spec and seed. */
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
  meanCores: number;
  coreSeconds: number;
  /** Mean pipeline accuracy of the completed requests (for one stage: of the variant that served them); null when unknown. */
  accuracy: number | null;
  events: number;
  /** The policy that ran, and how many changes it made (scaling, resizing, evictions, weights). */
  policy: string;
  reconfigurations: number;
  /** Per-decision solve time of an optimising policy (ms); null for others. */
  solveMs: { decisions: number; mean: number; max: number } | null;
  deployments: DeploymentSummary[];
  wallSeconds: number;
}

export function summarize(
  spec: Spec,
  metrics: RunMetrics,
  duration: number,
  inFlight: number,
  events: number,
  reconfigurations: number,
  solveSeconds: number[] | undefined,
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
    meanCores: round(coreSeconds / duration),
    coreSeconds: round(coreSeconds),
    accuracy: metrics.accuracyCount === 0 ? null : round(metrics.accuracySum / metrics.accuracyCount),
    events,
    policy: spec.policy.name,
    reconfigurations,
    solveMs: solveSummary(solveSeconds),
    deployments: perDeployment,
    wallSeconds: round(wallSeconds, 3),
  };
}

/** Decisions, mean and max solve time (ms) of an optimising policy; null for one that does not solve. */
export function solveSummary(solveSeconds: number[] | undefined): Summary['solveMs'] {
  if (solveSeconds === undefined || solveSeconds.length === 0) return null;
  return {
    decisions: solveSeconds.length,
    mean: round((solveSeconds.reduce((a, b) => a + b, 0) / solveSeconds.length) * 1000, 3),
    max: round(Math.max(...solveSeconds) * 1000, 3),
  };
}
