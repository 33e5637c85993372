import { randomExponential, randomGamma, randomLcg, randomLogNormal, randomNormal, randomUniform } from 'd3-random';

/** A source of uniform numbers in [0, 1). */
export type Uniform = () => number;

/**
 * 32-bit finaliser of MurmurHash3 (fmix32): a bijection that spreads every input bit over the
 * whole output, so neighbouring run seeds or stream names give unrelated stream seeds.
 */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** FNV-1a hash of a stream name. */
function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The seed of stream `name` in a run seeded with `runSeed`. */
export function streamSeed(runSeed: number, name: string): number {
  const low = runSeed >>> 0;
  const high = Math.floor(runSeed / 0x100000000) >>> 0;
  return mix32(mix32(low ^ mix32(high + 0x9e3779b9)) ^ hashName(name));
}

/**
 * Seeded random streams, one per named component. A component draws only from its own stream,
 * so adding a component never shifts the numbers another component sees.
 */
export class RandomStreams {
  constructor(readonly runSeed: number) {}

  uniform(name: string): Uniform {
    // d3's LCG takes an integer seed as its state; the scrambled seed avoids the near-equal
    // first draws that neighbouring integer seeds give.
    return randomLcg(streamSeed(this.runSeed, name));
  }
}

/** Samplers over a given uniform stream, parameterised by mean (and coefficient of variation). */
export const sampler = {
  exponential: (u: Uniform, mean: number) => randomExponential.source(u)(1 / mean),
  uniform: (u: Uniform, min: number, max: number) => randomUniform.source(u)(min, max),
  /** Standard normal draws. */
  normal: (u: Uniform) => randomNormal.source(u)(0, 1),
  /** Lognormal with the given mean and cv: sigma² = ln(1 + cv²), mu = ln(mean) − sigma²/2. */
  lognormal(u: Uniform, mean: number, cv: number) {
    const sigma2 = Math.log1p(cv * cv);
    return randomLogNormal.source(u)(Math.log(mean) - sigma2 / 2, Math.sqrt(sigma2));
  },
  /** Gamma with the given mean and cv: shape k = 1/cv², scale θ = mean·cv². */
  gamma: (u: Uniform, mean: number, cv: number) => randomGamma.source(u)(1 / (cv * cv), mean * cv * cv),
};
