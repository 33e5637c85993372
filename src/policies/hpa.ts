import { z } from 'zod';
import type { Action, DeploymentObservation, Observation, Policy, PodObservation } from './types.js';

/**
 * Kubernetes' Horizontal Pod Autoscaler (autoscaling/v2), following kubernetes/kubernetes
 * pkg/controller/podautoscaler (horizontal.go, replica_calculator.go) and the API defaults
 * (pkg/apis/autoscaling/v2/defaults.go). Defaults are the controller's: 15 s sync, tolerance 0.1,
 * 5 min CPU initialisation period, 30 s initial readiness delay, 300 s scale-down stabilisation,
 * scale-up by max(4 pods, 100%) per 15 s, scale-down by 100% per 15 s.
 */
const scalingPolicy = z.strictObject({
  type: z.enum(['Pods', 'Percent']),
  value: z.number().positive(),
  periodSeconds: z.number().positive().max(1800),
});

const scalingRules = (window: number, policies: z.input<typeof scalingPolicy>[]) =>
  z
    .strictObject({
      stabilizationWindowSeconds: z.number().nonnegative().max(3600).default(window),
      selectPolicy: z.enum(['Max', 'Min', 'Disabled']).default('Max'),
      policies: z.array(scalingPolicy).min(1).default(policies as z.infer<typeof scalingPolicy>[]),
    })
    .default({ stabilizationWindowSeconds: window, selectPolicy: 'Max', policies: policies as z.infer<typeof scalingPolicy>[] });

export const hpaSchema = z
  .strictObject({
    name: z.literal('hpa'),
    deployment: z.string().describe('The scale target'),
    metric: z.enum(['cpu', 'rps']).default('cpu').describe('cpu: average CPU utilisation of the requests; rps: requests/s per pod (a Pods metric)'),
    targetUtilization: z.number().positive().default(0.8).describe('CPU utilisation target (Kubernetes\' default 80%)'),
    targetRps: z.number().positive().optional().describe('Average requests/s per pod (metric "rps")'),
    minReplicas: z.number().int().positive().default(1),
    maxReplicas: z.number().int().positive(),
    syncSeconds: z.number().positive().default(15).describe('--horizontal-pod-autoscaler-sync-period'),
    tolerance: z.number().nonnegative().default(0.1).describe('--horizontal-pod-autoscaler-tolerance'),
    cpuInitializationSeconds: z.number().nonnegative().default(300).describe('--horizontal-pod-autoscaler-cpu-initialization-period'),
    initialReadinessDelaySeconds: z.number().nonnegative().default(30).describe('--horizontal-pod-autoscaler-initial-readiness-delay'),
    behavior: z
      .strictObject({
        scaleUp: scalingRules(0, [
          { type: 'Pods', value: 4, periodSeconds: 15 },
          { type: 'Percent', value: 100, periodSeconds: 15 },
        ]),
        scaleDown: scalingRules(300, [{ type: 'Percent', value: 100, periodSeconds: 15 }]),
      })
      .default({
        scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] },
        scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
      }),
  })
  .refine((h) => h.metric !== 'rps' || h.targetRps !== undefined, { message: 'metric "rps" needs targetRps', path: ['targetRps'] })
  .refine((h) => h.minReplicas <= h.maxReplicas, { message: 'minReplicas must not exceed maxReplicas', path: ['minReplicas'] });

export type HpaSpec = z.infer<typeof hpaSchema>;
type Rules = HpaSpec['behavior']['scaleUp'];

interface Timed {
  time: number;
  replicas: number;
}

/** The replica count one metric proposes (replica_calculator.go); null when it has no usable metrics. */
export function proposeReplicas(spec: HpaSpec, d: DeploymentObservation, now: number, metricWindowSeconds: number): number | null {
  const current = d.replicas;
  const live = d.pods.filter((p) => p.phase !== 'Terminating');
  const value = (p: PodObservation) => (spec.metric === 'cpu' ? p.cpuUsageCores : p.requestsPerSecond);
  const request = (p: PodObservation) => (spec.metric === 'cpu' ? p.cpuRequestCores : 1);
  const target = spec.metric === 'cpu' ? spec.targetUtilization : (spec.targetRps as number);
  const ready: PodObservation[] = [];
  const missing: PodObservation[] = [];
  const ignored: PodObservation[] = [];
  for (const pod of live) {
    if (pod.phase === 'Pending') ignored.push(pod);
    else if (value(pod) === null) missing.push(pod);
    else if (spec.metric === 'cpu' && isUnreadyForCpu(spec, pod, now, metricWindowSeconds)) ignored.push(pod);
    else ready.push(pod);
  }
  if (ready.length === 0) return null;
  const ratioOf = (pods: PodObservation[], usage: (p: PodObservation) => number) =>
    pods.reduce((sum, p) => sum + usage(p), 0) / pods.reduce((sum, p) => sum + request(p), 0) / target;
  const usageRatio = ratioOf(ready, (p) => value(p) as number);
  const rebalanceIgnored = ignored.length > 0 && usageRatio > 1;
  if (!rebalanceIgnored && missing.length === 0) {
    if (Math.abs(1 - usageRatio) <= spec.tolerance) return current;
    return Math.ceil(usageRatio * ready.length);
  }
  // Conservative path: missing pods use 100% of their request when scaling down, 0% when scaling up;
  // unready pods count as idle when scaling up.
  const counted = new Map(ready.map((p) => [p, value(p) as number]));
  for (const p of missing) counted.set(p, usageRatio < 1 ? request(p) * target : 0);
  if (rebalanceIgnored) for (const p of ignored) if (p.phase !== 'Pending') counted.set(p, 0);
  const pods = [...counted.keys()];
  const newRatio = ratioOf(pods, (p) => counted.get(p) as number);
  if (Math.abs(1 - newRatio) <= spec.tolerance || (usageRatio < 1 && newRatio > 1) || (usageRatio > 1 && newRatio < 1)) return current;
  const proposal = Math.ceil(newRatio * pods.length);
  if ((newRatio < 1 && proposal > current) || (newRatio > 1 && proposal < current)) return current;
  return proposal;
}

/** groupPods' CPU readiness rule: a pod is ignored while its CPU sample may come from start-up. */
function isUnreadyForCpu(spec: HpaSpec, pod: PodObservation, now: number, metricWindowSeconds: number): boolean {
  if (pod.startTime === null) return true;
  if (now < pod.startTime + spec.cpuInitializationSeconds) {
    return !pod.ready || (pod.metricTime as number) < (pod.readyTime as number) + metricWindowSeconds;
  }
  // Past the initialisation period: ignored only if unready and it never became ready after start.
  return !pod.ready && (pod.readyTime ?? pod.startTime) < pod.startTime + spec.initialReadinessDelaySeconds;
}

/** Sum of replica changes recorded within the last `period` seconds. */
function changedWithin(events: Timed[], now: number, period: number): number {
  let sum = 0;
  for (const e of events) if (e.time > now - period) sum += e.replicas;
  return sum;
}

export class Hpa implements Policy {
  readonly name = 'hpa';
  readonly intervalSeconds: number;
  readonly firstDecisionSeconds: number;
  private readonly recommendations: Timed[] = [];
  private readonly upEvents: Timed[] = [];
  private readonly downEvents: Timed[] = [];

  constructor(
    readonly spec: HpaSpec,
    private readonly metricWindowSeconds: number,
  ) {
    this.intervalSeconds = spec.syncSeconds;
    this.firstDecisionSeconds = spec.syncSeconds;
  }

  decide(o: Observation): Action[] {
    const d = o.deployments.find((x) => x.name === this.spec.deployment);
    if (d === undefined) return [];
    const desired = this.desiredReplicas(d, o.now);
    if (desired === d.replicas) return [];
    const change = desired - d.replicas;
    (change > 0 ? this.upEvents : this.downEvents).push({ time: o.now, replicas: Math.abs(change) });
    return [{ kind: 'scale', deployment: d.name, replicas: desired }];
  }

  /** reconcileAutoscaler: bounds first, then the metric proposal, stabilised and rate-limited. */
  desiredReplicas(d: DeploymentObservation, now: number): number {
    const { minReplicas, maxReplicas } = this.spec;
    const current = d.replicas;
    if (current === 0 && minReplicas > 0) return current; // scaling disabled while the target is at 0
    if (current > maxReplicas) return maxReplicas;
    if (current < minReplicas) return minReplicas;
    const proposal = proposeReplicas(this.spec, d, now, this.metricWindowSeconds);
    if (proposal === null) return current;
    return this.rateLimit(this.stabilize(proposal, current, now), current, now);
  }

  /** stabilizeRecommendationWithBehaviors: min over the scale-up window, max over the scale-down window. */
  private stabilize(proposal: number, current: number, now: number): number {
    const { scaleUp, scaleDown } = this.spec.behavior;
    let up = proposal;
    let down = proposal;
    for (const r of this.recommendations) {
      if (r.time > now - scaleUp.stabilizationWindowSeconds) up = Math.min(up, r.replicas);
      if (r.time > now - scaleDown.stabilizationWindowSeconds) down = Math.max(down, r.replicas);
    }
    let recommendation = current;
    if (recommendation < up) recommendation = up;
    if (recommendation > down) recommendation = down;
    this.recommendations.push({ time: now, replicas: proposal });
    const keep = now - Math.max(scaleUp.stabilizationWindowSeconds, scaleDown.stabilizationWindowSeconds);
    while (this.recommendations.length > 0 && this.recommendations[0].time <= keep) this.recommendations.shift();
    return recommendation;
  }

  /** convertDesiredReplicasWithBehaviorRate: the scaling policies' limits, then min/max replicas. */
  private rateLimit(desired: number, current: number, now: number): number {
    const { scaleUp, scaleDown } = this.spec.behavior;
    if (desired > current) {
      if (scaleUp.selectPolicy === 'Disabled') return current;
      const limit = Math.max(current, this.limit(scaleUp, (p) => {
        const start = current - changedWithin(this.upEvents, now, p.periodSeconds);
        return p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
      }));
      return Math.min(desired, limit, this.spec.maxReplicas);
    }
    if (desired < current) {
      if (scaleDown.selectPolicy === 'Disabled') return current;
      // For scale-down, "Max" means the largest change, i.e. the smallest limit.
      const limit = Math.min(current, this.limit({ ...scaleDown, selectPolicy: scaleDown.selectPolicy === 'Max' ? 'Min' : 'Max' }, (p) => {
        const start = current + changedWithin(this.downEvents, now, p.periodSeconds);
        return p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100));
      }));
      return Math.max(desired, limit, this.spec.minReplicas);
    }
    return desired;
  }

  private limit(rules: Rules, of: (p: Rules['policies'][number]) => number): number {
    const limits = rules.policies.map(of);
    return rules.selectPolicy === 'Min' ? Math.min(...limits) : Math.max(...limits);
  }
}
