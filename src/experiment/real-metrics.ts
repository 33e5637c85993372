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
 * ends when its reply came), by the deployment the router sent it to (with one deployment,
 * requests that found no ready server count there too). A stage's latency is what the server
 * reports (queue wait + inference), as a simulated stage's runs from its queue to the end of
 * service; end-to-end latency is the client's.
 */
export function summarizeReal(
  spec: Spec,
  responses: Response[],
  deployments: DeploymentRecord[],
  control: Parameters<typeof summarize>[5],
  wallSeconds: number,
): { summary: Summary; rows: WindowRow[] } {
  const sim = new Simulator();
  const rows: WindowRow[] = [];
  const slo = spec.workload.slo;
  const metrics = new RunMetrics(sim, spec.window, (row) => rows.push(row), null, null, slo === undefined ? null : new WindowP99Violations(slo));
  const tracked = deployments.map((d) => metrics.track(new RecordedDeployment(d, () => sim.now)));
  const index = new Map(deployments.map((d, i) => [d.name, i]));
  const duration = Math.max(spec.duration as number, ...responses.map((r) => r.received));
  responses.forEach((r, id) => {
    const k = r.deployment === undefined ? (deployments.length === 1 ? 0 : undefined) : index.get(r.deployment);
    const where = k === undefined ? 'none' : deployments[k].name;
    const request = new Request(id, r.sent, r.sent + (slo ?? Infinity));
    sim.at(r.sent, {
      handleEvent: () => {
        metrics.arrived++;
        if (k !== undefined) tracked[k].onArrival();
      },
    });
    sim.at(r.received, {
      handleEvent: () => {
        if (!r.ok) {
          if (k !== undefined) tracked[k].onDrop();
          metrics.drop(request, where, r.received);
          return;
        }
        const serverSeconds = (r.waitMs + r.serviceMs) / 1000;
        request.stageArrival = Number.isNaN(serverSeconds) ? r.sent : r.received - serverSeconds;
        request.waitSeconds = Number.isNaN(r.waitMs) ? 0 : r.waitMs / 1000;
        if (k !== undefined) {
          request.accuracy = deployments[k].accuracy ?? NaN;
          tracked[k].onComplete(request, r.received);
        }
        metrics.complete(request, where, r.received);
      },
    });
  });
  metrics.start();
  // runUntil stops before its horizon: the last reply, at `duration`, still has to be counted.
  sim.runUntil(duration);
  sim.runUntil(nextAfter(duration));
  metrics.finish(duration);
  const summary = summarize(spec, metrics, duration, 0, 0, control, wallSeconds);
  metrics.destroy();
  return { summary, rows };
}
