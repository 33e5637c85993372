import { z } from 'zod';
import { clusterSchema, deploymentSchema, networkSchema, pipelineSchema } from '../cluster/schema.js';
import { policySchema, policyTargets, type PolicySpec } from '../policies/schema.js';
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
    cluster: clusterSchema.optional(),
    network: networkSchema.optional(),
    deployments: z.array(deploymentSchema).min(1),
    pipelines: z.array(pipelineSchema).optional().describe('Services of several stages; requests go to a pipeline or straight to a deployment'),
    policy: z
      .union([policySchema, z.array(policySchema).min(1)])
      .default({ name: 'static' })
      .describe('The controller, or several, each acting on its own deployments (e.g. one HPA per deployment)'),
    metricsServer: z
      .strictObject({
        // 15 s is what kubernetes-sigs/metrics-server's own manifests pass (manifests/base/deployment.yaml,
        // `--metric-resolution=15s`); the flag's built-in default is 60 s (cmd/metrics-server/app/options/options.go).
        scrapeSeconds: z
          .number()
          .positive()
          .default(15)
          .describe('metrics-server --metric-resolution: every this many seconds it samples each running container; a sample is the mean CPU usage since the previous scrape, stamped with the scrape time (15 s, as metrics-server\'s manifests set it; the flag\'s own default is 60 s)'),
        scrapeOffsetSeconds: z
          .number()
          .nonnegative()
          .optional()
          .describe('When the scrapes fall relative to the controller\'s sync grid: scrapes at this offset plus multiples of scrapeSeconds (default: half of scrapeSeconds, so a sync reads a sample half a resolution old, the mean age when the two loops run with an arbitrary phase; 0: each sync reads a sample taken at that instant)'),
      })
      .refine((m) => m.scrapeOffsetSeconds === undefined || m.scrapeOffsetSeconds < m.scrapeSeconds, { message: 'expected scrapeOffsetSeconds below scrapeSeconds', path: ['scrapeOffsetSeconds'] })
      .default({ scrapeSeconds: 15 }),
  })
  .superRefine((spec, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (spec.duration === undefined && spec.workload.trace === undefined) issue(['duration'], 'expected a duration in seconds (required without a trace)');
    const names = spec.deployments.map((d) => d.name);
    const quoted = (list: string[]) => list.map((n) => `"${n}"`).join(', ');
    names.forEach((name, i) => {
      if (names.indexOf(name) !== i) issue(['deployments', i, 'name'], `duplicate deployment name "${name}"`);
    });
    const pools = spec.cluster?.nodePools.map((p) => p.name) ?? [];
    spec.deployments.forEach((d, i) => {
      if (d.nodePool !== undefined && !pools.includes(d.nodePool)) issue(['deployments', i, 'nodePool'], `expected one of ${quoted(pools)}, got "${d.nodePool}"`);
    });
    const inStage = new Set<string>();
    (spec.pipelines ?? []).forEach((pipeline, p) => {
      const stageNames: string[] = [];
      pipeline.stages.forEach((stage, s) => {
        const at = ['pipelines', p, 'stages', s];
        stage.deployments.forEach((name, k) => {
          if (!names.includes(name)) issue([...at, 'deployments', k], `expected one of ${quoted(names)}, got "${name}"`);
          else if (inStage.has(name)) issue([...at, 'deployments', k], `deployment "${name}" already serves another stage`);
          inStage.add(name);
        });
        if (stage.weights !== undefined && stage.weights.length !== stage.deployments.length) issue([...at, 'weights'], `expected ${stage.deployments.length} weights, one per deployment`);
        stage.after?.forEach((parent, k) => {
          if (!stageNames.includes(parent)) issue([...at, 'after', k], `expected an earlier stage (${quoted(stageNames)}), got "${parent}"`);
        });
        stageNames.push(stage.name);
      });
      const parents = new Set(pipeline.stages.flatMap((stage, s) => stage.after ?? (s === 0 ? [] : [pipeline.stages[s - 1].name])));
      const sinks = pipeline.stages.filter((stage) => !parents.has(stage.name));
      if (sinks.length !== 1) issue(['pipelines', p, 'stages'], `expected exactly one last stage (no stage after it), got ${sinks.length}`);
    });
    const policies = Array.isArray(spec.policy) ? spec.policy : [spec.policy];
    const owner = new Map<string, number>();
    policies.forEach((policy, i) => {
      const at = Array.isArray(spec.policy) ? ['policy', i] : ['policy'];
      const field = 'deployments' in policy ? 'deployments' : 'deployment';
      const targets = policyTargets(policy);
      if (targets === null) {
        if (policies.length > 1) issue([...at, 'deployments'], 'a module policy among several must name the deployments it acts on');
        return;
      }
      for (const controlled of targets) {
        if (!names.includes(controlled)) issue([...at, field], `expected one of ${quoted(names)}, got "${controlled}"`);
        else if (owner.has(controlled) && owner.get(controlled) !== i) issue([...at, field], `deployment "${controlled}" is already controlled by policy ${owner.get(controlled)}`);
        else owner.set(controlled, i);
      }
    });
    const target = spec.workload.target;
    const pipelineNames = (spec.pipelines ?? []).map((p) => p.name);
    if (target !== undefined) {
      if (!names.includes(target) && !pipelineNames.includes(target)) issue(['workload', 'target'], `expected one of ${quoted([...pipelineNames, ...names])}, got "${target}"`);
      else if (inStage.has(target)) issue(['workload', 'target'], `"${target}" is a stage of a pipeline: target the pipeline`);
    }
  });

export type Spec = z.infer<typeof specSchema>;
/** A spec as written, before defaults are filled in. */
export type SpecInput = z.input<typeof specSchema>;

/** The spec's policies, one or several, as a list. */
export function specPolicies(spec: Spec): PolicySpec[] {
  return Array.isArray(spec.policy) ? spec.policy : [spec.policy];
}
