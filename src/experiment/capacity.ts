import type { DeploymentSpec } from '../cluster/schema.js';
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

/** TF-Serving's request_latency histogram buckets: 10 µs × 1.8^k (upper bounds, seconds). */
const TF_SERVING_BUCKETS = Array.from({ length: 33 }, (_, k) => 10e-6 * 1.8 ** k);

/**
 * Prometheus' histogram_quantile over bucket counts: the bucket holding the q-th rank, then linear
 * interpolation inside it (from 0 for the first bucket).
 */
export function histogramQuantile(q: number, latencies: number[], bounds: number[] = TF_SERVING_BUCKETS): number {
  if (latencies.length === 0) return NaN;
  const counts = new Array<number>(bounds.length + 1).fill(0);
  for (const latency of latencies) {
    let b = 0;
    while (b < bounds.length && latency > bounds[b]) b++;
    counts[b]++;
  }
  const rank = q * latencies.length;
  let below = 0;
  for (let b = 0; b < counts.length; b++) {
    if (below + counts[b] >= rank) {
      if (b === bounds.length) return bounds[bounds.length - 1];
      const lower = b === 0 ? 0 : bounds[b - 1];
      return lower + (bounds[b] - lower) * ((rank - below) / counts[b]);
    }
    below += counts[b];
  }
  return bounds[bounds.length - 1];
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

/** InfAdapter's saturation throughput: completions over the time to finish 2 s of 30 requests/s per core. */
async function probeSaturation(pod: PodUnderTest, options: CapacityOptions): Promise<number> {
  let best = 0;
  for (let repeat = 0; repeat < 5; repeat++) {
    const done = await loadPod(pod, 30 * pod.cores, 2, options.seed + 1000 + repeat, options.resolve);
    const last = done.reduce((t, c) => Math.max(t, c.end), 0);
    if (last > 0) best = Math.max(best, done.length / Math.floor(Math.max(1, last)));
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

/** The highest request rate one pod sustains with its P99 latency within the SLO. */
export async function measureCapacity(pod: PodUnderTest, options: CapacityOptions, cache: ProbeCache = new Map(), saturation?: number): Promise<CapacityResult> {
  return options.method === 'probe' ? probeCapacity(pod, options, cache, saturation) : steadyCapacity(pod, options);
}

async function probeCapacity(pod: PodUnderTest, options: CapacityOptions, cache: ProbeCache, saturation?: number): Promise<CapacityResult> {
  const peak = saturation ?? (await probeSaturation(pod, options));
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
    return steady[Math.min(steady.length - 1, Math.ceil(0.99 * steady.length) - 1)];
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
