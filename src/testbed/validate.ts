import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RandomStreams } from '../engine/random.js';
import { validateSpec } from '../experiment/load-spec.js';
import { runSpec } from '../experiment/run.js';
import { formatProfileCsv } from '../profiles/table-model.js';
import { poissonArrivals } from '../workload/arrivals.js';
import { replay } from './load-generator.js';
import { buildCnn, type CnnVariant } from './onnx-model.js';
import { startServer } from './server-process.js';

export interface ValidationConfig {
  name: string;
  variant: CnnVariant;
  cores: number;
  /** Offered load as a fraction of the pod's measured capacity (1 / mean service time). */
  utilisation: number;
  durationSeconds: number;
}

export interface ValidationRow {
  config: string;
  metric: string;
  sim: number;
  real: number;
  errorPct: number;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];

/** Latency summary in ms and throughput over the busy period of a set of (send, receive) pairs. */
function measure(pairs: { sent: number; received: number }[]): { p50: number; p99: number; throughput: number } {
  const latencies = pairs.map((p) => (p.received - p.sent) * 1000).sort((a, b) => a - b);
  const first = Math.min(...pairs.map((p) => p.sent));
  const last = Math.max(...pairs.map((p) => p.received));
  return { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), throughput: pairs.length / (last - first) };
}

/**
 * One steady-state configuration, for real and in the simulator calibrated in the same run: the
 * server's service time from 100 sequential requests (inference plus its own per-request work),
 * the loopback round trip from 200 pings (the network hop), then the same Poisson arrival times
 * replayed against the server and simulated.
 */
export async function validateConfig(config: ValidationConfig, modelsDir: string, seed: number): Promise<ValidationRow[]> {
  const model = join(modelsDir, `${config.variant.name}.onnx`);
  if (!existsSync(model)) {
    mkdirSync(modelsDir, { recursive: true });
    writeFileSync(model, buildCnn(config.variant));
  }
  const server = await startServer({ model, imageSize: config.variant.imageSize, cores: config.cores, maxBatch: 1, maxWaitMs: 0, cpus: config.cores === 1 ? '1' : undefined });
  try {
    const sequential = async (path: string, count: number) => {
      const out = [];
      for (let i = 0; i < count; i++) out.push(...(await replay(server.port, path, [0], 30)));
      return out;
    };
    const pings = (await sequential('/ping', 200)).map((r) => (r.received - r.sent) * 1000).sort((a, b) => a - b);
    const calibration = await sequential('/infer', 100);
    // What the server spends per request besides inference (queueing the request, replying),
    // on the same core: the sequential round trip, less the inference time and a ping's round trip.
    const overheadMs = Math.max(0, quantile(calibration.map((r) => (r.received - r.sent) * 1000 - r.serviceMs).sort((a, b) => a - b), 0.5) - quantile(pings, 0.5));
    const service = calibration.map((r) => r.serviceMs + overheadMs).sort((a, b) => a - b);
    const meanServiceMs = service.reduce((a, b) => a + b, 0) / service.length;
    const rate = (config.utilisation * 1000) / meanServiceMs;
    const arrivals = poissonArrivals(new RandomStreams(seed).uniform('arrivals'), rate);
    const times: number[] = [];
    for (let t = arrivals.next(); t < config.durationSeconds; t = arrivals.next()) times.push(t);
    const real = (await replay(server.port, '/infer', times, 30)).filter((r) => r.ok);

    const dir = mkdtempSync(join(tmpdir(), 'servesim-validate-'));
    const profile = join(dir, 'profile.csv');
    writeFileSync(
      profile,
      formatProfileCsv([
        {
          variant: config.variant.name,
          device: 'cpu',
          cores: config.cores,
          batch: 1,
          mean: meanServiceMs / 1000,
          p50: quantile(service, 0.5) / 1000,
          p99: quantile(service, 0.99) / 1000,
          throughputRps: 1000 / meanServiceMs,
          concurrency: 1,
        },
      ]),
    );
    const simulated: { sent: number; received: number }[] = [];
    await runSpec(
      validateSpec(
        {
          name: config.name,
          seed,
          duration: config.durationSeconds,
          drain: true,
          workload: { arrivals: { process: 'poisson', rate } },
          network: { hop: { dist: 'deterministic', value: quantile(pings, 0.5) / 2000 } },
          deployments: [{ name: 'server', replicas: 1, cores: config.cores, concurrency: 1, profile: { file: profile, variant: config.variant.name } }],
        },
        config.name,
      ),
      { requestLog: (r, _w, status, end) => status === 'completed' && simulated.push({ sent: r.arrivalTime, received: end }) },
    );
    const s = measure(simulated);
    const r = measure(real);
    const row = (metric: string, sim: number, realValue: number): ValidationRow => ({ config: config.name, metric, sim, real: realValue, errorPct: (100 * (sim - realValue)) / realValue });
    return [row('p50_ms', s.p50, r.p50), row('p99_ms', s.p99, r.p99), row('throughput_rps', s.throughput, r.throughput)];
  } finally {
    await server.stop();
  }
}

export const VALIDATION_HEADER = 'config,metric,sim,real,error_pct';

export function formatValidationRow(r: ValidationRow): string {
  return `${r.config},${r.metric},${r.sim.toFixed(4)},${r.real.toFixed(4)},${r.errorPct.toFixed(2)}`;
}
