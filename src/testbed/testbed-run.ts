import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { RandomStreams } from '../engine/random.js';
import type { Spec } from '../experiment/spec.js';
import type { Summary } from '../experiment/summary.js';
import { LatencyStats, round } from '../metrics/latency-stats.js';
import type { WindowRow } from '../metrics/timeseries.js';
import { openArrivals } from '../workload/workload.js';
import { replay, type Response } from './load-generator.js';
import { buildCnn, CNN_VARIANTS, TINY_VARIANT } from './onnx-model.js';
import { startServer, type RunningServer } from './server-process.js';

/** Seconds a request may take before it counts as dropped (InfAdapter's dispatcher timeout). */
const TIMEOUT_SECONDS = 30;

/**
 * Runs a spec on real model servers: one server process per replica of the target deployment
 * (its profile's variant must be a testbed model, e.g. cnn-m), each with its cores and batching,
 * pinned round the machine's CPUs; the spec's arrivals replayed open-loop from this process with
 * round-robin routing; the same summary and time-series rows as `servesim run`. Static
 * deployments only: the actuator that lets policies act on real servers is still to come.
 */
export async function testbedRun(spec: Spec, modelsDir: string, resolve: (file: string) => string): Promise<{ summary: Summary; rows: WindowRow[] }> {
  if (spec.policy.name !== 'static') throw new InputError(`testbed run: policy "${spec.policy.name}" cannot run on real servers yet (static only)`);
  if (spec.pipelines !== undefined || spec.deployments.length !== 1) throw new InputError('testbed run: expected one deployment and no pipelines');
  const d = spec.deployments[0];
  const variant = [...CNN_VARIANTS, TINY_VARIANT].find((v) => v.name === d.profile?.variant);
  if (variant === undefined) throw new InputError(`testbed run: deployments[0].profile.variant must be a testbed model (${CNN_VARIANTS.map((v) => v.name).join(', ')})`);
  if (spec.duration === undefined) throw new InputError('testbed run: expected a duration (seconds of real load)');
  const model = join(modelsDir, `${variant.name}.onnx`);
  if (!existsSync(model)) {
    mkdirSync(modelsDir, { recursive: true });
    writeFileSync(model, buildCnn(variant));
  }
  const arrivals = openArrivals(spec.workload, new RandomStreams(spec.seed), spec.workload.trace && resolve(spec.workload.trace.file));
  const times: number[] = [];
  for (let t = arrivals.next(); t < spec.duration; t = arrivals.next()) times.push(t);

  const started = performance.now();
  const cpuCount = cpus().length;
  const servers: RunningServer[] = [];
  try {
    for (let i = 0; i < d.replicas; i++) {
      servers.push(
        await startServer({
          model,
          imageSize: variant.imageSize,
          cores: d.cores,
          maxBatch: d.batching?.maxBatch ?? 1,
          maxWaitMs: (d.batching?.maxWaitSeconds ?? 0) * 1000,
          cpus: d.cores === 1 ? String((cpuCount - 1 - (i % cpuCount) + cpuCount) % cpuCount) : undefined,
        }),
      );
    }
    let turn = 0;
    const responses = await replay(() => servers[turn++ % servers.length].port, '/infer', times, TIMEOUT_SECONDS);
    return summarizeReal(spec, responses, d.replicas * d.cores, (performance.now() - started) / 1000);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

function summarizeReal(spec: Spec, responses: Response[], cores: number, wallSeconds: number): { summary: Summary; rows: WindowRow[] } {
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
  const rows: WindowRow[] = perWindow.map((w, i) => ({
    t: i * window,
    deployment: spec.deployments[0].name,
    replicas: spec.deployments[0].replicas,
    readyReplicas: spec.deployments[0].replicas,
    pendingReplicas: 0,
    cores,
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
    meanCores: cores,
    coreSeconds: round(cores * duration),
    accuracy: spec.deployments[0].accuracy ?? null,
    events: 0,
    policy: spec.policy.name,
    reconfigurations: 0,
    solveMs: null,
    deployments: [],
    wallSeconds: round(wallSeconds, 3),
  };
  latency.destroy();
  wait.destroy();
  for (const w of perWindow) w.latency.destroy();
  return { summary, rows };
}
