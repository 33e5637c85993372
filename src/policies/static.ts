import { z } from 'zod';

/** The static baseline: the deployments keep the replicas and cores the spec gives them. */
export const staticPolicySchema = z.strictObject({ name: z.literal('static') });
