import type { DeploymentSpec } from '../cluster/schema.js';
import { InputError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic-file.js';
import { histogramQuantile } from '../metrics/prometheus-histogram.js';
import { nearestRankQuantileSorted } from '../metrics/quantile.js';
import { capacityFileOf, formatCapacityCsv, type CapacityPoint } from '../profiles/capacity-data.js';
import { readProfileCsv } from '../profiles/table-model.js';
import { runSpec } from './run.js';
import type { SpecInput } from './spec.js';
import { validateSpec } from './load-spec.js';

/**
 * How capacity is measured.
 * - probe: InfAdapter's procedure on real TF-Serving pods (its capacity_experiment.py): the
 *   saturation throughput is the best of 5 two-second overloads at 30 requests/s per core; then a
 *   bisection over integer rates in [0.3·peak, peak] (1.2·peak above 100/s), each rate probed by
 *   16 s of Poisson load from an idle pod, whose P99 is the largest of Prometheus'
 *   histogram_quantile(0.99) over 2 s windows of TF-Serving's latency buckets.
 *   (Its fixed 30 requests/s per core underestimates the saturation of models faster than that.)
 * - steady: the steady-state P99 of a long run, bisected over a continuous rate below the
 *   throughput under overload.
 */
export type CapacityMethod = 'probe' | 'steady';

/** The pod under test: one replica of this deployment (its service-time model and concurrency). */
export type PodUnderTest = Pick<DeploymentSpec, 'serviceTime' | 'profile' | 'concurrency'> & { cores: number };

export interface CapacityOptions {
  sloSeconds: number;
  method: CapacityMethod;
  seed: number;
  /** Turns a profile file name into a path. */
  resolve?: (file: string) => string;
}

export interface CapacityResult {
  capacityRps: number;
  /** The P99 (seconds) measured at the capacity rate; NaN when no rate met the SLO. */
  p99Seconds: number;
  saturationRps: number;
}

interface Completion {
  end: number;
  latency: number;
}

/** One pod under Poisson load for `duration` seconds, drained; every completion. */
async function loadPod(pod: PodUnderTest, rate: number, duration: number, seed: number, resolve?: (f: string) => string): Promise<Completion[]> {
  const spec: SpecInput = {
    name: 'capacity-probe',
    seed,
    duration,
    drain: true,
    window: duration,
    workload: { arrivals: { process: 'poisson', rate } },
    deployments: [{ name: 'pod', replicas: 1, cores: pod.cores, serviceTime: pod.serviceTime, profile: pod.profile, concurrency: pod.concurrency }],
  };
  const completions: Completion[] = [];
  await runSpec(validateSpec(spec, 'capacity probe'), {
    resolve,
    requestLog: (request, _where, status, end) => {
      if (status === 'completed') completions.push({ end, latency: end - request.arrivalTime });
    },
  });
  return completions;
}

/**
 * InfAdapter's saturation throughput: the best of 5 runs of 2 s of Poisson load at 30 requests/s
 * per core, each read as Prometheus' rate() of TF-Serving's request counter over the last whole
 * seconds of the run (its `rate(…[int(duration)s])` right after the last response), i.e. the
 * completions in that trailing window over its length.
 */
async function probeSaturation(pod: PodUnderTest, options: CapacityOptions): Promise<number> {
  let best = 0;
  for (let repeat = 0; repeat < 5; repeat++) {
    const done = await loadPod(pod, 30 * pod.cores, 2, options.seed + 1000 + repeat, options.resolve);
    const last = done.reduce((t, c) => Math.max(t, c.end), 0);
    if (last === 0) continue;
    const window = Math.max(1, Math.floor(last));
    const inWindow = done.reduce((n, c) => n + (c.end > last - window ? 1 : 0), 0);
    best = Math.max(best, inWindow / window);
  }
  return Math.round(best);
}

/** The probe's P99: the largest 2 s-window histogram quantile over a 16 s Poisson run from idle. */
async function probeP99(pod: PodUnderTest, rate: number, options: CapacityOptions): Promise<number> {
  const done = await loadPod(pod, rate, 16, options.seed + rate, options.resolve);
  const end = done.reduce((t, c) => Math.max(t, c.end), 0);
  let worst = -1;
  for (let t = 0; t <= end; t += 2) {
    const window = done.filter((c) => c.end > t - 2 && c.end <= t).map((c) => c.latency);
    const p99 = histogramQuantile(0.99, window);
    if (!Number.isNaN(p99)) worst = Math.max(worst, p99);
  }
  return worst;
}

/** A cache of probe P99s by rate, shared by the SLOs measured on the same pod, as InfAdapter's script does. */
export type ProbeCache = Map<number, number>;

/**
 * The most cores a pod under test may have: a pod runs on one machine, and none today has more
 * hardware threads (two 192-core AMD EPYC 9965 sockets have 768). The probe's load grows with the
 * cores (30 requests/s per core), so a pod of a million cores would be probed for hours.
 */
export const MAX_POD_CORES = 1024;

/** The highest request rate one pod sustains with its P99 latency within the SLO. */
export async function measureCapacity(pod: PodUnderTest, options: CapacityOptions, cache: ProbeCache = new Map()): Promise<CapacityResult> {
  if (!(pod.cores > 0 && pod.cores <= MAX_POD_CORES)) throw new InputError(`cores: expected more than 0 and at most ${MAX_POD_CORES} (more than any one machine has), got ${pod.cores}`);
  return options.method === 'probe' ? probeCapacity(pod, options, cache) : steadyCapacity(pod, options);
}

/** The saturation throughput as the probe measures it (InfAdapter's saturation_tp). */
export function measureSaturation(pod: PodUnderTest, options: Omit<CapacityOptions, 'sloSeconds' | 'method'>): Promise<number> {
  return probeSaturation(pod, { ...options, sloSeconds: Infinity, method: 'probe' });
}

async function probeCapacity(pod: PodUnderTest, options: CapacityOptions, cache: ProbeCache): Promise<CapacityResult> {
  const peak = await probeSaturation(pod, options);
  let hi = peak > 100 ? Math.round(1.2 * peak) : peak;
  let lo = Math.floor(0.3 * peak);
  // Where no probed rate meets the SLO, InfAdapter's table reports the bottom of the range.
  let capacity = lo;
  let p99AtCapacity = NaN;
  while (hi > lo + 1) {
    const rate = Math.floor((hi + lo) / 2);
    let p99 = cache.get(rate);
    if (p99 === undefined) {
      p99 = await probeP99(pod, rate, options);
      cache.set(rate, p99);
    }
    if (p99 <= options.sloSeconds) {
      lo = capacity = rate;
      p99AtCapacity = p99;
    } else hi = rate;
  }
  return { capacityRps: capacity, p99Seconds: p99AtCapacity, saturationRps: peak };
}

/** Throughput under an overload: the offered rate grows fourfold until the pod can no longer keep up. */
async function overloadThroughput(pod: PodUnderTest, options: CapacityOptions): Promise<number> {
  for (let offered = 30 * pod.cores; ; offered *= 4) {
    const done = await loadPod(pod, offered, 20_000 / offered, options.seed + 2000, options.resolve);
    const last = done.reduce((t, c) => Math.max(t, c.end), 0);
    const throughput = done.length / last;
    if (throughput < 0.9 * offered || offered > 1e7) return throughput;
  }
}

/** Steady state: 200,000 requests after 10,000 of warm-up per probe; bisection to 0.5% of the rate. */
async function steadyCapacity(pod: PodUnderTest, options: CapacityOptions): Promise<CapacityResult> {
  const saturation = Math.round(await overloadThroughput(pod, options));
  const p99At = async (rate: number) => {
    const done = await loadPod(pod, rate, 210_000 / rate, options.seed, options.resolve);
    const steady = done.filter((c) => c.end > 10_000 / rate).map((c) => c.latency).sort((a, b) => a - b);
    return nearestRankQuantileSorted(steady, 0.99);
  };
  let lo = 0;
  let hi = saturation * 1.2;
  let p99AtCapacity = NaN;
  while (hi - lo > 0.005 * hi) {
    const rate = (lo + hi) / 2;
    const p99 = await p99At(rate);
    if (p99 <= options.sloSeconds) {
      lo = rate;
      p99AtCapacity = p99;
    } else hi = rate;
  }
  return { capacityRps: Number(lo.toFixed(2)), p99Seconds: p99AtCapacity, saturationRps: saturation };
}

/** Seed of the capacity runs behind a profile's capacity data: 1, the default seed of a spec (src/experiment/spec.ts). */
export const PROFILE_CAPACITY_SEED = 1;

/**
 * Writes the capacity data of a profile file next to it (src/profiles/capacity-data.ts): for each
 * variant and device it profiles, at each of its core counts and each SLO, the highest Poisson
 * rate one pod sustains with its P99 within the SLO, serving one request at a time as InfAdapter's
 * table was measured (TF-Serving without batching). The steady method, not InfAdapter's probe:
 * the probe offers at most 30 requests/s per core, far below the testbed models' saturation.
 */
export async function writeProfileCapacity(
  profileFile: string,
  slosMs: readonly number[],
  { seed = PROFILE_CAPACITY_SEED, onProgress }: { seed?: number; onProgress?: (status: string) => void } = {},
): Promise<CapacityPoint[]> {
  const profiled = readProfileCsv(profileFile);
  const variants = [...new Map(profiled.map((p) => [`${p.variant}\u0000${p.device}`, { variant: p.variant, device: p.device }])).values()];
  const points: CapacityPoint[] = [];
  for (const { variant, device } of variants) {
    const cores = [...new Set(profiled.filter((p) => p.variant === variant && p.device === device).map((p) => p.cores))].sort((a, b) => a - b);
    for (const sloMs of slosMs) {
      for (const n of cores) {
        onProgress?.(`${variant}, ${n} cores, ${sloMs} ms`);
        const pod = { cores: n, profile: { file: profileFile, variant, device }, serviceTime: undefined, concurrency: undefined };
        const result = await measureCapacity(pod, { sloSeconds: sloMs / 1000, method: 'steady', seed });
        // The P99 to 0.1 µs, as the capacity file keeps it, so the points returned are those read back.
        const p99Ms = Number((result.p99Seconds * 1000).toFixed(4));
        points.push({ variant, device, cores: n, sloMs, capacityRps: result.capacityRps, p99Ms, saturationRps: result.saturationRps });
      }
    }
  }
  writeFileAtomic(capacityFileOf(profileFile), formatCapacityCsv(points));
  return points;
}
