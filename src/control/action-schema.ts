import { z } from 'zod';
import type { Action } from './types.js';

const name = z.string().min(1);
const strategy = z.enum(['recreate', 'rolling', 'in-place']);
const count = z.number().finite().nonnegative();
const cores = z.number().finite().positive();

/** The shape of every Action (src/control/types.ts), for checking what a policy from outside returns. */
export const actionSchema: z.ZodType<Action> = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('scale'), deployment: name, replicas: count }),
  z.strictObject({ kind: z.literal('resize'), deployment: name, cores, strategy }),
  z.strictObject({ kind: z.literal('replace'), deployment: name, variant: name, strategy: z.enum(['recreate', 'rolling']) }),
  z.strictObject({ kind: z.literal('template'), deployment: name, cores }),
  z.strictObject({ kind: z.literal('evict'), deployment: name, pod: z.number().int().nonnegative() }),
  z.strictObject({ kind: z.literal('resize-pod'), deployment: name, pod: z.number().int().nonnegative(), cores, evictIfDeferred: z.boolean() }),
  z.strictObject({ kind: z.literal('batch'), deployment: name, maxBatch: z.number().int().positive(), maxWaitSeconds: count }),
  z.strictObject({ kind: z.literal('weights'), stage: name, weights: z.array(count).min(1) }),
]);
