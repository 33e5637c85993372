import { sampler, type Uniform } from '../engine/random.js';

/**
 * How long a pod takes to serve one batch, as a function of the batch size and the pod's cores.
 * Every model carries its own variability: none is a silent constant.
 */
export interface LatencyModel {
  /** Mean seconds to serve a batch of `batch` requests on a pod with `cores` cores. */
  mean(batch: number, cores: number): number;
  /** A sampler of batch service times (seconds) drawing from stream `u`. */
  sampler(u: Uniform): (batch: number, cores: number) => number;
  /**
   * Batches a pod of `cores` cores serves at once, when the profile knows (a TF-Serving pod with
   * one inter-op thread per core serves one request per core); undefined leaves it to the spec.
   */
  concurrency?(cores: number): number;
  /** The variant's accuracy, where the profile's sources state it. */
  accuracy?: number;
}

/** z such that P(N(0,1) ≤ z) = 0.99. */
const Z99 = 2.3263478740408408;

/**
 * The σ of a lognormal with the given mean and 99th percentile: ln(p99/mean) = zσ − σ²/2, the
 * smaller root. Returns 0 (no spread) when p99 ≤ mean, and the largest σ the pair allows (p99 at
 * most e^{z²/2} ≈ 15× the mean) beyond.
 */
export function lognormalSigma(mean: number, p99: number): number {
  const gap = Math.log(p99 / mean);
  if (!(gap > 0)) return 0;
  return Z99 - Math.sqrt(Math.max(0, Z99 * Z99 - 2 * gap));
}

/** Coefficient of variation of a lognormal with shape σ. */
export const lognormalCv = (sigma: number) => Math.sqrt(Math.expm1(sigma * sigma));

/** The p99 of a lognormal of the given mean and cv. */
export function lognormalP99(mean: number, cv: number): number {
  const sigma = Math.sqrt(Math.log1p(cv * cv));
  return mean * Math.exp(Z99 * sigma - (sigma * sigma) / 2);
}

/** The median of a lognormal of the given mean and cv. */
export const lognormalP50 = (mean: number, cv: number) => mean / Math.sqrt(1 + cv * cv);

/**
 * Lognormal batch service times around a mean that depends on (batch, cores), with a spread given
 * by `cvOf`; the samplers are built once per (batch, cores) and kept.
 */
export function lognormalSampler(
  u: Uniform,
  mean: (batch: number, cores: number) => number,
  cvOf: (batch: number, cores: number) => number,
): (batch: number, cores: number) => number {
  const cache = new Map<number, () => number>();
  return (batch, cores) => {
    const key = batch * 65536 + cores * 16;
    let draw = cache.get(key);
    if (draw === undefined) {
      const m = mean(batch, cores);
      const cv = cvOf(batch, cores);
      draw = cv > 0 ? sampler.lognormal(u, m, cv) : () => m;
      cache.set(key, draw);
    }
    return draw();
  };
}
