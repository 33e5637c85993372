import { Cluster } from '../cluster/cluster.js';
import { Deployment } from '../cluster/deployment.js';
import { Network } from '../cluster/network.js';
import type { Variant } from '../cluster/pod.js';
import type { DeploymentSpec, PipelineSpec } from '../cluster/schema.js';
import { Service } from '../cluster/service.js';
import type { RandomStreams } from '../engine/random.js';
import type { Simulator } from '../engine/simulator.js';
import type { RunMetrics } from '../metrics/run-metrics.js';
import { loadLatencyModel } from '../profiles/registry.js';
import { serviceTimeSampler } from '../profiles/service-time.js';
import { preparedJobs } from './biathlon-jobs.js';
import type { Spec } from './spec.js';

/** The simulated world of a spec: its cluster, deployments and the service requests enter. */
export interface World {
  cluster: Cluster;
  deployments: Map<string, Deployment>;
  service: Service;
}

/** The variant a deployment serves: service times from its distribution or its profile. */
export function variantOf(d: DeploymentSpec, streams: RandomStreams, resolve: (file: string) => string): Variant {
  const u = streams.uniform(`service:${d.name}`);
  const fixedConcurrency = d.concurrency;
  if (d.serviceTime !== undefined) {
    // A distribution gives the time of one batch whatever its size and the pod's cores.
    // The sampler ignores the batch size and cores it is called with.
    const draw: (batch: number, cores: number) => number = serviceTimeSampler(d.serviceTime, u);
    return { name: d.name, accuracy: d.accuracy ?? null, serviceTime: draw, concurrency: () => fixedConcurrency ?? 1 };
  }
  if (d.biathlon !== undefined) {
    // One request per lane (the paper runs a request's queries on one core); a batch runs its jobs back to back.
    const jobs = preparedJobs(d.biathlon);
    const draw = (batch: number) => {
      let seconds = 0;
      for (let i = 0; i < batch; i++) seconds += jobs.seconds[Math.floor(u() * jobs.seconds.length)];
      return seconds;
    };
    return { name: d.name, accuracy: d.accuracy ?? jobs.accuracy, serviceTime: draw, concurrency: (cores) => fixedConcurrency ?? Math.max(1, Math.floor(cores)) };
  }
  const profile = d.profile as NonNullable<DeploymentSpec['profile']>;
  const model = loadLatencyModel(profile, resolve);
  const concurrency = model.concurrency;
  return {
    name: profile.variant,
    accuracy: d.accuracy ?? model.accuracy ?? null,
    serviceTime: model.sampler(u),
    concurrency: fixedConcurrency !== undefined ? () => fixedConcurrency : (concurrency ?? (() => 1)),
  };
}

/** The pipeline requests enter: the target pipeline, or a one-stage pipeline around the target deployment. */
function targetPipeline(spec: Spec): PipelineSpec {
  const target = spec.workload.target ?? spec.pipelines?.[0]?.name ?? spec.deployments[0].name;
  const pipeline = spec.pipelines?.find((p) => p.name === target);
  if (pipeline !== undefined) return pipeline;
  return { name: target, accuracy: 'product', stages: [{ name: target, deployments: [target], router: 'weighted-round-robin' }] };
}

export function buildWorld(spec: Spec, sim: Simulator, streams: RandomStreams, metrics: RunMetrics, resolve: (file: string) => string): World {
  const cluster = new Cluster(sim, spec.cluster);
  const deployments = new Map(
    spec.deployments.map((d) => [d.name, new Deployment(sim, cluster, d, variantOf(d, streams, resolve), streams, (view) => metrics.track(view, d.slo))]),
  );
  const network = new Network(spec.network, streams, resolve);
  const service = new Service(sim, targetPipeline(spec), deployments, network, metrics, streams.uniform('route:pipeline'));
  return { cluster, deployments, service };
}
