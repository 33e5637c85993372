import { Cluster } from '../cluster/cluster.js';
import { Deployment } from '../cluster/deployment.js';
import { Network } from '../cluster/network.js';
import type { NodeCpu } from '../cluster/node-cpu.js';
import type { Variant } from '../cluster/pod.js';
import type { DeploymentSpec, PipelineSpec } from '../cluster/schema.js';
import { Service } from '../cluster/service.js';
import type { RandomStreams } from '../engine/random.js';
import type { Simulator } from '../engine/simulator.js';
import type { RunMetrics } from '../metrics/run-metrics.js';
import { serviceTimeModel, serviceTimeSourceOf } from '../profiles/service-time-source.js';
import type { Spec } from './spec.js';

/** The simulated world of a spec: its cluster, deployments and the service requests enter. */
export interface World {
  cluster: Cluster;
  deployments: Map<string, Deployment>;
  service: Service;
}

/**
 * The variant a deployment serves: service times from its source (a distribution, a profile or
 * Biathlon's job times), concurrency from the spec, else the source's, else one batch at a time.
 */
export function variantOf(d: DeploymentSpec, streams: RandomStreams, resolve: (file: string) => string): Variant {
  const u = streams.uniform(`service:${d.name}`);
  const model = serviceTimeModel(serviceTimeSourceOf(d), resolve);
  const fixedConcurrency = d.concurrency;
  const concurrency = model.concurrency;
  return {
    name: model.variant ?? d.name,
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

/** The stage each deployment serves in (a deployment outside every pipeline is its own one-stage pipeline's stage). */
export function stageOfDeployment(spec: Spec): Map<string, string> {
  const stages = new Map(spec.deployments.map((d) => [d.name, d.name]));
  for (const pipeline of spec.pipelines ?? []) for (const stage of pipeline.stages) for (const d of stage.deployments) stages.set(d, stage.name);
  return stages;
}

export function buildWorld(spec: Spec, sim: Simulator, streams: RandomStreams, metrics: RunMetrics, resolve: (file: string) => string): World {
  const cluster = new Cluster(sim, spec.cluster);
  const deployments = new Map(
    spec.deployments.map((d) => [d.name, new Deployment(sim, cluster, d, variantOf(d, streams, resolve), streams, (view) => metrics.track(view, d.slo))]),
  );
  const network = new Network(spec.network, streams, resolve);
  const service = new Service(sim, targetPipeline(spec), deployments, network, metrics, streams.uniform('route:pipeline'));
  const client = spec.cluster?.client;
  if (client !== undefined && client.cpuSecondsPerRequest > 0) {
    const cpu = cluster.nodes.firstOf(client.pool).cpu as NodeCpu;
    service.onEntry = () => cpu.charge('client', client.cpuSecondsPerRequest);
  }
  return { cluster, deployments, service };
}

/** What a decision of the controller costs the node it runs on (spec `cluster.controller`), or nothing. */
export function controllerCost(spec: Spec, cluster: Cluster): (() => void) | undefined {
  const controller = spec.cluster?.controller;
  if (controller === undefined || controller.cpuSecondsPerDecision === 0) return undefined;
  const cpu = cluster.nodes.firstOf(controller.pool).cpu as NodeCpu;
  return () => cpu.charge('controller', controller.cpuSecondsPerDecision);
}
