import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { max, mean, min } from 'simple-statistics';
import { RandomStreams } from '../engine/random.js';
import { validateSpec } from './load-spec.js';
import { runSpec } from './run.js';
import { specPolicies, type Spec, type SpecInput } from './spec.js';
import { writeProfileCapacity } from './capacity.js';
import { nearestRankQuantileSorted as quantile } from '../metrics/quantile.js';
import { packageRoot } from '../paths.js';
import { formatProfileCsv } from '../profiles/table-model.js';
import { poissonArrivals } from '../workload/arrivals.js';
import { replay } from '../testbed/load-generator.js';
import { checkModelFile, ensureModel, testbedVariant, type CnnVariant } from '../testbed/onnx-model.js';
import { withTemporaryFolder } from '../testbed/process-cleanup.js';
import { profileModels } from '../testbed/profiler.js';
import { startServer, type RunningServer } from '../testbed/server-process.js';
import { testbedRun } from './testbed-run.js';

/** Where the validation writes what it measures for the simulator (calibrated profiles), removed when each part ends. */
const WORK_FOLDER_PREFIX = 'servesim-validate-';

/** The requests a real part of the validation sent and how many failed, for the failure threshold. */
export interface RealRequests {
  config: string;
  requests: number;
  failed: number;
}

/** The model file of a variant in `dir`, built if missing, checked before a server loads it. */
function checkedModel(variant: CnnVariant, dir: string): string {
  const model = ensureModel(variant, dir);
  checkModelFile(model);
  return model;
}

export interface ValidationConfig {
  name: string;
  variant: CnnVariant;
  cores: number;
  /** Offered load as a fraction of the pod's measured capacity (1 / mean service time). */
  utilisation: number;
  durationSeconds: number;
}

/** Latencies (ms) of one configuration, simulated and real, for the CDF plot. */
export interface LatencySamples {
  config: string;
  sim: number[];
  real: number[];
}

/** Replicas over time (per window) in the autoscaling run, simulated and real. */
export interface ReplicaSeries {
  t: number[];
  sim: number[];
  real: number[];
}

export interface ValidationRow {
  config: string;
  metric: string;
  sim: number;
  real: number;
  errorPct: number;
}

const row = (config: string, metric: string, sim: number, real: number): ValidationRow => ({
  config,
  metric,
  sim,
  real,
  errorPct: real === 0 ? (sim === 0 ? 0 : 100) : (100 * (sim - real)) / real,
});

/** Latency summary in ms and throughput over the busy period of a set of (send, receive) pairs; NaN where there are none. */
function measure(pairs: { sent: number; received: number }[]): { p50: number; p99: number; throughput: number } {
  if (pairs.length === 0) return { p50: NaN, p99: NaN, throughput: NaN };
  const latencies = pairs.map((p) => (p.received - p.sent) * 1000).sort((a, b) => a - b);
  const first = min(pairs.map((p) => p.sent));
  const last = max(pairs.map((p) => p.received));
  return { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), throughput: pairs.length / (last - first) };
}

/** The simulator's view of a server, measured on it: a profile file and the network hop. */
interface Calibration {
  profile: string;
  meanServiceMs: number;
  hopSeconds: number;
}

/**
 * The server's service time from 100 sequential requests (inference plus its own per-request
 * work: the sequential round trip less the inference time and a ping's round trip, on the same
 * core), and the loopback round trip from 200 pings. The profile goes into `folder`. A failed
 * request fails the calibration: the simulator would be calibrated from nothing.
 */
async function calibrate(server: RunningServer, variant: CnnVariant, cores: number, folder: string): Promise<Calibration> {
  const sequential = async (path: string, count: number) => {
    const out = [];
    for (let i = 0; i < count; i++) out.push(...(await replay(server.port, path, [0], 30)));
    const failed = out.filter((r) => !r.ok).length;
    if (failed > 0) throw new Error(`calibrating ${variant.name}: ${failed} of ${count} requests to ${path} failed (model server on port ${server.port})`);
    return out;
  };
  const pings = (await sequential('/ping', 200)).map((r) => (r.received - r.sent) * 1000).sort((a, b) => a - b);
  const runs = await sequential('/infer', 100);
  const overheadMs = Math.max(0, quantile(runs.map((r) => (r.received - r.sent) * 1000 - r.serviceMs).sort((a, b) => a - b), 0.5) - quantile(pings, 0.5));
  const service = runs.map((r) => r.serviceMs + overheadMs).sort((a, b) => a - b);
  const meanServiceMs = mean(service);
  const profile = join(folder, 'profile.csv');
  writeFileSync(
    profile,
    formatProfileCsv([
      { variant: variant.name, device: 'cpu', cores, batch: 1, mean: meanServiceMs / 1000, p50: quantile(service, 0.5) / 1000, p99: quantile(service, 0.99) / 1000, throughputRps: 1000 / meanServiceMs, concurrency: 1 },
    ]),
  );
  return { profile, meanServiceMs, hopSeconds: quantile(pings, 0.5) / 2000 };
}

/** One steady-state configuration, for real and in the simulator calibrated in the same run, on the same Poisson arrival times. */
export function validateConfig(config: ValidationConfig, modelsDir: string, seed: number): Promise<{ rows: ValidationRow[]; latencies: LatencySamples; real: RealRequests }> {
  return withTemporaryFolder(WORK_FOLDER_PREFIX, (folder) => validateConfigIn(folder, config, modelsDir, seed));
}

async function validateConfigIn(folder: string, config: ValidationConfig, modelsDir: string, seed: number): Promise<{ rows: ValidationRow[]; latencies: LatencySamples; real: RealRequests }> {
  const model = checkedModel(config.variant, modelsDir);
  const server = await startServer({ model, imageSize: config.variant.imageSize, cores: config.cores, maxBatch: 1, maxWaitMs: 0, cpus: config.cores === 1 ? '1' : undefined });
  let calibration: Calibration;
  let real: { sent: number; received: number }[];
  let sent: number;
  let rate: number;
  try {
    calibration = await calibrate(server, config.variant, config.cores, folder);
    rate = (config.utilisation * 1000) / calibration.meanServiceMs;
    const arrivals = poissonArrivals(new RandomStreams(seed).uniform('arrivals'), rate);
    function* times(): Generator<number> {
      for (let t = arrivals.next(); t < config.durationSeconds; t = arrivals.next()) yield t;
    }
    const responses = await replay(server.port, '/infer', times(), 30);
    sent = responses.length;
    real = responses.filter((r) => r.ok);
  } finally {
    await server.stop();
  }
  const simulated: { sent: number; received: number }[] = [];
  await runSpec(
    validateSpec(
      {
        name: config.name,
        seed,
        duration: config.durationSeconds,
        drain: true,
        workload: { arrivals: { process: 'poisson', rate } },
        network: { hop: { dist: 'deterministic', value: calibration.hopSeconds } },
        deployments: [{ name: 'server', replicas: 1, cores: config.cores, concurrency: 1, profile: { file: calibration.profile, variant: config.variant.name } }],
      },
      config.name,
    ),
    { requestLog: (r, _w, status, end) => status === 'completed' && simulated.push({ sent: r.arrivalTime, received: end }) },
  );
  const s = measure(simulated);
  const r = measure(real);
  const ms = (pairs: { sent: number; received: number }[]) => pairs.map((p) => (p.received - p.sent) * 1000);
  return {
    rows: [row(config.name, 'p50_ms', s.p50, r.p50), row(config.name, 'p99_ms', s.p99, r.p99), row(config.name, 'throughput_rps', s.throughput, r.throughput)],
    latencies: { config: config.name, sim: ms(simulated), real: ms(real) },
    real: { config: config.name, requests: sent, failed: sent - real.length },
  };
}

/**
 * The autoscaling configuration: HPA (CPU, 50% target, 1–2 replicas, 15 s sync) scaling one-core
 * servers through a bursty Twitter segment, scaled to this machine, run for real and simulated
 * with the same spec, calibrated in the same run. Compares SLO violations, mean replicas and P99.
 */
export function validateAutoscaling(variant: CnnVariant, modelsDir: string, seed: number, durationSeconds: number): Promise<{ rows: ValidationRow[]; replicas: ReplicaSeries; real: RealRequests }> {
  return withTemporaryFolder(WORK_FOLDER_PREFIX, (folder) => validateAutoscalingIn(folder, variant, modelsDir, seed, durationSeconds));
}

async function validateAutoscalingIn(folder: string, variant: CnnVariant, modelsDir: string, seed: number, durationSeconds: number): Promise<{ rows: ValidationRow[]; replicas: ReplicaSeries; real: RealRequests }> {
  const model = checkedModel(variant, modelsDir);
  const server = await startServer({ model, imageSize: variant.imageSize, cores: 1, maxBatch: 1, maxWaitMs: 0, cpus: '1' });
  let calibration: Calibration;
  try {
    calibration = await calibrate(server, variant, 1, folder);
  } finally {
    await server.stop();
  }
  // The burst of InfAdapter's segment (about 45 → 220 requests/s at 1,301,550) scaled so that its
  // peak needs about 1.5 servers.
  const capacity = 1000 / calibration.meanServiceMs;
  const input: SpecInput = {
    name: 'hpa-twitter-burst',
    seed,
    duration: durationSeconds,
    window: 5,
    workload: {
      trace: { file: join(packageRoot, 'traces/twitter_2021_08/twitter_per_second.csv'), start: 1_301_550 - durationSeconds / 3, duration: durationSeconds, scale: (1.5 * capacity) / 230 },
      arrivals: { process: 'poisson-within-second' },
      slo: 0.05,
    },
    network: { hop: { dist: 'deterministic', value: calibration.hopSeconds } },
    deployments: [{ name: 'server', replicas: 1, cores: 1, queue: 'per-replica', concurrency: 1, profile: { file: calibration.profile, variant: variant.name } }],
    policy: { name: 'hpa', deployment: 'server', metric: 'cpu', targetUtilization: 0.5, minReplicas: 1, maxReplicas: 2 },
  };
  const spec: Spec = validateSpec(input, 'autoscaling validation');
  const meanReplicas = (rows: { replicas: number }[]) => mean(rows.map((r) => r.replicas));
  const real = await testbedRun(spec, modelsDir, (f) => f);
  const simRows: { t: number; replicas: number }[] = [];
  const sim = await runSpec(spec, { onRow: (r) => simRows.push(r) });
  const name = `hpa-${variant.name}-burst`;
  return {
    rows: [
      row(name, 'slo_violation_rate', sim.sloViolationRate ?? NaN, real.summary.sloViolationRate ?? NaN),
      row(name, 'mean_replicas', meanReplicas(simRows), meanReplicas(real.rows)),
      row(name, 'p99_ms', sim.latencyMs.p99 ?? NaN, real.summary.latencyMs.p99 ?? NaN),
    ],
    replicas: { t: simRows.map((r) => r.t), sim: simRows.map((r) => r.replicas), real: simRows.map((_, i) => real.rows[i]?.replicas ?? NaN) },
    real: { config: name, requests: real.summary.requests, failed: real.summary.dropped },
  };
}

/** The example spec InfAdapter's validation runs: three testbed variants behind one stage. */
export const INFADAPTER_TESTBED_SPEC = 'experiments/testbed/infadapter-cnn.json';

/** The example spec Sponge's validation runs: one server resized in place, requests uploaded over the bus log. */
export const SPONGE_TESTBED_SPEC = 'experiments/testbed/sponge-cnn.json';

type Validated = { rows: ValidationRow[]; latencies: LatencySamples; real: RealRequests };

/**
 * The multi-variant configuration: InfAdapter choosing among cnn-s, cnn-m and cnn-l (and their
 * cores) through a Twitter burst, run for real and simulated with the same spec, both from a
 * profile of the three models at 1 and 2 cores taken in the same run, with its capacity data.
 * Compares SLO violations, mean cores, accuracy and latency.
 */
export function validateInfAdapter(modelsDir: string, seed: number): Promise<Validated> {
  return withTemporaryFolder(WORK_FOLDER_PREFIX, (folder) => validateTestbedSpec(folder, INFADAPTER_TESTBED_SPEC, 'infadapter-cnn-burst', [1], modelsDir, seed));
}

/**
 * The in-place configuration: Sponge resizing one cnn-m server between 1 and 2 cores as the load
 * steps, each request uploaded over the 4G bus log first, for real and simulated from a profile of
 * batches 1–8 at 1 and 2 cores taken in the same run. Compares SLO violations, mean cores and latency.
 */
export function validateSponge(modelsDir: string, seed: number): Promise<Validated> {
  return withTemporaryFolder(WORK_FOLDER_PREFIX, (folder) => validateTestbedSpec(folder, SPONGE_TESTBED_SPEC, 'sponge-cnn-steps', [1, 2, 4, 8], modelsDir, seed));
}

/** One example testbed spec, for real and simulated, with the profile (and capacity data) its policy reads measured now. */
async function validateTestbedSpec(folder: string, specFile: string, name: string, batches: number[], modelsDir: string, seed: number): Promise<Validated> {
  const input = JSON.parse(readFileSync(join(packageRoot, specFile), 'utf8')) as SpecInput;
  const variants = [...new Set(input.deployments.map((d) => testbedVariant(d.profile?.variant) as CnnVariant))];
  const points = await profileModels(
    variants.map((variant) => ({ variant, path: checkedModel(variant, modelsDir) })),
    { batches, cores: [1, 2], runs: 100, warmup: 10 },
  );
  const profile = join(folder, 'profile.csv');
  writeFileSync(profile, formatProfileCsv(points));
  input.seed = seed;
  input.deployments = input.deployments.map((d) => ({ ...d, profile: { ...(d.profile as { variant: string }), file: profile } }));
  const spec = validateSpec(input, specFile);
  // The profile's capacity data at the SLOs the spec's policies fit their capacity lines to, as `servesim profile` writes it.
  const capacitySlosMs = [...new Set(specPolicies(spec).flatMap((p) => ('capacitySloMs' in p ? [p.capacitySloMs] : [])))];
  if (capacitySlosMs.length > 0) await writeProfileCapacity(profile, capacitySlosMs, { seed });
  // The spec's other files (trace, bandwidth log) are the package's.
  const resolve = (file: string) => resolvePath(packageRoot, file);
  const real = await testbedRun(spec, modelsDir, resolve);
  const simulated: number[] = [];
  const sim = await runSpec(spec, { resolve, requestLog: (r, _w, status, end) => status === 'completed' && simulated.push((end - r.arrivalTime) * 1000) });
  const accuracy = sim.accuracy === null ? [] : [row(name, 'accuracy', sim.accuracy, real.summary.accuracy ?? NaN)];
  return {
    rows: [
      row(name, 'slo_violation_rate', sim.sloViolationRate ?? NaN, real.summary.sloViolationRate ?? NaN),
      row(name, 'mean_cores', sim.meanCores, real.summary.meanCores),
      ...accuracy,
      row(name, 'p50_ms', sim.latencyMs.p50 ?? NaN, real.summary.latencyMs.p50 ?? NaN),
      row(name, 'p99_ms', sim.latencyMs.p99 ?? NaN, real.summary.latencyMs.p99 ?? NaN),
    ],
    latencies: { config: name, sim: simulated, real: real.latenciesMs },
    real: { config: name, requests: real.summary.requests, failed: real.summary.dropped },
  };
}

export const VALIDATION_HEADER = ['config', 'metric', 'sim', 'real', 'error_pct'];

const fixedOrEmpty = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : '');

/** One row of validation.csv; a figure that could not be measured (no request succeeded) is empty. */
export function validationCells(r: ValidationRow): string[] {
  return [r.config, r.metric, fixedOrEmpty(r.sim, 4), fixedOrEmpty(r.real, 4), fixedOrEmpty(r.errorPct, 2)];
}
