import { cpus } from 'node:os';
import { median } from 'simple-statistics';
import { resolve as resolvePath } from 'node:path';
import type { DeploymentSpec, StageSpec } from '../cluster/schema.js';
import { stageAccuracyTerms } from '../cluster/service.js';
import { InputError } from '../errors.js';
import { RandomStreams } from '../engine/random.js';
import { ControlLoop } from '../control/loop.js';
import type { WindowRow } from '../metrics/timeseries.js';
import { RealDeployment } from '../testbed/actuator.js';
import { RealControlPlane, TimerClock, type ModelFor } from '../testbed/control-plane.js';
import type { CrashBackOffOptions } from '../testbed/crash-backoff.js';
import { DEFAULT_MAX_FAILED_SHARE, failureVerdict } from '../testbed/failure-threshold.js';
import { replay, type Response } from '../testbed/load-generator.js';
import { checkModelFile, CNN_VARIANTS, ensureModel, testbedVariant } from '../testbed/onnx-model.js';
import { RealStage } from '../testbed/real-stage.js';
import { DEFAULT_MAX_SERVERS, ServerSlots } from '../testbed/server-slots.js';
import type { ArrivalProcess } from '../workload/arrivals.js';
import { openArrivals } from '../workload/workload.js';
import { BandwidthLog } from '../profiles/bandwidth-log.js';
import { createPolicies, policyContext, policyLabel } from './policies.js';
import { summarizeReal, type CapacitySample } from './real-metrics.js';
import type { Spec } from './spec.js';
import type { Summary } from './summary.js';

/** Seconds a request may take before it counts as dropped (InfAdapter's dispatcher timeout). */
const TIMEOUT_SECONDS = 30;

export interface TestbedRunOptions {
  /** The share of failed requests above which the run has failed; default DEFAULT_MAX_FAILED_SHARE. */
  maxFailedShare?: number;
  /** Server processes the run may have at once; default DEFAULT_MAX_SERVERS. */
  maxServers?: number;
  /** The crash back-off's scale; default the kubelet's. */
  crashBackOff?: CrashBackOffOptions;
}

/** What summary.json says of a real run beyond a simulated one's fields: its verdict and its servers. */
export interface TestbedReport {
  /** dropped / requests (0 without requests). */
  failedShare: number;
  maxFailedShare: number;
  /** failedShare <= maxFailedShare; the CLI exits non-zero otherwise. */
  passed: boolean;
  maxServers: number;
  /** Server crashes (or failed starts) restarted with the crash back-off, or waiting to be. */
  serverRestarts: number;
  /** Pods that waited, Pending, for a free server slot. */
  serverStartsDeferred: number;
  /** Replicas asked for past the cap, never started. */
  replicasRefused: number;
  /** Servers resized in place, and the median and longest time one took to switch (ms; null without any). */
  inPlaceResizes: number;
  resizeMedianMs: number | null;
  resizeMaxMs: number | null;
}

export type TestbedSummary = Summary & { testbed: TestbedReport };

/** The arrival times before `duration`, one at a time, as the load generator asks for them. */
function* arrivalTimes(arrivals: ArrivalProcess, duration: number): Generator<number> {
  for (let t = arrivals.next(); t < duration; t = arrivals.next()) yield t;
}

/**
 * The stages the testbed runs, in order: the target pipeline's (a chain: each stage after the one
 * before it), or a one-stage pipeline around the target deployment (as the simulator wraps a lone
 * deployment, src/experiment/build.ts). Every deployment must be in one: one that no request
 * reaches would hold cores for nothing.
 */
function testbedPipeline(spec: Spec): { stages: StageSpec[]; product: boolean } {
  const target = spec.workload.target ?? spec.pipelines?.[0]?.name ?? spec.deployments[0].name;
  const pipeline = spec.pipelines?.find((p) => p.name === target);
  const stages: StageSpec[] = pipeline?.stages ?? [{ name: target, deployments: [target], router: 'weighted-round-robin' }];
  stages.forEach((stage, i) => {
    const chained = stage.after === undefined || (i > 0 && stage.after.length === 1 && stage.after[0] === stages[i - 1].name);
    if (!chained) throw new InputError(`testbed run: pipeline "${pipeline?.name}" stage "${stage.name}": the testbed runs a chain of stages, each after the one before it (no fan-out or fan-in)`);
  });
  const inStages = new Set(stages.flatMap((s) => s.deployments));
  const outside = spec.deployments.filter((d) => !inStages.has(d.name)).map((d) => d.name);
  if (outside.length > 0) throw new InputError(`testbed run: deployments ${outside.join(', ')} are in no stage of "${target}"; the testbed runs its stages' deployments only`);
  return { stages, product: (pipeline?.accuracy ?? 'product') === 'product' };
}

/**
 * Runs a spec on real model servers: each deployment of the pipeline's stages (see
 * testbedPipeline) is a set of server processes (its profile's variant must be a testbed model,
 * e.g. cnn-m) with its cores and batching, one-core servers pinned round the machine's CPUs; the
 * spec's arrivals are replayed open-loop from this process, which routes each request through the
 * stages in turn as the pipeline's router: at each, split across its deployments by the stage's
 * router and weights and within each over its ready servers by its own router. A policy acts on them through the same
 * actions as in the simulator (see apply-action.ts), at its interval in wall-clock time, reading
 * metrics sampled from /proc. Writes the same summary and time-series rows as `servesim run`,
 * and a `testbed` block: the share of failed requests against its threshold, and the servers'
 * restarts and refusals. Before any server starts, the models are checked and the initial
 * replicas held to the cap on server processes; a server that cannot start fails the run before
 * any load is sent; arrival times are drawn as the replay goes.
 */
export async function testbedRun(
  spec: Spec,
  modelsDir: string,
  resolve: (file: string) => string,
  resolveModule: (file: string) => string = (file) => resolvePath(file),
  options: TestbedRunOptions = {},
): Promise<{ summary: TestbedSummary; rows: WindowRow[]; latenciesMs: number[] }> {
  const maxFailedShare = options.maxFailedShare ?? DEFAULT_MAX_FAILED_SHARE;
  const maxServers = options.maxServers ?? DEFAULT_MAX_SERVERS;
  const pipeline = testbedPipeline(spec);
  const specs = pipeline.stages.flatMap((stage) => stage.deployments).map((name) => spec.deployments.find((d) => d.name === name) as DeploymentSpec);
  for (const d of specs) {
    const i = spec.deployments.indexOf(d);
    if (testbedVariant(d.profile?.variant) === undefined) throw new InputError(`testbed run: deployments[${i}].profile.variant must be a testbed model (${CNN_VARIANTS.map((v) => v.name).join(', ')})`);
  }
  if (spec.duration === undefined) throw new InputError('testbed run: expected a duration (seconds of real load)');
  const duration = spec.duration;
  const initialServers = specs.reduce((sum, d) => sum + d.replicas, 0);
  if (initialServers > maxServers) {
    const fields = specs.map((d) => `deployments[${spec.deployments.indexOf(d)}].replicas ${d.replicas}`).join(', ');
    throw new InputError(`testbed run: the spec starts ${initialServers} servers (${fields}), more than the ${maxServers} server processes a run may have (--max-servers)`);
  }
  const modelFor: ModelFor = (name) => {
    const variant = testbedVariant(name);
    if (variant === undefined) throw new InputError(`testbed run: variant "${name}" is not a testbed model (${CNN_VARIANTS.map((v) => v.name).join(', ')})`);
    const model = ensureModel(variant, modelsDir);
    checkModelFile(model);
    return { model, imageSize: variant.imageSize };
  };
  // Every model the spec starts with is checked now, before any server starts or any load is sent.
  for (const d of specs) modelFor(d.profile?.variant as string);
  const streams = new RandomStreams(spec.seed);
  const arrivals = openArrivals(spec.workload, streams, spec.workload.trace && resolve(spec.workload.trace.file));
  // Read before any server starts: a bad bandwidth log is bad input, not a failed run.
  const upload = spec.network?.upload;
  const bandwidth = upload === undefined ? null : new BandwidthLog(resolve(upload.bandwidthLog));

  const facts = (name: string) => {
    const d = specs.find((x) => x.name === name);
    // Testbed models have no accuracy of their own: the spec gives it.
    return d === undefined ? undefined : { spec: d, variant: d.profile?.variant as string, accuracy: d.accuracy ?? null };
  };
  const policies = await createPolicies(
    spec,
    policyContext(spec.metricsServer.scrapeSeconds, facts, resolve),
    resolveModule,
  );

  const wallStart = performance.now();
  let origin = performance.now();
  const now = () => (performance.now() - origin) / 1000;
  let serversStarted = 0;
  const pinTurn = () => serversStarted++;
  const slots = new ServerSlots(maxServers);
  const deployments = specs.map((d) => {
    const { model, imageSize } = modelFor(d.profile?.variant as string);
    return new RealDeployment(d.name, { model, imageSize, maxBatch: d.batching?.maxBatch ?? 1, maxWaitMs: (d.batching?.maxWaitSeconds ?? 0) * 1000 }, d.cores, now, cpus().length, {
      variant: d.profile?.variant,
      accuracy: d.accuracy ?? null,
      router: d.router,
      uniform: streams.uniform(`route:${d.name}`),
      pinTurn,
      slots,
      crashBackOff: options.crashBackOff,
    });
  });
  const byName = new Map(deployments.map((d) => [d.name, d]));
  // The same stream name as the simulator's (src/experiment/build.ts), one stream for every stage's router.
  const routeUniform = streams.uniform('route:pipeline');
  const stages = pipeline.stages.map((s) => new RealStage(s.name, s.deployments.map((name) => byName.get(name) as RealDeployment), s.router, s.weights, routeUniform));
  const stageOf = new Map(pipeline.stages.flatMap((s) => s.deployments.map((name) => [name, s.name] as const)));
  const clock = new TimerClock(now);
  const plane = new RealControlPlane(clock, stages, modelFor);
  const loop = new ControlLoop(clock, plane, policies, (d) => stageOf.get(d));
  const capacity = new Map<string, CapacitySample[]>(deployments.map((d) => [d.name, []]));
  try {
    // The spec's initial replicas are up before the load starts, as they are at time 0 in the simulator.
    specs.forEach((d, i) => deployments[i].scaleTo(d.replicas));
    await Promise.all(deployments.map((d) => d.settled()));
    // A server that could not start fails the run now, not as a run of dropped requests.
    deployments.forEach((d, i) => {
      if (d.readyCount() >= specs[i].replicas) return;
      const cause = d.lastStartError;
      if (cause instanceof InputError) throw cause;
      throw new Error(`testbed run: deployment "${d.name}": ${d.readyCount()} of ${specs[i].replicas} servers started${cause === null ? '' : ` (${cause.message})`}`);
    });
    origin = performance.now();
    const record = (at: number) => {
      for (const d of deployments) {
        const o = d.observe();
        capacity.get(d.name)?.push({ t: now(), replicas: o.replicas, ready: o.readyReplicas, cores: d.allocatedCores() });
      }
      clock.at(at + spec.window, () => record(at + spec.window));
    };
    record(0);
    if (policies.length > 0) {
      plane.startScraping(spec.metricsServer.scrapeSeconds, spec.metricsServer.scrapeOffsetSeconds);
      loop.start();
    }
    const pick = (hop: number) => {
      if (hop === 0) plane.recordArrival();
      return stages[hop].pick();
    };
    const finished = (r: Response) => {
      if (r.deployment !== undefined) byName.get(r.deployment)?.finished(r.port, r.ok);
    };
    // The client's upload over the spec's bandwidth log, as the simulator's network models it: the
    // request reaches the first stage that much later, with that much less of its SLO left.
    const slo = spec.workload.slo ?? Infinity;
    const uploadSeconds =
      bandwidth === null || upload === undefined
        ? undefined
        : (sent: number) => {
            const seconds = bandwidth.uploadSeconds(upload.sizeKB, sent);
            plane.recordBudget(sent + seconds, slo - seconds);
            return seconds;
          };
    // A failure in the control loop is reported once the replay ends (its requests are bounded by the spec's duration and the timeout).
    const responses = await replay(pick, '/infer', arrivalTimes(arrivals, duration), TIMEOUT_SECONDS, finished, { hops: stages.length, uploadSeconds });
    clock.stop();
    if (clock.failure !== null) throw clock.failure;
    for (const d of deployments) {
      const o = d.observe();
      capacity.get(d.name)?.push({ t: now(), replicas: o.replicas, ready: o.readyReplicas, cores: d.allocatedCores() });
    }
    // What each deployment adds to a request's pipeline accuracy, as the simulated Service counts it.
    const terms = new Map(stages.flatMap((s) => {
      const raw = s.deployments.map((d) => d.observe().accuracy ?? NaN);
      return stageAccuracyTerms(raw, pipeline.product).map((term, i) => [s.deployments[i].name, term] as const);
    }));
    const records = deployments.map((d) => ({ name: d.name, capacity: capacity.get(d.name) as CapacitySample[], accuracy: d.observe().accuracy, accuracyTerm: terms.get(d.name) as number }));
    const latenciesMs = responses.filter((r) => r.ok).map((r) => (r.received - r.sent) * 1000);
    const solveSeconds = policies.flatMap((p) => p.policy.solveSeconds ?? []);
    const control = { policy: policyLabel(policies), reconfigurations: loop.reconfigurations, solveSeconds: solveSeconds.length > 0 ? solveSeconds : undefined };
    const { summary, rows } = summarizeReal(spec, responses, records, pipeline.product, control, (performance.now() - wallStart) / 1000);
    const verdict = failureVerdict(summary.requests, summary.dropped, maxFailedShare);
    const resizeMs = deployments.flatMap((d) => d.resizeMs);
    const testbed: TestbedReport = {
      failedShare: Number(verdict.failedShare.toFixed(6)),
      maxFailedShare,
      passed: verdict.passed,
      maxServers,
      serverRestarts: deployments.reduce((sum, d) => sum + d.restarts, 0),
      serverStartsDeferred: slots.deferred,
      replicasRefused: deployments.reduce((sum, d) => sum + d.refused, 0),
      inPlaceResizes: resizeMs.length,
      resizeMedianMs: resizeMs.length === 0 ? null : Number(median(resizeMs).toFixed(3)),
      resizeMaxMs: resizeMs.length === 0 ? null : Number(Math.max(...resizeMs).toFixed(3)),
    };
    return { summary: { ...summary, testbed }, rows, latenciesMs };
  } finally {
    clock.stop();
    await Promise.all(deployments.map((d) => d.stopAll()));
  }
}
