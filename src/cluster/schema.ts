import { z } from 'zod';
import { serviceTimeSchema } from '../profiles/service-time.js';
import { hasOneServiceTimeSource, ONE_SERVICE_TIME_SOURCE, serviceTimeSourceFields } from '../profiles/service-time-source.js';

const seconds = z.number().nonnegative();

export const nodePoolSchema = z.strictObject({
  name: z.string().min(1),
  nodes: z.number().int().positive(),
  cores: z.number().positive().describe('CPU cores per node'),
  allocatableCores: z
    .number()
    .positive()
    .optional()
    .describe('CPU requests the scheduler may place on a node (default `cores`; the kubelet\'s allocatable is below capacity by its reserved CPU). Above `cores` for a machine where servers start without a scheduler, oversubscribed: the testbed'),
  memoryGiB: z.number().positive().default(1e9),
  gpus: z.number().int().nonnegative().default(0).describe('GPUs per node'),
  gpuType: z.string().optional(),
  backgroundCores: z
    .number()
    .nonnegative()
    .default(0)
    .describe('CPU that something outside the pods keeps busy on each node, cores (system daemons, a co-located process); with `cpu: "shared"` it competes with the pods for the cores'),
});

/** A single-threaded process outside the pods whose CPU work is charged to a node (with `cpu: "shared"`). */
const agentSchema = <K extends string>(what: string, costField: K, per: string) =>
  z.strictObject({
    pool: z.string().optional().describe(`The node pool whose first node runs the ${what} (default the first pool)`),
    ...({ [costField]: z.number().nonnegative().describe(`CPU seconds of work per ${per}`) } as Record<K, z.ZodNumber>),
  });

export const clusterSchema = z
  .strictObject({
    nodePools: z.array(nodePoolSchema).min(1),
    placement: z.enum(['first-fit', 'best-fit']).default('first-fit').describe('How a pod picks its node'),
    cpu: z
      .enum(['reserved', 'shared'])
      .default('reserved')
      .describe(
        'reserved: a batch gets its cores whatever else runs (no contention while requests fit). shared: the runnable threads of every pod and of the background on a node share its cores by weighted processor sharing (CFS: weights are CPU requests), a CPU limit throttles by quota over 100 ms periods, and a pod without one may use idle cores up to its threads',
      ),
    client: agentSchema('load generator', 'cpuSecondsPerRequest', 'request sent').optional().describe('The load generator runs on a node of the cluster (with cpu "shared")'),
    controller: agentSchema('controller', 'cpuSecondsPerDecision', 'decision').optional().describe('The policy\'s controller runs on a node of the cluster (with cpu "shared"): each decision costs this much CPU there'),
  })
  .refine((c) => c.cpu === 'shared' || (c.client === undefined && c.controller === undefined && c.nodePools.every((p) => p.backgroundCores === 0)), {
    message: 'expected cpu "shared" with client, controller or backgroundCores (they compete for cores only when pods share them)',
    path: ['cpu'],
  })
  .describe('Nodes pods are placed on; without it, capacity is unbounded');

/**
 * Pod start-up and shutdown. Defaults: ready at once (the queueing-lab default); set them to model
 * cold starts. Kubernetes' terminationGracePeriodSeconds defaults to 30 s.
 */
export const lifecycleSchema = z.strictObject({
  containerStartSeconds: seconds.default(0).describe('Scheduling, image and container start before the model loads'),
  modelLoadSeconds: seconds.default(0).describe('Model load (InfAdapter measured 6.44–8.52 s for ResNet18–152)'),
  warmupSeconds: seconds.default(0).describe('Warm-up before the readiness probe passes'),
  resizeSeconds: seconds.default(1).describe('Delay of an in-place CPU resize (Kubernetes InPlacePodVerticalScaling); a stand-in, no measurement is public'),
  terminationGraceSeconds: seconds.default(30).describe('A terminating pod finishes its work for this long, then whatever is left is dropped'),
  initialReady: z.boolean().default(true).describe('The spec\'s initial pods are ready at time 0 (false: they start cold)'),
});

export const batchingSchema = z.strictObject({
  maxBatch: z.number().int().positive().default(1),
  maxWaitSeconds: seconds.default(0).describe('How long the oldest queued request may wait for a batch to fill'),
});

export const deploymentSchema = z
  .strictObject({
    name: z.string().min(1).regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "." or "-"'),
    replicas: z.number().int().nonnegative(),
    cores: z.number().positive().default(1).describe('CPU cores per replica'),
    threads: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Threads a replica\'s batch runs on (default: its cores, rounded up): with cluster cpu "shared", the cores it can use at once, and the cores its service time is read at'),
    cpuLimitCores: z
      .number()
      .positive()
      .optional()
      .describe(
        'CPU limit per replica, cores (at least `cores`, as Kubernetes requires). Without one (Kubernetes\' default with no LimitRange) a pod may use more than its request: each batch runs on the request plus an equal share of its node\'s unrequested cores among the pods there that may burst, up to the limit; on the unbounded default cluster (no `cluster`) no spare cores are known and pods run at their request',
      ),
    memoryGiB: z.number().nonnegative().default(0),
    gpus: z.number().int().nonnegative().default(0),
    gpuType: z.string().optional().describe('GPU model the pods need (matched against node pools\' gpuType)'),
    nodePool: z.string().optional().describe('Place pods in this pool only'),
    // Where service times come from: one field per source kind (serviceTime, profile, biathlon), src/profiles/service-time-source.ts.
    ...serviceTimeSourceFields,
    wakeUpSeconds: seconds
      .default(0)
      .describe('Extra service time of a batch that starts on a lane that was idle, not straight after the batch before it: an idle server\'s wake-up (threads, CPU idle states), which `servesim validate` measures on its model servers'),
    concurrency: z.number().int().positive().optional().describe('Batches one replica serves at once (default: the profile\'s, else 1)'),
    batching: batchingSchema.optional(),
    queue: z.enum(['central', 'per-replica']).default('central').describe('One queue for the deployment, or one per replica behind a router'),
    router: z.enum(['round-robin', 'least-outstanding', 'random']).default('round-robin').describe('How requests pick a replica (per-replica queues)'),
    discipline: z.enum(['fifo', 'edf']).default('fifo').describe('Queue order: arrival, or earliest deadline first'),
    queueLimit: z.number().int().nonnegative().optional().describe('Requests that may wait (not in service), counted over all the deployment\'s queues together: an arrival that can start at once on a free lane is served; one that would have to wait (joining a forming batch is waiting) when this many already wait is dropped, as "queue full". 0: no waiting room (c lanes: M/M/c/c, Erlang B); K − c: M/M/c/K'),
    dropAfterSeconds: z.number().positive().optional().describe('A request older than this (see dropAfterFrom) is dropped when it reaches the head of the queue'),
    dropAfterFrom: z
      .enum(['stage', 'request'])
      .default('stage')
      .describe("Where a request's age for dropAfterSeconds starts: when it joined this deployment's queue, or when the client sent it (IPA's stage queues drop what is older than its drop limit since it entered the pipeline)"),
    dropLate: z.boolean().default(false).describe('Drop a request whose deadline has passed before its service starts'),
    lifecycle: lifecycleSchema.default(lifecycleSchema.parse({})),
    accuracy: z.number().min(0).max(1).optional().describe('Accuracy of the served model variant, a fraction in [0, 1]'),
    slo: z.number().positive().optional().describe('Per-stage latency SLO, seconds (counted in this deployment\'s rows)'),
  })
  .refine(hasOneServiceTimeSource, { message: ONE_SERVICE_TIME_SOURCE })
  .refine((d) => d.cpuLimitCores === undefined || d.cpuLimitCores >= d.cores, { message: 'expected cpuLimitCores at least cores (a limit below the request is invalid in Kubernetes)', path: ['cpuLimitCores'] });

export const networkSchema = z
  .strictObject({
    hop: serviceTimeSchema.optional().describe('Latency of every network hop: client to the first stage, between stages, last stage to client'),
    upload: z
      .strictObject({
        bandwidthLog: z.string().describe('A bandwidth log (whitespace-separated: column 2 ms since start, 5 bytes, 6 interval ms), replayed cyclically'),
        sizeKB: z.number().positive().describe('Request payload'),
      })
      .optional()
      .describe('Upload time = size / bandwidth at the send time; it eats into the request\'s SLO'),
  })
  .describe('Network between the client and the stages');

export const stageSchema = z.strictObject({
  name: z.string().min(1),
  deployments: z.array(z.string()).min(1).describe('The variants able to serve this stage'),
  weights: z
    .array(z.number().nonnegative())
    // All zero would route no request anywhere: the stage would silently serve nothing.
    .refine((weights) => weights.some((w) => w > 0), { message: 'expected at least one positive weight (all are 0: no variant would get a request)' })
    .optional()
    .describe('Routing weights across the variants (default equal)'),
  router: z.enum(['weighted-round-robin', 'random', 'least-outstanding']).default('weighted-round-robin'),
  after: z.array(z.string()).optional().describe('Stages whose output this stage needs (default: the stage before it)'),
});

export const pipelineSchema = z.strictObject({
  name: z.string().min(1),
  stages: z.array(stageSchema).min(1),
  accuracy: z
    .enum(['product', 'sum-rank'])
    .default('product')
    .describe('Pipeline accuracy: product of the variants\' accuracies, or sum of their rank-normalised accuracies within each stage (IPA)'),
});

export type NodePoolSpec = z.infer<typeof nodePoolSchema>;
export type ClusterSpec = z.infer<typeof clusterSchema>;
export type LifecycleSpec = z.infer<typeof lifecycleSchema>;
export type DeploymentSpec = z.infer<typeof deploymentSchema>;
export type NetworkSpec = z.infer<typeof networkSchema>;
export type StageSpec = z.infer<typeof stageSchema>;
export type PipelineSpec = z.infer<typeof pipelineSchema>;
