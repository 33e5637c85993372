import type { Spec } from '../experiment/spec.js';
import { timing, type DeploymentSummary, type Summary } from '../experiment/summary.js';
import { LatencyStats, round } from '../metrics/latency-stats.js';
import { WindowP99Violations } from '../metrics/prometheus-histogram.js';
import type { WindowRow } from '../metrics/timeseries.js';
import type { Response } from './load-generator.js';

/** A deployment's replicas and allocated cores at time t (seconds since the load started). */
export interface CapacitySample {
  t: number;
  replicas: number;
  ready: number;
  cores: number;
}

/** What the summary needs of each deployment that ran: its capacity over time and its variant's accuracy. */
export interface DeploymentRecord {
  name: string;
  capacity: CapacitySample[];
  accuracy: number | null;
}

/** The capacity in force at time t (the latest sample at or before it). */
function capacityAt(samples: CapacitySample[], t: number): CapacitySample {
  let found = samples[0];
  for (const s of samples) if (s.t <= t + 1e-9) found = s;
  return found;
}

/** Core-seconds of a deployment up to `end`: each sample's cores until the next sample. */
function coreSeconds(samples: CapacitySample[], end: number): number {
  return samples.reduce((sum, s, i) => sum + s.cores * (Math.min(end, samples[i + 1]?.t ?? end) - (i === 0 ? 0 : s.t)), 0);
}

/**
 * summary.json and timeseries.csv rows of a real run, in the simulator's formats: one row per
 * deployment per window (requests by the deployment the router sent them to; with one deployment,
 * requests that found no ready server count there too, as before), and totals over all requests.
 * What the real servers do not report (utilisation, queue length) stays empty.
 */
export function summarizeReal(
  spec: Spec,
  responses: Response[],
  deployments: DeploymentRecord[],
  reconfigurations: number,
  solveSeconds: number[] | undefined,
  wallSeconds: number,
): { summary: Summary; rows: WindowRow[] } {
  const latency = new LatencyStats();
  const wait = new LatencyStats();
  const slo = spec.workload.slo ?? null;
  const window = spec.window;
  const duration = Math.max(spec.duration as number, ...responses.map((r) => r.received));
  const windows = Math.ceil(duration / window);
  const perDeployment = deployments.map(() => ({
    requests: 0,
    completed: 0,
    dropped: 0,
    latencySum: 0,
    windows: Array.from({ length: windows }, () => ({ arrived: 0, completed: 0, dropped: 0, violations: 0, latency: new LatencyStats() })),
  }));
  const index = new Map(deployments.map((d, i) => [d.name, i]));
  let violations = 0;
  let accuracySum = 0;
  let accuracyCount = 0;
  for (const r of responses) {
    const i = r.deployment === undefined ? (deployments.length === 1 ? 0 : undefined) : index.get(r.deployment);
    const d = i === undefined ? undefined : perDeployment[i];
    const late = slo !== null && r.received - r.sent > slo;
    if (d !== undefined) {
      d.requests++;
      d.windows[Math.min(windows - 1, Math.floor(r.sent / window))].arrived++;
    }
    const done = d?.windows[Math.min(windows - 1, Math.floor(r.received / window))];
    if (!r.ok) {
      violations++;
      if (d !== undefined && done !== undefined) {
        d.dropped++;
        done.dropped++;
        done.violations++;
      }
      continue;
    }
    latency.record(r.received - r.sent);
    if (!Number.isNaN(r.waitMs)) wait.record(r.waitMs / 1000);
    if (late) violations++;
    if (d === undefined || done === undefined || i === undefined) continue;
    d.completed++;
    d.latencySum += r.received - r.sent;
    done.completed++;
    done.latency.record(r.received - r.sent);
    if (late) done.violations++;
    const accuracy = deployments[i].accuracy;
    if (accuracy !== null) {
      accuracySum += accuracy;
      accuracyCount++;
    }
  }
  const completed = responses.filter((r) => r.ok).length;
  const windowViolations = slo === null ? null : serverWindowViolations(responses, slo, window, windows);
  const rows: WindowRow[] = [];
  for (let w = 0; w < windows; w++) {
    deployments.forEach((dep, i) => {
      const stats = perDeployment[i].windows[w];
      const at = capacityAt(dep.capacity, (w + 1) * window);
      rows.push({
        t: w * window,
        deployment: dep.name,
        replicas: at.replicas,
        readyReplicas: at.ready,
        pendingReplicas: 0,
        cores: at.cores,
        arrivalRps: stats.arrived / window,
        completed: stats.completed,
        p99Ms: stats.completed === 0 ? null : stats.latency.percentile(99) * 1000,
        sloViolations: stats.violations,
        accuracy: stats.completed === 0 ? null : dep.accuracy,
        dropped: stats.dropped,
        queueLength: 0,
        utilization: null,
      });
    });
  }
  const deploymentSummaries = deployments.map((dep, i): DeploymentSummary => {
    const d = perDeployment[i];
    const cs = coreSeconds(dep.capacity, duration);
    return {
      name: dep.name,
      requests: d.requests,
      completed: d.completed,
      dropped: d.dropped,
      meanLatencyMs: d.completed === 0 ? null : round((d.latencySum / d.completed) * 1000),
      coreSeconds: round(cs),
      meanCores: round(cs / duration),
      utilization: null,
      // Not measured on real servers: NaN, which summary.json writes as null.
      meanQueueLength: NaN,
    };
  });
  const totalCoreSeconds = deployments.reduce((sum, dep) => sum + coreSeconds(dep.capacity, duration), 0);
  const summary: Summary = {
    name: spec.name,
    seed: spec.seed,
    duration: round(duration),
    requests: responses.length,
    completed,
    dropped: responses.length - completed,
    inFlight: 0,
    latencyMs: latency.summaryMs(),
    waitMs: wait.summaryMs(),
    sloSeconds: slo,
    sloViolationRate: slo === null || responses.length === 0 ? null : round(violations / responses.length),
    windowViolationRate: windowViolations === null ? null : round(windowViolations),
    meanCores: round(totalCoreSeconds / duration),
    coreSeconds: round(totalCoreSeconds),
    accuracy: accuracyCount === 0 ? null : round(accuracySum / accuracyCount),
    events: 0,
    policy: spec.policy.name,
    reconfigurations,
    deployments: deploymentSummaries,
    ...timing(wallSeconds, solveSeconds),
  };
  latency.destroy();
  wait.destroy();
  for (const d of perDeployment) for (const w of d.windows) w.latency.destroy();
  return { summary, rows };
}

/** The window metric from what the servers report of each request (queue wait + inference), by the window it finished in. */
function serverWindowViolations(responses: Response[], slo: number, window: number, windows: number): number | null {
  const byWindow = Array.from({ length: windows }, () => [] as number[]);
  for (const r of responses) if (r.ok) byWindow[Math.min(windows - 1, Math.floor(r.received / window))].push((r.waitMs + r.serviceMs) / 1000);
  const metric = new WindowP99Violations(slo);
  for (const latencies of byWindow) {
    for (const latency of latencies) metric.record(latency);
    metric.closeWindow();
  }
  return metric.rate();
}
