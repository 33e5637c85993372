import { z } from 'zod';
import { shortfallOnEmptyNode } from '../cluster/nodes.js';
import { clusterSchema, deploymentSchema, networkSchema, pipelineSchema, type DeploymentSpec, type NodePoolSpec } from '../cluster/schema.js';
import { policySchema, policyTargets, type PolicySpec } from '../policies/schema.js';
import { workloadSchema } from '../workload/schema.js';
import { DEFAULT_MAX_QUEUED_PER_DEPLOYMENT } from '../cluster/deployment.js';
import { longestRunSeconds, MAX_WINDOWS_PER_RUN, MIN_CONTROL_PERIOD_SECONDS, MIN_WINDOW_SECONDS } from '../engine/limits.js';
import type { PipelineSpec } from '../cluster/schema.js';

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
    overload: z
      .strictObject({
        maxQueuedPerDeployment: z
          .number()
          .int()
          .positive()
          .default(DEFAULT_MAX_QUEUED_PER_DEPLOYMENT)
          .describe('Requests that may wait in one deployment\'s queues, all together (default 2,000,000: about 310 MB of heap, at some 155 bytes per waiting request, src/cluster/deployment.ts)'),
        action: z
          .enum(['stop', 'drop'])
          .default('stop')
          .describe('When a deployment has that many waiting: stop the run with an error naming it, its arrival rate and its capacity (exit 2), or drop each further request that would wait, counted with the dropped'),
      })
      .default({ maxQueuedPerDeployment: DEFAULT_MAX_QUEUED_PER_DEPLOYMENT, action: 'stop' })
      .describe('A bound on waiting requests that keeps an overloaded run\'s memory bounded (a simulator safeguard, unlike queueLimit, which models a real queue\'s size)'),
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
    const candidatePools = (d: DeploymentSpec) => poolsOf(d, spec.cluster?.nodePools ?? []);
    const checkPlaceable = (d: DeploymentSpec, i: number) => {
      const problem = unplaceablePod(d, candidatePools(d));
      if (problem !== null) issue(['deployments', i, ...problem.field], problem.message);
    };
    // Names pick things out (targets, stages, pools, policies): a second of the same name would be silently shadowed.
    const rejectDuplicates = (list: string[], at: (i: number) => (string | number)[], what: string) =>
      list.forEach((name, i) => {
        if (list.indexOf(name) !== i) issue(at(i), `duplicate ${what} name "${name}"`);
      });
    rejectDuplicates(names, (i) => ['deployments', i, 'name'], 'deployment');
    const pools = spec.cluster?.nodePools.map((p) => p.name) ?? [];
    rejectDuplicates(pools, (i) => ['cluster', 'nodePools', i, 'name'], 'node-pool');
    for (const agent of ['client', 'controller'] as const) {
      const pool = spec.cluster?.[agent]?.pool;
      if (pool !== undefined && !pools.includes(pool)) issue(['cluster', agent, 'pool'], `expected one of ${quoted(pools)}, got "${pool}"`);
    }
    rejectDuplicates((spec.pipelines ?? []).map((p) => p.name), (i) => ['pipelines', i, 'name'], 'pipeline');
    spec.deployments.forEach((d, i) => {
      if (d.nodePool !== undefined && !pools.includes(d.nodePool)) issue(['deployments', i, 'nodePool'], `expected one of ${quoted(pools)}, got "${d.nodePool}"`);
      else checkPlaceable(d, i);
    });
    const inStage = new Set<string>();
    /** Each stage's variant deployments, by stage name; a deployment outside every pipeline is its own stage (as the control loop sees it). */
    const stageVariants = new Map<string, string[]>();
    (spec.pipelines ?? []).forEach((pipeline, p) => {
      const stageNames: string[] = [];
      rejectDuplicates(pipeline.stages.map((stage) => stage.name), (s) => ['pipelines', p, 'stages', s, 'name'], 'stage');
      pipeline.stages.forEach((stage, s) => {
        const at = ['pipelines', p, 'stages', s];
        stage.deployments.forEach((name, k) => {
          if (!names.includes(name)) issue([...at, 'deployments', k], `expected one of ${quoted(names)}, got "${name}"`);
          else if (stage.deployments.indexOf(name) !== k) issue([...at, 'deployments', k], `deployment "${name}" is listed twice in this stage`);
          else if (inStage.has(name)) issue([...at, 'deployments', k], `deployment "${name}" already serves another stage`);
          inStage.add(name);
        });
        stageVariants.set(stage.name, [...(stageVariants.get(stage.name) ?? []), ...stage.deployments]);
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
    for (const name of names) if (!inStage.has(name) && !stageVariants.has(name)) stageVariants.set(name, [name]);
    const policies = Array.isArray(spec.policy) ? spec.policy : [spec.policy];
    const owner = new Map<string, number>();
    policies.forEach((policy, i) => {
      const at = Array.isArray(spec.policy) ? ['policy', i] : ['policy'];
      const field = policy.name === 'ipa' ? 'stages' : 'deployments' in policy ? 'deployments' : 'deployment';
      const targets = policyTargets(policy);
      if (targets === null) {
        if (policies.length > 1) issue([...at, 'deployments'], 'a module policy among several must name the deployments it acts on');
        return;
      }
      targets.forEach((controlled, k) => {
        if (!names.includes(controlled)) issue([...at, field], `expected one of ${quoted(names)}, got "${controlled}"`);
        else if (targets.indexOf(controlled) !== k) issue([...at, field, k], `deployment "${controlled}" is listed twice`);
        else if (owner.has(controlled) && owner.get(controlled) !== i) issue([...at, field], `deployment "${controlled}" is already controlled by policy ${owner.get(controlled)}`);
        else owner.set(controlled, i);
      });
      if (policy.name === 'infadapter' || policy.name === 'ms+') {
        // A budget below one variant's minimum leaves no configuration to choose: every decision would deploy nothing.
        if (policy.minCores > policy.budgetCores) issue([...at, 'minCores'], `expected at most budgetCores (${policy.budgetCores}), got ${policy.minCores}: no variant could ever be deployed`);
        // Its quotas become the stage's routing weights, one per variant: the stage must be the one its deployments serve.
        const variants = stageVariants.get(policy.stage);
        if (variants === undefined) issue([...at, 'stage'], `expected one of ${quoted([...stageVariants.keys()])}, got "${policy.stage}"`);
        else {
          policy.deployments.forEach((controlled, k) => {
            if (names.includes(controlled) && !variants.includes(controlled)) issue([...at, 'deployments', k], `deployment "${controlled}" does not serve stage "${policy.stage}" (its variants: ${quoted(variants)})`);
          });
        }
      }
      if (policy.name === 'ipa') {
        // Its weights are the stage's, one per variant in the stage's order: it must list each stage's deployments as the stage does.
        policy.stages.forEach((stage, k) => {
          const variants = stageVariants.get(stage.stage);
          if (variants === undefined) issue([...at, 'stages', k, 'stage'], `expected one of ${quoted([...stageVariants.keys()])}, got "${stage.stage}"`);
          else if (variants.join('\0') !== stage.deployments.join('\0')) issue([...at, 'stages', k, 'deployments'], `expected the deployments of stage "${stage.stage}" in its order (${quoted(variants)})`);
        });
      }
      if ((policy.name === 'vpa' || policy.name === 'infadapter' || policy.name === 'ms+') && spec.cluster !== undefined) {
        // Every pod it sizes gets at least minCores: none could ever be placed if no node has that many.
        for (const controlled of targets) {
          const d = spec.deployments.find((x) => x.name === controlled);
          const largest = d === undefined ? Infinity : Math.max(...candidatePools(d).map((p) => p.cores));
          if (policy.minCores > largest + 1e-9) {
            issue([...at, 'minCores'], `expected at most ${largest}, the most cores a node of deployment "${controlled}" has, got ${policy.minCores}: no pod it sizes could ever be placed`);
            break;
          }
        }
      }
    });
    const target = spec.workload.target;
    const pipelineNames = (spec.pipelines ?? []).map((p) => p.name);
    if (target !== undefined) {
      if (!names.includes(target) && !pipelineNames.includes(target)) issue(['workload', 'target'], `expected one of ${quoted([...pipelineNames, ...names])}, got "${target}"`);
      else if (inStage.has(target)) issue(['workload', 'target'], `"${target}" is a stage of a pipeline: target the pipeline`);
    }
  })
  .superRefine(checkRunBounds);

/** The node pools a deployment's pods may go to: its own pool, or all. */
function poolsOf(d: DeploymentSpec, pools: NodePoolSpec[]): NodePoolSpec[] {
  return pools.filter((p) => d.nodePool === undefined || p.name === d.nodePool);
}

/**
 * Why no empty node of `pools` could hold one pod of the deployment, and the field at fault; null
 * when one could (or there is no cluster). Such a pod would stay Pending for ever (Kubernetes:
 * FailedScheduling) with every request waiting in flight. A pool that is merely full is the run's business.
 */
function unplaceablePod(d: DeploymentSpec, pools: NodePoolSpec[]): { field: string[]; message: string } | null {
  if (pools.length === 0) return null;
  const where = d.nodePool === undefined ? '' : ` of pool "${d.nodePool}"`;
  const never = 'no pod could ever be placed (Kubernetes: FailedScheduling)';
  if (d.gpuType !== undefined && !pools.some((p) => p.gpuType === d.gpuType)) {
    const types = [...new Set(pools.flatMap((p) => (p.gpuType === undefined ? [] : [`"${p.gpuType}"`])))];
    return { field: ['gpuType'], message: `expected a gpuType that a node${where} has (${types.length === 0 ? 'none has one' : types.join(', ')}), got "${d.gpuType}": ${never}` };
  }
  const request = { cores: d.cores, memoryGiB: d.memoryGiB, gpus: d.gpus, gpuType: d.gpuType };
  const shortfalls = pools.map((p) => shortfallOnEmptyNode(p, request));
  if (shortfalls.includes(null)) return null;
  const [field] = shortfalls;
  if (field !== null && field !== 'gpuType' && shortfalls.every((f) => f === field)) {
    const most = Math.max(...pools.filter((p) => field !== 'gpus' || d.gpuType === undefined || p.gpuType === d.gpuType).map((p) => p[field]));
    return { field: [field], message: `expected at most ${most}, the most a node${where} has, got ${d[field]}: ${never}` };
  }
  const gpus = `${d.gpus} GPUs${d.gpuType === undefined ? '' : ` "${d.gpuType}"`}`;
  return { field: [], message: `no node${where} has room for one pod (${d.cores} cores, ${d.memoryGiB} GiB, ${gpus}): ${never}` };
}

/** What the run-bound checks read of a spec. */
interface BoundedSpec {
  duration?: number;
  window: number;
  drain: boolean;
  metricsServer: { scrapeSeconds: number };
  workload: { target?: string };
  deployments: DeploymentSpec[];
  pipelines?: PipelineSpec[];
  policy: PolicySpec | PolicySpec[];
}

/**
 * Bounds that keep a run finite (src/engine/limits.ts), checked before it starts: the window, the
 * run's length in windows, metrics-server's period, and a drain that could never finish. The
 * bounds a trace's length or a drain must respect are checked as the run goes (src/experiment/run.ts).
 */
function checkRunBounds(spec: BoundedSpec, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  if (spec.window < MIN_WINDOW_SECONDS) {
    issue(['window'], `expected at least ${MIN_WINDOW_SECONDS} s (the resolution of reported latencies), got ${spec.window}`);
    return;
  }
  const longest = longestRunSeconds(spec.window);
  if (spec.duration !== undefined && spec.duration > longest) {
    const windows = Math.ceil(spec.duration / spec.window);
    const why =
      windows > MAX_WINDOWS_PER_RUN
        ? `${windows} windows of ${spec.window} s, more than the ${MAX_WINDOWS_PER_RUN} a run may have: make "window" at least ${Math.ceil(spec.duration / MAX_WINDOWS_PER_RUN)} s, or shorten the run`
        : `past the longest simulated time, ${longest} s`;
    issue(['duration'], `${spec.duration} s is ${why}`);
  }
  if (spec.metricsServer.scrapeSeconds < MIN_CONTROL_PERIOD_SECONDS) {
    issue(['metricsServer', 'scrapeSeconds'], `expected at least ${MIN_CONTROL_PERIOD_SECONDS} s (the shortest control period), got ${spec.metricsServer.scrapeSeconds}`);
  }
  if (spec.drain) checkDrainCanFinish(spec, issue);
}

/** Policies that may add pods to a deployment with none (VPA only resizes pods that exist; a module may do anything). */
const ADDS_PODS = new Set<PolicySpec['name']>(['hpa', 'kpa', 'keda', 'infadapter', 'ms+', 'ipa', 'module']);

/**
 * A drain waits for every request: one routed to a deployment that will never have a pod (no
 * replicas, and no policy that adds some) would keep it waiting for ever. Such a deployment is an
 * error where the stage's router may send requests to it: any variant under "random" (by weight)
 * or "least-outstanding"; under "weighted-round-robin", which skips variants without ready pods
 * while another has some, only when no variant of the stage can ever serve.
 */
function checkDrainCanFinish(spec: BoundedSpec, issue: (path: (string | number)[], message: string) => void): void {
  const policies = Array.isArray(spec.policy) ? spec.policy : [spec.policy];
  const scaled = new Set<string>();
  for (const policy of policies) {
    if (!ADDS_PODS.has(policy.name)) continue;
    const targets = policyTargets(policy);
    for (const name of targets ?? spec.deployments.map((d) => d.name)) scaled.add(name);
  }
  const mayServe = (name: string) => scaled.has(name) || (spec.deployments.find((d) => d.name === name)?.replicas ?? 0) > 0;
  const target = spec.workload.target ?? spec.pipelines?.[0]?.name ?? spec.deployments[0].name;
  const pipeline = spec.pipelines?.find((p) => p.name === target);
  const stages = pipeline?.stages ?? [{ name: target, deployments: [target], router: 'weighted-round-robin' as const, weights: undefined }];
  for (const stage of stages) {
    const routed = stage.deployments.filter((_, k) => stage.router === 'least-outstanding' || (stage.weights?.[k] ?? 1) > 0);
    const never = routed.filter((name) => !mayServe(name));
    const blocking = stage.router === 'weighted-round-robin' ? (never.length === routed.length ? never : []) : never;
    if (blocking.length === 0) continue;
    const index = spec.deployments.findIndex((d) => d.name === blocking[0]);
    if (index < 0) continue; // an unknown name, reported by the checks above
    issue(['deployments', index, 'replicas'], `0, and no policy adds pods to "${blocking[0]}": with drain, the requests routed to it could never finish (give it replicas, or set drain to false)`);
    return;
  }
}

export type Spec = z.infer<typeof specSchema>;
/** A spec as written, before defaults are filled in. */
export type SpecInput = z.input<typeof specSchema>;

/** The spec's policies, one or several, as a list. */
export function specPolicies(spec: Spec): PolicySpec[] {
  return Array.isArray(spec.policy) ? spec.policy : [spec.policy];
}
