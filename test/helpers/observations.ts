import type { DeploymentObservation, Observation, PodObservation } from '../../src/control/types.js';

/** A ready one-core pod long past the CPU initialisation period, with a 15 s sample of `usage` cores (null: no sample). */
export const pod = (id: number, usage: number | null, extra: Partial<PodObservation> = {}): PodObservation => ({
  id,
  phase: 'Running',
  ready: true,
  startTime: -1000,
  readyTime: -990,
  cpuRequestCores: 1,
  cpuUsageCores: usage,
  metricTime: usage === null ? null : 0,
  metricWindowSeconds: usage === null ? null : 15,
  requestsPerSecond: null,
  ...extra,
});

/** Deployment "svc" of one-core pods; its desired replicas default to the pods that are not terminating. */
export const deployment = (pods: PodObservation[], replicas = pods.filter((p) => p.phase !== 'Terminating').length): DeploymentObservation => ({
  name: 'svc',
  replicas,
  readyReplicas: pods.filter((p) => p.ready).length,
  coresPerReplica: 1,
  variant: 'v',
  accuracy: null,
  pods,
  queueLength: 0,
  inFlight: 0,
});

export const observe = (now: number, d: DeploymentObservation): Observation => ({ now, arrivalsPerSecond: [], deployments: [d] });
