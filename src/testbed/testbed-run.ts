import { cpus } from 'node:os';
import { InputError } from '../errors.js';
import { RandomStreams } from '../engine/random.js';
import type { Spec } from '../experiment/spec.js';
import type { Summary } from '../experiment/summary.js';
import { LatencyStats, round } from '../metrics/latency-stats.js';
import type { WindowRow } from '../metrics/timeseries.js';
import { openArrivals } from '../workload/workload.js';
import { createPolicy } from '../policies/schema.js';
import { replay, type Response } from './load-generator.js';
import { CNN_VARIANTS, ensureModel, TINY_VARIANT } from './onnx-model.js';
import { RealDeployment } from './actuator.js';

/** Seconds a request may take before it counts as dropped (InfAdapter's dispatcher timeout). */
const TIMEOUT_SECONDS = 30;

/**
 * Runs a spec on real model servers: the target deployment's replicas are server processes (its
 * profile's variant must be a testbed model, e.g. cnn-m) with its cores and batching, pinned round
 * the machine's CPUs; the spec's arrivals are replayed open-loop from this process, round-robin
 * over the ready servers; a single-deployment policy (HPA, VPA) acts on them through the same
 * actions as in the simulator, at its interval in wall-clock time, reading metrics sampled from
 * /proc. Writes the same summary and time-series rows as `servesim run`.
 */
export async function testbedRun(spec: Spec, modelsDir: string, resolve: (file: string) => string): Promise<{ summary: Summary; rows: WindowRow[] }> {
  if (spec.pipelines !== undefined || spec.deployments.length !== 1) throw new InputError('testbed run: expected one deployment and no pipelines');
  if (spec.policy.name === 'infadapter' || spec.policy.name === 'ms+') throw new InputError(`testbed run: policy "${spec.policy.name}" needs several variants; the testbed runs one deployment`);
  const d = spec.deployments[0];
  const variant = [...CNN_VARIANTS, TINY_VARIANT].find((v) => v.name === d.profile?.variant);
  if (variant === undefined) throw new InputError(`testbed run: deployments[0].profile.variant must be a testbed model (${CNN_VARIANTS.map((v) => v.name).join(', ')})`);
  if (spec.duration === undefined) throw new InputError('testbed run: expected a duration (seconds of real load)');
  const model = ensureModel(variant, modelsDir);
  const arrivals = openArrivals(spec.workload, new RandomStreams(spec.seed), spec.workload.trace && resolve(spec.workload.trace.file));
  const times: number[] = [];
  for (let t = arrivals.next(); t < spec.duration; t = arrivals.next()) times.push(t);

  const wallStart = performance.now();
  let origin = performance.now();
  const now = () => (performance.now() - origin) / 1000;
  const deployment = new RealDeployment(
    d.name,
    { model, imageSize: variant.imageSize, maxBatch: d.batching?.maxBatch ?? 1, maxWaitMs: (d.batching?.maxWaitSeconds ?? 0) * 1000 },
    d.cores,
    now,
    cpus().length,
  );
  const policy = createPolicy(spec.policy, { metricWindowSeconds: spec.metricsServer.scrapeSeconds, variants: () => [] });
  const timers: NodeJS.Timeout[] = [];
  const capacity: { t: number; replicas: number; ready: number; cores: number }[] = [];
  let reconfigurations = 0;
  try {
    // The spec's initial replicas are up before the load starts, as they are at time 0 in the simulator.
    deployment.scaleTo(d.replicas);
    await deployment.settled();
    origin = performance.now();
    const record = () => {
      const o = deployment.observe();
      capacity.push({ t: now(), replicas: o.replicas, ready: o.readyReplicas, cores: deployment.allocatedCores() });
    };
    record();
    timers.push(setInterval(record, spec.window * 1000));
    timers.push(setInterval(() => deployment.scrape(), spec.metricsServer.scrapeSeconds * 1000));
    if (policy !== null) {
      const decide = () => {
        for (const action of policy.decide({ now: now(), arrivalsPerSecond: [], deployments: [deployment.observe()] })) {
          if (action.kind === 'scale' && action.replicas !== deployment.observe().replicas) deployment.scaleTo(action.replicas);
          else if (action.kind === 'resize') deployment.resize(action.cores, action.strategy === 'recreate' ? 'recreate' : 'rolling');
          else if (action.kind === 'template') deployment.setTemplateCores(action.cores);
          else if (action.kind === 'evict' || action.kind === 'resize-pod') deployment.evict(action.pod);
          else continue;
          reconfigurations++;
        }
      };
      timers.push(
        setTimeout(() => {
          decide();
          timers.push(setInterval(decide, policy.intervalSeconds * 1000));
        }, policy.firstDecisionSeconds * 1000),
      );
    }
    const responses = await replay(() => deployment.pick(), '/infer', times, TIMEOUT_SECONDS, (r) => r.ok && deployment.served(r.port));
    for (const timer of timers) clearInterval(timer);
    record();
    return summarizeReal(spec, responses, capacity, reconfigurations, (performance.now() - wallStart) / 1000);
  } finally {
    for (const timer of timers) clearInterval(timer);
    await deployment.stopAll();
  }
}

/** The capacity in force at time t (the latest sample at or before it). */
function capacityAt(samples: { t: number; replicas: number; ready: number; cores: number }[], t: number) {
  let found = samples[0];
  for (const s of samples) if (s.t <= t + 1e-9) found = s;
  return found;
}

function summarizeReal(
  spec: Spec,
  responses: Response[],
  capacity: { t: number; replicas: number; ready: number; cores: number }[],
  reconfigurations: number,
  wallSeconds: number,
): { summary: Summary; rows: WindowRow[] } {
  const latency = new LatencyStats();
  const wait = new LatencyStats();
  const slo = spec.workload.slo ?? null;
  let violations = 0;
  const window = spec.window;
  const duration = Math.max(spec.duration as number, ...responses.map((r) => r.received));
  const windows = Math.ceil(duration / window);
  const perWindow = Array.from({ length: windows }, () => ({ arrived: 0, completed: 0, dropped: 0, violations: 0, latency: new LatencyStats() }));
  for (const r of responses) {
    const sentWindow = perWindow[Math.min(windows - 1, Math.floor(r.sent / window))];
    sentWindow.arrived++;
    const doneWindow = perWindow[Math.min(windows - 1, Math.floor(r.received / window))];
    const late = slo !== null && r.received - r.sent > slo;
    if (!r.ok) {
      doneWindow.dropped++;
      doneWindow.violations++;
      violations++;
      continue;
    }
    latency.record(r.received - r.sent);
    if (!Number.isNaN(r.waitMs)) wait.record(r.waitMs / 1000);
    doneWindow.completed++;
    doneWindow.latency.record(r.received - r.sent);
    if (late) {
      doneWindow.violations++;
      violations++;
    }
  }
  const completed = responses.filter((r) => r.ok).length;
  const coreSeconds = (samples: typeof capacity, end: number) =>
    samples.reduce((sum, s, i) => sum + s.cores * (Math.min(end, samples[i + 1]?.t ?? end) - (i === 0 ? 0 : s.t)), 0);
  const rows: WindowRow[] = perWindow.map((w, i) => ({
    t: i * window,
    deployment: spec.deployments[0].name,
    replicas: capacityAt(capacity, (i + 1) * window).replicas,
    readyReplicas: capacityAt(capacity, (i + 1) * window).ready,
    pendingReplicas: 0,
    cores: capacityAt(capacity, (i + 1) * window).cores,
    arrivalRps: w.arrived / window,
    completed: w.completed,
    p99Ms: w.completed === 0 ? null : w.latency.percentile(99) * 1000,
    sloViolations: w.violations,
    accuracy: null,
    dropped: w.dropped,
    queueLength: 0,
    utilization: null,
  }));
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
    meanCores: round(coreSeconds(capacity, duration) / duration),
    coreSeconds: round(coreSeconds(capacity, duration)),
    accuracy: spec.deployments[0].accuracy ?? null,
    events: 0,
    policy: spec.policy.name,
    reconfigurations,
    solveMs: null,
    deployments: [],
    wallSeconds: round(wallSeconds, 3),
  };
  latency.destroy();
  wait.destroy();
  for (const w of perWindow) w.latency.destroy();
  return { summary, rows };
}
