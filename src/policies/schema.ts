import { z } from 'zod';
import { staticPolicySchema } from './static.js';

/** Every policy a spec can name, told apart by `name`. */
export const policySchema = z.discriminatedUnion('name', [staticPolicySchema]);

export type PolicySpec = z.infer<typeof policySchema>;
