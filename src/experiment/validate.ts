import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { max, mean, median, min } from 'simple-statistics';
import type { WindowRow } from '../metrics/timeseries.js';
import type { Summary } from './summary.js';
import { RandomStreams } from '../engine/random.js';
import { validateSpec } from './load-spec.js';
import { runSpec } from './run.js';
import { specPolicies, type Spec, type SpecInput } from './spec.js';
import { writeProfileCapacity } from './capacity.js';
import { nearestRankQuantileSorted as quantile } from '../metrics/quantile.js';
import { packageRoot } from '../paths.js';
import { formatProfileCsv } from '../profiles/table-model.js';
import { poissonArrivals } from '../workload/arrivals.js';
import { replay, type Response } from '../testbed/load-generator.js';
import { checkModelFile, ensureModel, testbedVariant, type CnnVariant } from '../testbed/onnx-model.js';
import { withTemporaryFolder } from '../testbed/process-cleanup.js';
import { profileModels } from '../testbed/profiler.js';
import { startServer, type RunningServer } from '../testbed/server-process.js';
import { testbedRun, type TestbedSummary } from './testbed-run.js';

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
  /** Requests that may wait at the server (its 503 bound, the simulator's queueLimit); default the server's. */
  queueLimit?: number;
  /** Seconds a request may take before the client gives up; default 30. */
  timeoutSeconds?: number;
}

/** Latencies (ms) of one configuration, simulated and real, for the CDF plot. */
export interface LatencySamples {
  config: string;
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

/** The simulator's view of a server, measured on it: a profile file, the network hop and an idle server's wake-up. */
export interface Calibration {
  profile: string;
  /** What a request arriving at an idle server pays beyond its service (see Round.wakeUpMs), ms. */
  wakeUpMs: number;
  hopSeconds: number;
}

/** Calibration rounds before a configuration's load and after it: their median is the simulator's input. */
const ROUNDS_BEFORE = 3;
const ROUNDS_AFTER = 2;
/** Spaced requests in one round (and sequential pings, twice as many). */
const ROUND_REQUESTS = 40;
/** Seconds between the spaced requests of a round: long enough for the server and the client to fall idle. */
const SPACING_SECONDS = 0.02;
/** Back-to-back bursts in one round, each of this many requests sent at once (at most the overload configuration's waiting room). */
const BURSTS = 5;
const BURST_SIZE = 8;

/** One round of measurements of a running server. */
interface Round {
  /** Inference time of spaced requests (the server's own figure), ms: the service's shape. */
  serviceMs: number[];
  /**
   * The server's time per request when it never idles, ms: the spacing of the replies to bursts of
   * requests sent at once (inference plus its per-request work, as under load). The service's level.
   */
  busyMs: number;
  /**
   * A spaced request's round trip less a ping's and less `busyMs`, ms (at least 0): what a
   * request pays when it finds the server (and this client) idle — waking the server's threads and
   * the client's event loop, CPU idle states — and not when it queues behind another.
   */
  wakeUpMs: number;
  pingMs: number;
}

/**
 * One calibration round on a running server: pings, spaced requests, then bursts. A failed
 * request fails the calibration: the simulator would be calibrated from nothing.
 */
async function calibrationRound(server: RunningServer, variant: CnnVariant, requests = ROUND_REQUESTS): Promise<Round> {
  const checked = (out: Response[], path: string) => {
    const failed = out.filter((r) => !r.ok).length;
    if (failed > 0) throw new Error(`calibrating ${variant.name}: ${failed} of ${out.length} requests to ${path} failed (model server on port ${server.port})`);
    return out;
  };
  const sequential = async (path: string, count: number) => {
    const out = [];
    for (let i = 0; i < count; i++) out.push(...(await replay(server.port, path, [0], 30)));
    return checked(out, path);
  };
  const pingMs = quantile((await sequential('/ping', 2 * requests)).map((r) => (r.received - r.sent) * 1000).sort((a, b) => a - b), 0.5);
  // Spaced requests, each finding the server and this client idle, as requests of a light load do.
  const runs = checked(await replay(server.port, '/infer', Array.from({ length: requests }, (_, i) => i * SPACING_SECONDS), 30), '/infer');
  const spacings: number[] = [];
  for (let b = 0; b < BURSTS; b++) {
    const replies = checked(await replay(server.port, '/infer', new Array<number>(BURST_SIZE).fill(0), 30), '/infer')
      .map((r) => r.received)
      .sort((x, y) => x - y);
    spacings.push(((replies[replies.length - 1] - replies[0]) * 1000) / (replies.length - 1));
  }
  const busyMs = median(spacings);
  const roundTripMs = quantile(runs.map((r) => (r.received - r.sent) * 1000).sort((a, b) => a - b), 0.5);
  return { serviceMs: runs.map((r) => r.serviceMs), busyMs, wakeUpMs: Math.max(0, roundTripMs - pingMs - busyMs), pingMs };
}

/**
 * The simulator's inputs from several short rounds taken around the load (robust to one slow
 * moment): the median round's busy time per request is the service's mean, every round's
 * inference samples (each scaled to it) its shape; the median wake-up and ping. Writes the
 * batch-1 profile into `folder`.
 */
function calibrationOf(rounds: Round[], variant: CnnVariant, cores: number, folder: string): Calibration {
  const level = median(rounds.map((r) => r.busyMs));
  const service = rounds.flatMap((r) => r.serviceMs.map((x) => (x * level) / mean(r.serviceMs))).sort((a, b) => a - b);
  const profile = join(folder, 'profile.csv');
  writeFileSync(
    profile,
    formatProfileCsv([
      { variant: variant.name, device: 'cpu', cores, batch: 1, mean: level / 1000, p50: quantile(service, 0.5) / 1000, p99: quantile(service, 0.99) / 1000, throughputRps: 1000 / level, concurrency: 1 },
    ]),
  );
  return { profile, wakeUpMs: median(rounds.map((r) => r.wakeUpMs)), hopSeconds: median(rounds.map((r) => r.pingMs)) / 2000 };
}

/** What the simulated testbed node may place: more than any run asks for, as the real testbed starts servers whatever their cores add up to. */
const TESTBED_ALLOCATABLE_CORES = 1000;

/**
 * The testbed machine as the simulator sees it: one node with this machine's cores, shared
 * (cluster cpu "shared") by the servers, the load generator and the policy's controller in this
 * process, whose CPU per request and per decision were measured in the same run.
 */
export function testbedNode(clientCpuPerRequest: number, controllerCpuPerDecision = 0): NonNullable<SpecInput['cluster']> {
  return {
    cpu: 'shared',
    // The testbed starts every server asked for (its cap is on processes, not cores): oversubscribed, as no scheduler stops it.
    nodePools: [{ name: 'testbed', nodes: 1, cores: cpus().length, allocatableCores: TESTBED_ALLOCATABLE_CORES }],
    client: { cpuSecondsPerRequest: clientCpuPerRequest },
    ...(controllerCpuPerDecision > 0 && { controller: { cpuSecondsPerDecision: controllerCpuPerDecision } }),
  };
}

/** CPU seconds this process spends while `work` runs (the load generator's, with whatever else runs here). */
export async function processCpuDuring<T>(work: () => Promise<T>): Promise<{ result: T; cpuSeconds: number }> {
  const before = process.cpuUsage();
  const result = await work();
  const used = process.cpuUsage(before);
  return { result, cpuSeconds: (used.user + used.system) / 1e6 };
}

/**
 * One steady-state configuration, for real and in the simulator calibrated around it, on the
 * same Poisson arrival times. The offered load is a fraction of `capacityRps` (measured apart,
 * see measureServer; measured here first when not given).
 */
export function validateConfig(config: ValidationConfig, modelsDir: string, seed: number, capacityRps?: number): Promise<{ rows: ValidationRow[]; latencies: LatencySamples; real: RealRequests }> {
  return withTemporaryFolder(WORK_FOLDER_PREFIX, async (folder) => validateConfigIn(folder, config, modelsDir, seed, capacityRps ?? (await measureServer(config.variant, modelsDir)).capacityRps));
}

async function validateConfigIn(folder: string, config: ValidationConfig, modelsDir: string, seed: number, capacityRps: number): Promise<{ rows: ValidationRow[]; latencies: LatencySamples; real: RealRequests }> {
  const model = checkedModel(config.variant, modelsDir);
  const queueLimit = config.queueLimit;
  const server = await startServer({ model, imageSize: config.variant.imageSize, cores: config.cores, maxBatch: 1, maxWaitMs: 0, maxQueue: queueLimit, cpus: config.cores === 1 ? '1' : undefined });
  const rounds: Round[] = [];
  let responses: Response[];
  let clientCpu: number;
  const rate = config.utilisation * capacityRps;
  try {
    for (let i = 0; i < ROUNDS_BEFORE; i++) rounds.push(await calibrationRound(server, config.variant));
    const arrivals = poissonArrivals(new RandomStreams(seed).uniform('arrivals'), rate);
    function* times(): Generator<number> {
      for (let t = arrivals.next(); t < config.durationSeconds; t = arrivals.next()) yield t;
    }
    const replayed = await processCpuDuring(() => replay(server.port, '/infer', times(), config.timeoutSeconds ?? 30));
    responses = replayed.result;
    clientCpu = replayed.cpuSeconds / Math.max(1, responses.length);
    for (let i = 0; i < ROUNDS_AFTER; i++) rounds.push(await calibrationRound(server, config.variant));
  } finally {
    await server.stop();
  }
  const calibration = calibrationOf(rounds, config.variant, config.cores, folder);
  const sentTimes = join(folder, 'sent.csv');
  writeFileSync(sentTimes, `sent\n${responses.map((x) => x.sent.toFixed(6)).join('\n')}\n`);
  const real = responses.filter((r) => r.ok);
  const simulated: { sent: number; received: number }[] = [];
  let simDropped = 0;
  await runSpec(
    validateSpec(
      {
        name: config.name,
        seed,
        duration: config.durationSeconds,
        drain: true,
        // The times the client really sent: its timer ticks and busy event loop clump sends, which the scheduled Poisson times do not show.
        workload: { trace: { file: sentTimes, format: 'timestamps', column: 'sent', timeUnit: 's' } },
        network: { hop: { dist: 'deterministic', value: calibration.hopSeconds } },
        cluster: testbedNode(clientCpu),
        deployments: [
          {
            name: 'server',
            replicas: 1,
            cores: config.cores,
            concurrency: 1,
            wakeUpSeconds: calibration.wakeUpMs / 1000,
            ...(queueLimit !== undefined && { queueLimit }),
            profile: { file: calibration.profile, variant: config.variant.name },
          },
        ],
      },
      config.name,
    ),
    {
      requestLog: (r, _w, status, end) => {
        if (status === 'completed') simulated.push({ sent: r.arrivalTime, received: end });
        else if (status === 'dropped') simDropped++;
      },
    },
  );
  const s = measure(simulated);
  const r = measure(real);
  const ms = (pairs: { sent: number; received: number }[]) => pairs.map((p) => (p.received - p.sent) * 1000);
  const sent = responses.length;
  // Offered above capacity with a bounded queue, drops are the figure that can disagree; goodput is completions per second of load.
  const overload =
    queueLimit === undefined
      ? []
      : [row(config.name, 'drop_rate', simDropped / Math.max(1, simulated.length + simDropped), (sent - real.length) / Math.max(1, sent)), row(config.name, 'goodput_rps', simulated.length / config.durationSeconds, real.length / config.durationSeconds)];
  return {
    rows: [row(config.name, 'p50_ms', s.p50, r.p50), row(config.name, 'p99_ms', s.p99, r.p99), row(config.name, 'throughput_rps', s.throughput, r.throughput), ...overload],
    latencies: { config: config.name, sim: ms(simulated), real: ms(real) },
    // An overloaded server's 503s are the configuration's point, not a broken run.
    real: { config: config.name, requests: sent, failed: queueLimit === undefined ? sent - real.length : responses.filter((x) => !x.ok && x.status !== 503).length },
  };
}

/** What a variant's one-core server is, measured on a server of its own before the configurations that use it. */
export interface ServerFacts {
  /** Requests per second it serves when it never idles (1 / Round.busyMs). */
  capacityRps: number;
  /** Its per-request work beyond inference when busy (busy time less the inference time the server reports in its bursts), ms. */
  overheadMs: number;
  /** An idle server's wake-up (Round.wakeUpMs), ms. */
  wakeUpMs: number;
  hopSeconds: number;
  /** From spawning the process to its first answer, seconds (a new replica's start-up). */
  startSeconds: number;
}

/** Measures a variant's one-core server (see ServerFacts): 100 sequential requests after its start. */
export async function measureServer(variant: CnnVariant, modelsDir: string): Promise<ServerFacts> {
  const spawned = performance.now();
  const server = await startServer({ model: checkedModel(variant, modelsDir), imageSize: variant.imageSize, cores: 1, maxBatch: 1, maxWaitMs: 0, cpus: '1' });
  const startSeconds = (performance.now() - spawned) / 1000;
  try {
    const round = await calibrationRound(server, variant, 100);
    return { capacityRps: 1000 / round.busyMs, overheadMs: Math.max(0, round.busyMs - median(round.serviceMs)), wakeUpMs: round.wakeUpMs, hopSeconds: round.pingMs / 2000, startSeconds };
  } finally {
    await server.stop();
  }
}

/** A configuration run from a spec, real and simulated: `batches` and `cores` are the profile points it needs. */
export interface SpecConfig {
  name: string;
  input: SpecInput;
  batches: number[];
  cores: number[];
}

/** One seed of a spec configuration, real and simulated. */
export interface PairedRun {
  seed: number;
  sim: Summary;
  real: TestbedSummary;
  simRows: WindowRow[];
  realRows: WindowRow[];
  simLatenciesMs: number[];
  realLatenciesMs: number[];
  /** What the simulated node was charged: the load generator per request, the controller per decision (CPU seconds). */
  clientCpuPerRequest: number;
  controllerCpuPerDecision: number;
}

/**
 * A spec configuration on real servers and in the simulator, once per seed, from one profile
 * measured now: each variant's batches at each core count (in-process inference) plus its
 * server's per-request work, with the capacity data its policies read. The simulator models the
 * testbed machine (testbedNode): the generator's and the controller's CPU measured in the same
 * run, the loopback hop, a new server's start-up (ServerFacts) as the pod's start-up.
 */
export function runPaired(config: SpecConfig, seeds: number[], modelsDir: string, facts: (variant: CnnVariant) => Promise<ServerFacts>, onRun?: (seed: number) => void): Promise<PairedRun[]> {
  return withTemporaryFolder(WORK_FOLDER_PREFIX, async (folder) => {
    const input = structuredClone(config.input);
    const variants = [...new Set(input.deployments.map((d) => testbedVariant(d.profile?.variant) as CnnVariant))];
    const measured = new Map<string, ServerFacts>();
    for (const v of variants) measured.set(v.name, await facts(v));
    const points = await profileModels(
      variants.map((variant) => ({ variant, path: checkedModel(variant, modelsDir) })),
      { batches: config.batches, cores: config.cores, runs: 100, warmup: 10 },
    );
    // The server's own work is per request: a batch of b carries it b times.
    const served = points.map((p) => {
      const extra = ((measured.get(p.variant) as ServerFacts).overheadMs * p.batch) / 1000;
      return { ...p, mean: p.mean + extra, p50: p.p50 + extra, p99: p.p99 + extra, throughputRps: p.batch / (p.mean + extra) };
    });
    const profile = join(folder, 'profile.csv');
    writeFileSync(profile, formatProfileCsv(served));
    input.deployments = input.deployments.map((d) => ({ ...d, profile: { ...(d.profile as { variant: string }), file: profile } }));
    const base = validateSpec(input, config.name);
    const capacitySlosMs = [...new Set(specPolicies(base).flatMap((p) => ('capacitySloMs' in p ? [p.capacitySloMs] : [])))];
    if (capacitySlosMs.length > 0) await writeProfileCapacity(profile, capacitySlosMs, { seed: base.seed });
    // The spec's other files (trace, bandwidth log) are the package's.
    const resolve = (file: string) => resolvePath(packageRoot, file);
    const hop = median([...measured.values()].map((f) => f.hopSeconds));
    const runs: PairedRun[] = [];
    for (const seed of seeds) {
      onRun?.(seed);
      const spec = validateSpec({ ...input, seed }, config.name);
      const { result: real, cpuSeconds } = await processCpuDuring(() => testbedRun(spec, modelsDir, resolve));
      const solve = real.summary.timing.solveMs;
      const controllerCpuPerDecision = solve === null ? 0 : solve.mean / 1000;
      const clientCpuPerRequest = Math.max(0, cpuSeconds - (solve === null ? 0 : (solve.decisions * solve.mean) / 1000)) / Math.max(1, real.summary.requests);
      const simSpec = validateSpec(
        {
          ...input,
          seed,
          cluster: testbedNode(clientCpuPerRequest, controllerCpuPerDecision),
          network: { ...input.network, hop: { dist: 'deterministic', value: hop } },
          deployments: input.deployments.map((d) => ({
            ...d,
            wakeUpSeconds: (measured.get(d.profile?.variant as string) as ServerFacts).wakeUpMs / 1000,
            lifecycle: { ...d.lifecycle, containerStartSeconds: 0, warmupSeconds: 0, modelLoadSeconds: (measured.get(d.profile?.variant as string) as ServerFacts).startSeconds },
          })),
        },
        config.name,
      );
      const simRows: WindowRow[] = [];
      const simLatenciesMs: number[] = [];
      const sim = await runSpec(simSpec, { resolve, onRow: (r) => simRows.push(r), requestLog: (r, _w, status, end) => status === 'completed' && simLatenciesMs.push((end - r.arrivalTime) * 1000) });
      runs.push({ seed, sim, real: real.summary, simRows, realRows: real.rows, simLatenciesMs, realLatenciesMs: real.latenciesMs, clientCpuPerRequest, controllerCpuPerDecision });
    }
    return runs;
  });
}

/** A run's figures the validation compares, by metric name. */
export function runFigures(summary: Summary, rows: WindowRow[], deployments: number): Record<string, number> {
  const windows = Math.max(1, rows.length / Math.max(1, deployments));
  return {
    slo_violation_rate: summary.sloViolationRate ?? NaN,
    mean_replicas: rows.reduce((sum, r) => sum + r.replicas, 0) / windows,
    mean_cores: summary.meanCores,
    ...(summary.accuracy !== null && { accuracy: summary.accuracy }),
    p50_ms: summary.latencyMs.p50 ?? NaN,
    p99_ms: summary.latencyMs.p99 ?? NaN,
  };
}

/** The spread of repeated real runs against the simulator's, per metric. */
export interface SpreadRow {
  config: string;
  metric: string;
  runs: number;
  simMean: number;
  realMean: number;
  realMin: number;
  realMax: number;
  /** The simulator's mean within the wider of ±10% of the real mean and the real runs' range. */
  withinGoal: boolean;
}

/** validation.csv's rows (means over the seeds), the spread of a repeated configuration, and each seed's figures, simulated and real. */
export function summarizeRepeats(config: string, runs: PairedRun[], metrics: string[]): { rows: ValidationRow[]; spread: SpreadRow[]; sims: Record<string, number>[]; reals: Record<string, number>[] } {
  const deployments = (r: PairedRun) => new Set(r.simRows.map((w) => w.deployment)).size;
  const sims = runs.map((r) => runFigures(r.sim, r.simRows, deployments(r)));
  const reals = runs.map((r) => runFigures(r.real, r.realRows, deployments(r)));
  const rows: ValidationRow[] = [];
  const spread: SpreadRow[] = [];
  for (const metric of metrics) {
    if (!(metric in sims[0])) continue;
    const sim = mean(sims.map((f) => f[metric]));
    const real = reals.map((f) => f[metric]);
    const realMean = mean(real);
    const low = Math.min(min(real), realMean - 0.1 * Math.abs(realMean));
    const high = Math.max(max(real), realMean + 0.1 * Math.abs(realMean));
    rows.push(row(config, metric, sim, realMean));
    spread.push({ config, metric, runs: runs.length, simMean: sim, realMean, realMin: min(real), realMax: max(real), withinGoal: sim >= low - 1e-12 && sim <= high + 1e-12 });
  }
  return { rows, spread, sims, reals };
}

/** The example spec InfAdapter's validation runs: three testbed variants behind one stage. */
export const INFADAPTER_TESTBED_SPEC = 'experiments/testbed/infadapter-cnn.json';

/** The example spec Sponge's validation runs: one server resized in place, requests uploaded over the bus log. */
export const SPONGE_TESTBED_SPEC = 'experiments/testbed/sponge-cnn.json';

/** The example spec IPA's validation runs: a two-stage chain, two variants per stage. */
export const IPA_TESTBED_SPEC = 'experiments/testbed/ipa-cnn.json';

/** Two variants behind one stage, static, half the requests each. */
export const TWO_VARIANTS_TESTBED_SPEC = 'experiments/testbed/two-variants.json';

/** A committed testbed spec as a configuration. */
export function specConfig(name: string, file: string, batches: number[], cores: number[]): SpecConfig {
  return { name, input: JSON.parse(readFileSync(join(packageRoot, file), 'utf8')) as SpecInput, batches, cores };
}

/** The policies of the ranking set, on the same burst: two static sizes and HPA at three targets. */
export const RANKING_POLICIES: { name: string; replicas: number; hpaTarget?: number }[] = [
  { name: 'static-1', replicas: 1 },
  { name: 'static-2', replicas: 2 },
  { name: 'hpa-0.3', replicas: 1, hpaTarget: 0.3 },
  { name: 'hpa-0.5', replicas: 1, hpaTarget: 0.5 },
  { name: 'hpa-0.8', replicas: 1, hpaTarget: 0.8 },
];

/**
 * The autoscaling configurations: one-core cnn-s servers through the burst of InfAdapter's
 * Twitter segment (about 45 → 220 requests/s at 1,301,550), scaled so that its peak needs about 1.5
 * servers of `capacityRps`, SLO 50 ms; HPA on CPU (15 s sync, 1–2 replicas) at `hpaTarget`, or a
 * static size.
 */
export function burstConfig(policy: (typeof RANKING_POLICIES)[number], capacityRps: number, durationSeconds: number): SpecConfig {
  const input: SpecInput = {
    name: `burst-${policy.name}`,
    seed: 1,
    duration: durationSeconds,
    window: 5,
    workload: {
      trace: { file: 'traces/twitter_2021_08/twitter_per_second.csv', start: 1_301_550 - durationSeconds / 3, duration: durationSeconds, scale: (1.5 * capacityRps) / 230 },
      arrivals: { process: 'poisson-within-second' },
      slo: 0.05,
    },
    deployments: [{ name: 'server', replicas: policy.replicas, cores: 1, queue: 'per-replica', concurrency: 1, profile: { file: 'profile.csv', variant: 'cnn-s' } }],
    ...(policy.hpaTarget !== undefined && { policy: { name: 'hpa', deployment: 'server', metric: 'cpu', targetUtilization: policy.hpaTarget, minReplicas: 1, maxReplicas: 2 } }),
  };
  return { name: `burst-${policy.name}`, input, batches: [1], cores: [1] };
}

export const VALIDATION_HEADER = ['config', 'metric', 'sim', 'real', 'error_pct'];

const fixedOrEmpty = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : '');

/** One row of validation.csv; a figure that could not be measured (no request succeeded) is empty. */
export function validationCells(r: ValidationRow): string[] {
  return [r.config, r.metric, fixedOrEmpty(r.sim, 4), fixedOrEmpty(r.real, 4), fixedOrEmpty(r.errorPct, 2)];
}

/** Batching on: one cnn-s server batching up to 4 requests within 5 ms, Poisson at 90% of its batch-1 capacity, SLO 50 ms. */
export function batchingConfig(capacityRps: number): SpecConfig {
  const input: SpecInput = {
    name: 'cnn-s-batching',
    seed: 1,
    duration: 60,
    window: 5,
    workload: { arrivals: { process: 'poisson', rate: 0.9 * capacityRps }, slo: 0.05 },
    deployments: [{ name: 'server', replicas: 1, cores: 1, queue: 'per-replica', concurrency: 1, batching: { maxBatch: 4, maxWaitSeconds: 0.005 }, profile: { file: 'profile.csv', variant: 'cnn-s' } }],
  };
  return { name: 'cnn-s-batching', input, batches: [1, 2, 3, 4], cores: [1] };
}
