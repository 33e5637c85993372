import { z } from 'zod';

/**
 * A policy of the user's own: an ES module whose default export is `(options) => policy`, the
 * policy having `name`, `intervalSeconds`, `firstDecisionSeconds` and `decide(observation)` that
 * returns actions (src/control/types.ts). Loaded by src/experiment/policy-module.ts.
 */
export const modulePolicySchema = z.strictObject({
  name: z.literal('module'),
  module: z.string().min(1).describe('The module file (.mjs or .js), relative to the spec'),
  options: z.record(z.string(), z.unknown()).default({}).describe('Passed to the module\'s default export'),
  deployments: z
    .array(z.string())
    .min(1)
    .optional()
    .describe('The deployments it acts on (it may set the weights of their stages); without them it may act on any, and must be the spec\'s only policy'),
});

export type ModulePolicySpec = z.infer<typeof modulePolicySchema>;
