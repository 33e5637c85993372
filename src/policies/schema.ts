import { z } from 'zod';
import { Hpa, hpaSchema } from './hpa.js';
import { staticPolicySchema } from './static.js';
import type { Policy } from './types.js';
import { Vpa, vpaSchema } from './vpa.js';

/** Every policy a spec can name, told apart by `name`. */
export const policySchema = z.discriminatedUnion('name', [staticPolicySchema, hpaSchema, vpaSchema]);

export type PolicySpec = z.infer<typeof policySchema>;

/** The controller a spec names; null for static (nothing ever changes). */
export function createPolicy(spec: PolicySpec, metricWindowSeconds: number): Policy | null {
  switch (spec.name) {
    case 'static':
      return null;
    case 'hpa':
      return new Hpa(spec, metricWindowSeconds);
    case 'vpa':
      return new Vpa(spec);
  }
}

/** The deployment a policy acts on, if it names one. */
export function policyTarget(spec: PolicySpec): string | undefined {
  return 'deployment' in spec ? spec.deployment : undefined;
}
