import { z } from 'zod';
import type { Action, DeploymentObservation, Observation, Policy, PodObservation } from '../control/types.js';

/**
 * Kubernetes' Horizontal Pod Autoscaler (autoscaling/v2), following kubernetes/kubernetes
 * pkg/controller/podautoscaler (horizontal.go, replica_calculator.go, metrics/utilization.go) and
 * the API defaults (pkg/apis/autoscaling/v2/defaults.go). Defaults are the controller's
 * (config/v1alpha1/defaults.go): 15 s sync, tolerance 0.1, 5 min CPU initialisation period, 30 s
 * initial readiness delay, 300 s scale-down stabilisation; and the API's: scale-up by max(4 pods,
 * 100%) per 15 s, scale-down by 100% per 15 s.
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

/** The HPA's `behavior` (autoscaling/v2), with the API's defaults; KEDA passes its own through to the HPA it makes. */
export const hpaBehaviorSchema = z
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
  });

export type HpaBehavior = z.infer<typeof hpaBehaviorSchema>;

export const hpaSchema = z
  .strictObject({
    name: z.literal('hpa'),
    deployment: z.string().describe('The scale target'),
    metric: z.enum(['cpu', 'rps']).default('cpu').describe('cpu: average CPU utilisation of the requests; rps: requests/s per pod (a Pods metric)'),
    targetUtilization: z
      .number()
      .positive()
      .default(0.8)
      .describe('CPU utilisation target, a fraction of the request (Kubernetes\' default 80%, autoscaling.DefaultCPUUtilization); used as a whole percent, as averageUtilization is an integer'),
    targetRps: z.number().positive().optional().describe('Average requests/s per pod (metric "rps")'),
    minReplicas: z.number().int().positive().default(1),
    maxReplicas: z.number().int().positive(),
    // Periods of at least 0.01 s, the shortest control period (src/engine/limits.ts): shorter ones would spend the run deciding.
    syncSeconds: z.number().min(0.01).default(15).describe('--horizontal-pod-autoscaler-sync-period'),
    tolerance: z.number().nonnegative().default(0.1).describe('--horizontal-pod-autoscaler-tolerance'),
    cpuInitializationSeconds: z.number().nonnegative().default(300).describe('--horizontal-pod-autoscaler-cpu-initialization-period'),
    initialReadinessDelaySeconds: z.number().nonnegative().default(30).describe('--horizontal-pod-autoscaler-initial-readiness-delay'),
    behavior: hpaBehaviorSchema,
  })
  .refine((h) => h.metric !== 'rps' || h.targetRps !== undefined, { message: 'metric "rps" needs targetRps', path: ['targetRps'] })
  .refine((h) => h.minReplicas <= h.maxReplicas, { message: 'minReplicas must not exceed maxReplicas', path: ['minReplicas'] })
  .refine((h) => Math.round(h.targetUtilization * 100) >= 1, { message: 'expected targetUtilization of at least 0.005 (it is used as a whole percent)', path: ['targetUtilization'] });

export type HpaSpec = z.infer<typeof hpaSchema>;

interface Timed {
  time: number;
  replicas: number;
}

/**
 * A metric value in milli-units as the HPA reads it: metrics-server truncates CPU to nanocores
 * (kubernetes-sigs/metrics-server pkg/storage/types.go) and the HPA takes Quantity.MilliValue(),
 * which rounds up (pkg/controller/podautoscaler/metrics/client.go).
 */
const milli = (value: number) => Math.max(0, Math.ceil(Math.floor(value * 1e9) / 1e6));

/** Requests are quantities such as "500m" or "1.5": whole milli-cores. */
const requestMilli = (pod: PodObservation) => Math.round(pod.cpuRequestCores * 1000);

/**
 * The replica count one metric proposes: GetResourceReplicas (metric "cpu", a Resource metric) or
 * GetMetricReplicas (metric "rps", a Pods metric) in replica_calculator.go; null when no pod has a
 * usable metric (the HPA then leaves the scale alone). `metricWindowSeconds` stands in for a
 * sample's window where the observation gives none.
 */
export function proposeReplicas(spec: HpaSpec, d: DeploymentObservation, now: number, metricWindowSeconds: number): number | null {
  const current = d.replicas;
  const cpu = spec.metric === 'cpu';
  // groupPods. Terminating pods (a deletionTimestamp) are ignored entirely; Pending ones are unready.
  const ready: PodObservation[] = [];
  const missing: PodObservation[] = [];
  const unready: PodObservation[] = [];
  for (const pod of d.pods) {
    if (pod.phase === 'Terminating') continue;
    if (pod.phase === 'Pending') unready.push(pod);
    else if ((cpu ? pod.cpuUsageCores : pod.requestsPerSecond) === null) missing.push(pod);
    else if (cpu && isUnreadyForCpu(spec, pod, now, metricWindowSeconds)) unready.push(pod);
    else ready.push(pod);
  }
  if (ready.length === 0) return null;

  // Usage in milli-units of each pod in the calculation; the ratio as metrics/utilization.go
  // computes it: CPU as a whole percent of the summed requests (truncated) over the target
  // percent, a Pods metric as the truncated mean over the target.
  const targetPercent = Math.round(spec.targetUtilization * 100);
  const targetMilli = milli(spec.targetRps ?? 0);
  const usage = new Map<PodObservation, number>();
  for (const pod of ready) usage.set(pod, milli((cpu ? pod.cpuUsageCores : pod.requestsPerSecond) as number));
  const ratioOf = (metrics: Map<PodObservation, number>) => {
    let total = 0;
    let requests = 0;
    for (const [pod, value] of metrics) {
      total += value;
      requests += cpu ? requestMilli(pod) : 0;
    }
    return cpu ? Math.floor((total * 100) / requests) / targetPercent : Math.floor(total / metrics.size) / targetMilli;
  };
  const within = (ratio: number) => 1 - spec.tolerance <= ratio && ratio <= 1 + spec.tolerance;

  const usageRatio = ratioOf(usage);
  const scaleUpWithUnready = unready.length > 0 && usageRatio > 1;
  if (!scaleUpWithUnready && missing.length === 0) {
    if (within(usageRatio)) return current;
    return Math.ceil(usageRatio * ready.length);
  }
  // The conservative path. Scaling down, a pod without a metric counts as using max(100%, target)
  // of its request (a Resource metric) or exactly the target (a Pods metric); scaling up, as idle.
  if (usageRatio < 1) {
    for (const pod of missing) usage.set(pod, cpu ? Math.floor((requestMilli(pod) * Math.max(100, targetPercent)) / 100) : targetMilli);
  } else if (usageRatio > 1) {
    for (const pod of missing) usage.set(pod, 0);
  }
  // Scaling up, unready pods (Pending ones included) count as idle.
  if (scaleUpWithUnready) for (const pod of unready) usage.set(pod, 0);
  const newRatio = ratioOf(usage);
  // No change when within tolerance or when the assumptions would reverse the direction.
  if (within(newRatio) || (usageRatio < 1 && newRatio > 1) || (usageRatio > 1 && newRatio < 1)) return current;
  const proposal = Math.ceil(newRatio * usage.size);
  if ((newRatio < 1 && proposal > current) || (newRatio > 1 && proposal < current)) return current;
  return proposal;
}

/**
 * groupPods' CPU readiness rule: a pod is unready while its CPU sample may come from start-up.
 * Inside the CPU initialisation period: unready if not ready, or if its sample's window began
 * before it became ready (timestamp < last Ready transition + window). Past it: unready only if
 * not ready and it never became ready after start (Ready transition within the initial readiness
 * delay). A pod that has never been ready carries its Ready=False condition from its start.
 */
function isUnreadyForCpu(spec: HpaSpec, pod: PodObservation, now: number, metricWindowSeconds: number): boolean {
  if (pod.startTime === null) return true;
  const readyTransition = pod.readyTime ?? pod.startTime;
  if (now < pod.startTime + spec.cpuInitializationSeconds) {
    return !pod.ready || (pod.metricTime as number) < readyTransition + (pod.metricWindowSeconds ?? metricWindowSeconds);
  }
  return !pod.ready && readyTransition < pod.startTime + spec.initialReadinessDelaySeconds;
}

/** Sum of replica changes recorded within the last `period` seconds (getReplicasChangePerPeriod). */
function changedWithin(events: Timed[], now: number, period: number): number {
  let sum = 0;
  for (const e of events) if (e.time > now - period) sum += e.replicas;
  return sum;
}

/**
 * GetExternalPerPodMetricReplicas (replica_calculator.go): an External metric with an AverageValue
 * target, both in milli-units. The ratio compares the metric's total with the target times the
 * pods the scale's status counts (`statusReplicas`), not the ready ones; outside the tolerance
 * the proposal is ceil(total / target) (inside it, or with no pods and a total of 0, the status count).
 */
export function externalPerPodReplicas(totalMilli: number, targetMilli: number, statusReplicas: number, tolerance: number): number {
  const ratio = totalMilli / (targetMilli * statusReplicas);
  return Math.abs(1 - ratio) > tolerance ? Math.ceil(totalMilli / targetMilli) : statusReplicas;
}

/** What bounds a proposal: the HPA's replica range and its behaviour. */
export interface HpaLimits {
  minReplicas: number;
  maxReplicas: number;
  behavior: HpaBehavior;
}

/**
 * The part of the HPA's sync that follows the metrics (horizontal.go reconcileAutoscaler): bounds,
 * the stabilisation windows and the scaling policies, with the recommendations and scale events
 * they remember. Any metric's proposal goes through it: the HPA's own, or the External metric of
 * the HPA that KEDA creates.
 */
export class HpaReconciler {
  private readonly recommendations: Timed[] = [];
  private readonly upEvents: Timed[] = [];
  private readonly downEvents: Timed[] = [];
  private initialRecommendationRecorded = false;

  constructor(private readonly limits: HpaLimits) {}

  /** The replicas a sync at `now` asks for; `propose` gives the metric's proposal (null: none usable), asked only where the bounds do not decide. */
  desiredReplicas(current: number, now: number, propose: () => number | null): number {
    const { minReplicas, maxReplicas } = this.limits;
    // recordInitialRecommendation: the first sync records the current scale, so a scale-down
    // waits out the stabilisation window from then.
    if (!this.initialRecommendationRecorded) {
      this.recommendations.push({ time: now, replicas: current });
      this.initialRecommendationRecorded = true;
    }
    if (current === 0 && minReplicas > 0) return current; // scaling disabled while the target is at 0
    if (current > maxReplicas) return maxReplicas;
    if (current < minReplicas) return minReplicas;
    const proposal = propose();
    if (proposal === null) return current;
    return this.rateLimit(this.stabilize(proposal, current, now), current, now);
  }

  /**
   * storeScaleEvent: a change the HPA made counts against the scaling policies for their periods;
   * it takes the place of the last event older than its direction's longest policy period, if any.
   */
  recordScale(current: number, desired: number, now: number): void {
    if (desired === current) return;
    const up = desired > current;
    const events = up ? this.upEvents : this.downEvents;
    const rules = up ? this.limits.behavior.scaleUp : this.limits.behavior.scaleDown;
    const longestPeriod = Math.max(...rules.policies.map((p) => p.periodSeconds));
    let outdated = -1;
    for (let i = 0; i < events.length; i++) if (events[i].time < now - longestPeriod) outdated = i;
    const event = { time: now, replicas: Math.abs(desired - current) };
    if (outdated >= 0) events[outdated] = event;
    else events.push(event);
  }

  /** stabilizeRecommendationWithBehaviors: min over the scale-up window, max over the scale-down window. */
  private stabilize(proposal: number, current: number, now: number): number {
    const { scaleUp, scaleDown } = this.limits.behavior;
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

  /**
   * convertDesiredReplicasWithBehaviorRate: the scaling policies' limits, then min/max replicas.
   * Each policy counts from the replicas at the start of its period: the current count less what
   * was added and plus what was removed within it (both directions).
   */
  private rateLimit(desired: number, current: number, now: number): number {
    const { minReplicas, maxReplicas, behavior } = this.limits;
    const { scaleUp, scaleDown } = behavior;
    const periodStart = (periodSeconds: number) =>
      current - changedWithin(this.upEvents, now, periodSeconds) + changedWithin(this.downEvents, now, periodSeconds);
    if (desired > current) {
      let limit = current; // Disabled
      if (scaleUp.selectPolicy !== 'Disabled') {
        const limits = scaleUp.policies.map((p) => {
          const start = periodStart(p.periodSeconds);
          return p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
        });
        // Max picks the largest change, Min the smallest.
        limit = Math.max(current, scaleUp.selectPolicy === 'Min' ? Math.min(...limits) : Math.max(...limits));
      }
      return Math.min(desired, limit, maxReplicas);
    }
    if (desired < current) {
      let limit = current; // Disabled
      if (scaleDown.selectPolicy !== 'Disabled') {
        const limits = scaleDown.policies.map((p) => {
          const start = periodStart(p.periodSeconds);
          return p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100));
        });
        // Scaling down, the largest change (Max) is the smallest limit.
        limit = Math.min(current, scaleDown.selectPolicy === 'Min' ? Math.max(...limits) : Math.min(...limits));
      }
      return Math.max(desired, limit, minReplicas);
    }
    return desired;
  }
}

export class Hpa implements Policy {
  readonly name = 'hpa';
  readonly intervalSeconds: number;
  readonly firstDecisionSeconds: number;
  private readonly reconciler: HpaReconciler;

  constructor(
    readonly spec: HpaSpec,
    private readonly metricWindowSeconds: number,
  ) {
    this.intervalSeconds = spec.syncSeconds;
    this.firstDecisionSeconds = spec.syncSeconds;
    this.reconciler = new HpaReconciler(spec);
  }

  decide(o: Observation): Action[] {
    const d = o.deployments.find((x) => x.name === this.spec.deployment);
    if (d === undefined) return [];
    const desired = this.desiredReplicas(d, o.now);
    if (desired === d.replicas) return [];
    this.reconciler.recordScale(d.replicas, desired, o.now);
    return [{ kind: 'scale', deployment: d.name, replicas: desired }];
  }

  /** reconcileAutoscaler: bounds first, then the metric proposal, stabilised and rate-limited. */
  desiredReplicas(d: DeploymentObservation, now: number): number {
    return this.reconciler.desiredReplicas(d.replicas, now, () => proposeReplicas(this.spec, d, now, this.metricWindowSeconds));
  }
}
