import { csvLine } from '../io/csv-write.js';

/** One window of one deployment in `timeseries.csv`. Times in seconds, latencies in ms. */
export interface WindowRow {
  t: number;
  deployment: string;
  replicas: number;
  readyReplicas: number;
  pendingReplicas: number;
  cores: number;
  arrivalRps: number;
  completed: number;
  p99Ms: number | null;
  sloViolations: number;
  accuracy: number | null;
  dropped: number;
  queueLength: number;
  utilization: number | null;
}

export const TIMESERIES_HEADER =
  't,deployment,replicas,ready_replicas,cores,arrival_rps,completed,p99_ms,slo_violations,accuracy,dropped,queue_length,utilization,pending_replicas\n';

const num = (value: number | null, digits: number) => (value === null ? '' : String(Number(value.toFixed(digits))));

export function formatWindowRow(r: WindowRow): string {
  return csvLine([
    num(r.t, 6),
    r.deployment,
    r.replicas,
    r.readyReplicas,
    num(r.cores, 6),
    num(r.arrivalRps, 6),
    r.completed,
    num(r.p99Ms, 3),
    r.sloViolations,
    num(r.accuracy, 6),
    r.dropped,
    r.queueLength,
    num(r.utilization, 6),
    r.pendingReplicas,
  ]);
}
