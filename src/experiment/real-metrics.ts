import { Simulator } from '../engine/simulator.js';
import { WindowP99Violations } from '../metrics/prometheus-histogram.js';
import { RunMetrics, type DeploymentView } from '../metrics/run-metrics.js';
import type { WindowRow } from '../metrics/timeseries.js';
import type { Response } from '../testbed/load-generator.js';
import { Request } from '../workload/request.js';
import type { Spec } from './spec.js';
import { summarize, type Summary } from './summary.js';

/** A deployment's replicas and allocated cores from time t on (seconds since the load started). */
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
  /** What it adds to a request's pipeline accuracy (stageAccuracyTerms); default its accuracy. */
  accuracyTerm?: number;
}

/**
 * A real deployment as the metrics read it, from its recorded capacity: replicas and cores at the
 * time asked, cores integrated over time. What the real servers do not report (busy lanes, queue
 * length) reads as unknown.
 */
class RecordedDeployment implements DeploymentView {
  readonly name: string;
  readonly accuracy: number | null;

  constructor(
    private readonly record: DeploymentRecord,
    private readonly now: () => number,
  ) {
    this.name = record.name;
    this.accuracy = record.accuracy;
  }

  /** The capacity in force at time t: the latest sample at or before it. */
  private at(t: number): CapacitySample {
    let found = this.record.capacity[0];
    for (const s of this.record.capacity) if (s.t <= t + 1e-9) found = s;
    return found;
  }

  replicaCount(): number {
    return this.at(this.now()).replicas;
  }

  readyReplicaCount(): number {
    return this.at(this.now()).ready;
  }

  pendingReplicaCount(): number {
    return 0;
  }

  cores(): number {
    return this.at(this.now()).cores;
  }

  queueLength(): number {
    return 0;
  }

  coreSeconds(now: number): number {
    const samples = this.record.capacity;
    return samples.reduce((sum, s, i) => sum + s.cores * Math.max(0, Math.min(now, samples[i + 1]?.t ?? now) - (i === 0 ? 0 : s.t)), 0);
  }

  busySeconds(): number {
    return 0;
  }

  laneSeconds(): number {
    return 0;
  }

  queueSeconds(): number {
    return NaN;
  }

  *inFlight(): Iterable<Request> {}
}

/** The smallest double above x (x ≥ 0): runUntil of it handles the events at x. */
function nextAfter(x: number): number {
  const bits = new Float64Array([x]);
  const ints = new BigInt64Array(bits.buffer);
  ints[0] += 1n;
  return bits[0];
}

/**
 * summary.json and timeseries.csv of a real run, from the very metrics a simulated run uses: the
 * responses are replayed in time order into RunMetrics (a request arrives when it was sent and
 * ends when its last reply came), each hop by the deployment the router sent it to (with one
 * deployment, requests that found no ready server count there too). A stage's latency is what
 * the server reports (queue wait + inference), as a simulated stage's runs from its queue to the
 * end of service; end-to-end latency is the client's; a request's accuracy combines its hops'
 * terms by product or sum (`product`), as the simulated Service does.
 */
export function summarizeReal(
  spec: Spec,
  responses: Response[],
  deployments: DeploymentRecord[],
  product: boolean,
  control: Parameters<typeof summarize>[5],
  wallSeconds: number,
): { summary: Summary; rows: WindowRow[] } {
  const sim = new Simulator();
  const rows: WindowRow[] = [];
  const slo = spec.workload.slo;
  const metrics = new RunMetrics(sim, spec.window, (row) => rows.push(row), null, null, slo === undefined ? null : new WindowP99Violations(slo));
  const tracked = deployments.map((d) => metrics.track(new RecordedDeployment(d, () => sim.now)));
  const index = new Map(deployments.map((d, i) => [d.name, i]));
  const terms = deployments.map((d) => d.accuracyTerm ?? d.accuracy ?? NaN);
  const duration = Math.max(spec.duration as number, ...responses.map((r) => r.received));
  const at = (t: number, handle: () => void) => sim.at(t, { handleEvent: handle });
  responses.forEach((r, id) => {
    const request = new Request(id, r.sent, r.sent + (slo ?? Infinity));
    const hops = r.hops ?? [r];
    let accuracy = product ? 1 : 0;
    let where = 'none';
    at(r.sent, () => metrics.arrived++);
    for (const hop of hops) {
      const k = hop.deployment === undefined ? (deployments.length === 1 ? 0 : undefined) : index.get(hop.deployment);
      // Where the request failed, or the last stage that served it.
      where = k === undefined ? 'none' : deployments[k].name;
      if (k === undefined) continue;
      accuracy = product ? accuracy * terms[k] : accuracy + terms[k];
      at(hop.sent, () => tracked[k].onArrival());
      at(hop.received, () => {
        if (!hop.ok) return tracked[k].onDrop();
        const stageRequest = hops.length === 1 ? request : new Request(id, r.sent, request.deadline);
        const serverSeconds = (hop.waitMs + hop.serviceMs) / 1000;
        stageRequest.stageArrival = Number.isNaN(serverSeconds) ? hop.sent : hop.received - serverSeconds;
        tracked[k].onComplete(stageRequest, hop.received);
      });
    }
    at(r.received, () => {
      if (!r.ok) return metrics.drop(request, where, r.received);
      request.waitSeconds = Number.isNaN(r.waitMs) ? 0 : r.waitMs / 1000;
      request.accuracy = accuracy;
      metrics.complete(request, where, r.received);
    });
  });
  metrics.start();
  // runUntil stops before its horizon: the last reply, at `duration`, still has to be counted.
  sim.runUntil(duration);
  sim.runUntil(nextAfter(duration));
  metrics.finish(duration);
  const summary = summarize(spec, metrics, duration, 0, 0, control, wallSeconds);
  return { summary, rows };
}
