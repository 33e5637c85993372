import { z } from 'zod';
import { sampler, type Uniform } from '../engine/random.js';

const positive = z.number().positive();

/** A service-time distribution in seconds. */
export const serviceTimeSchema = z.discriminatedUnion('dist', [
  z.strictObject({ dist: z.literal('deterministic'), value: positive }),
  z.strictObject({ dist: z.literal('exponential'), mean: positive }),
  z.strictObject({ dist: z.literal('lognormal'), mean: positive, cv: positive }),
  z.strictObject({ dist: z.literal('gamma'), mean: positive, cv: positive }),
  z
    .strictObject({ dist: z.literal('empirical'), values: z.array(positive).min(1) })
    .describe('Measured service times, resampled uniformly'),
]);

export type ServiceTimeSpec = z.infer<typeof serviceTimeSchema>;

/** A sampler of service times (seconds) drawing from its own stream. */
export function serviceTimeSampler(spec: ServiceTimeSpec, u: Uniform): () => number {
  switch (spec.dist) {
    case 'deterministic': {
      const value = spec.value;
      return () => value;
    }
    case 'exponential':
      return sampler.exponential(u, spec.mean);
    case 'lognormal':
      return sampler.lognormal(u, spec.mean, spec.cv);
    case 'gamma':
      return sampler.gamma(u, spec.mean, spec.cv);
    case 'empirical': {
      const values = Float64Array.from(spec.values);
      return () => values[Math.floor(u() * values.length)];
    }
  }
}

/** First two moments of a service-time distribution, for queueing formulas. */
export function serviceTimeMoments(spec: ServiceTimeSpec): { mean: number; secondMoment: number } {
  switch (spec.dist) {
    case 'deterministic':
      return { mean: spec.value, secondMoment: spec.value ** 2 };
    case 'exponential':
      return { mean: spec.mean, secondMoment: 2 * spec.mean ** 2 };
    case 'lognormal':
    case 'gamma':
      return { mean: spec.mean, secondMoment: spec.mean ** 2 * (1 + spec.cv ** 2) };
    case 'empirical': {
      const n = spec.values.length;
      return {
        mean: spec.values.reduce((a, b) => a + b, 0) / n,
        secondMoment: spec.values.reduce((a, b) => a + b * b, 0) / n,
      };
    }
  }
}
