import { z } from 'zod';
import { deploymentSchema } from '../cluster/deployment.js';
import { policySchema } from '../policies/schema.js';
import { workloadSchema } from '../workload/schema.js';

/** An experiment spec: one simulated run. All times are in seconds. */
export const specSchema = z
  .strictObject({
    $schema: z.string().optional(),
    name: z.string().min(1),
    description: z.string().optional(),
    seed: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).default(1),
    duration: z
      .number()
      .positive()
      .optional()
      .describe('Simulated seconds; arrivals stop then (default: the trace\'s length)'),
    window: z.number().positive().default(5).describe('Length of a timeseries.csv window, seconds'),
    drain: z.boolean().default(false).describe('Keep serving after the last arrival until every request is done'),
    workload: workloadSchema,
    deployments: z.array(deploymentSchema).min(1),
    policy: policySchema.default({ name: 'static' }),
  })
  .superRefine((spec, ctx) => {
    if (spec.duration === undefined && spec.workload.trace === undefined) {
      ctx.addIssue({ code: 'custom', path: ['duration'], message: 'expected a duration in seconds (required without a trace)' });
    }
    const names = spec.deployments.map((d) => d.name);
    names.forEach((name, i) => {
      if (names.indexOf(name) !== i) ctx.addIssue({ code: 'custom', path: ['deployments', i, 'name'], message: `duplicate deployment name "${name}"` });
    });
    const target = spec.workload.deployment;
    if (target !== undefined && !names.includes(target)) {
      ctx.addIssue({ code: 'custom', path: ['workload', 'deployment'], message: `expected one of ${names.map((n) => `"${n}"`).join(', ')}, got "${target}"` });
    }
  });

export type Spec = z.infer<typeof specSchema>;
/** A spec as written, before defaults are filled in. */
export type SpecInput = z.input<typeof specSchema>;
