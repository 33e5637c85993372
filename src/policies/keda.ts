import { z } from 'zod';
import type { Action, DeploymentObservation, Observation, Policy } from '../control/types.js';
import { externalPerPodReplicas, hpaBehaviorSchema, HpaReconciler } from './hpa.js';

/**
 * KEDA's ScaledObject with one trigger, after kedacore/keda: KEDA itself polls the trigger and
 * moves the target between 0 (or idleReplicaCount) and active (pkg/scaling/scale_handler.go's
 * loop, pkg/scaling/executor/scale_scaledobjects.go RequestScale); the HPA it creates
 * (controllers/keda/hpa.go) scales 1↔N on the trigger's value as an External metric with an
 * AverageValue target, with every HPA rule of ./hpa.ts. Defaults are the ScaledObject API's
 * (apis/keda/v1alpha1) and the executor's (scale_executor.go).
 */
export const kedaSchema = z
  .strictObject({
    name: z.literal('keda'),
    deployment: z.string().describe("The ScaledObject's scale target"),
    metric: z
      .enum(['rps', 'concurrency'])
      .describe(
        'The trigger\'s query. rps: requests per second arriving at the service, averaged over rateWindowSeconds, as a Prometheus trigger on rate(http_requests_total[1m]) reads it; concurrency: the requests in the deployment now (waiting or in service), a gauge summed over its pods',
      ),
    threshold: z.number().positive('expected threshold above 0 (the HPA target per pod)').describe("The trigger's threshold: the HPA's AverageValue target, per pod"),
    activationThreshold: z.number().default(0).describe('The target is active while the value is above this (activationThreshold, default 0)'),
    pollingIntervalSeconds: z.number().int().positive().default(30).describe('How often KEDA polls the trigger for activation (pollingInterval, default 30 s, withtriggers_types.go)'),
    cooldownPeriodSeconds: z.number().int().nonnegative().default(300).describe('Scale to 0 (or idleReplicaCount) only this long after the last active poll (cooldownPeriod, default 300 s, scale_executor.go)'),
    initialCooldownPeriodSeconds: z
      .number()
      .int()
      .nonnegative()
      .default(0)
      .describe('Before any active poll, scale to 0 only this long after the ScaledObject was made, at the run\'s start (initialCooldownPeriod, default 0, scale_executor.go)'),
    minReplicaCount: z.number().int().nonnegative().default(0).describe('minReplicaCount (default 0); the HPA\'s minReplicas is max(this, 1)'),
    maxReplicaCount: z.number().int().positive().default(100).describe('maxReplicaCount (default 100, scaledobject_types.go): the HPA\'s maxReplicas'),
    idleReplicaCount: z.number().int().nonnegative().optional().describe('Replicas while inactive, below minReplicaCount (idleReplicaCount; default: none, inactive goes to minReplicaCount)'),
    rateWindowSeconds: z
      .number()
      .int()
      .positive()
      .default(60)
      .describe('metric "rps": the window of the query\'s rate, seconds (the [1m] of rate(http_requests_total[1m]))'),
    hpaSyncSeconds: z.number().int().positive().default(15).describe("The HPA controller's --horizontal-pod-autoscaler-sync-period (15 s)"),
    tolerance: z.number().nonnegative().default(0.1).describe("The HPA controller's --horizontal-pod-autoscaler-tolerance (0.1)"),
    behavior: hpaBehaviorSchema.describe('advanced.horizontalPodAutoscalerConfig.behavior, passed to the HPA (default: the autoscaling/v2 API\'s, as for the HPA)'),
  })
  .refine((k) => Math.max(k.minReplicaCount, 1) <= k.maxReplicaCount, { message: 'expected minReplicaCount at most maxReplicaCount (CheckReplicaCountBoundsAreValid)', path: ['minReplicaCount'] })
  .refine((k) => k.idleReplicaCount === undefined || k.idleReplicaCount < Math.max(k.minReplicaCount, 1), {
    message: 'expected idleReplicaCount below minReplicaCount (CheckReplicaCountBoundsAreValid)',
    path: ['idleReplicaCount'],
  });

export type KedaSpec = z.infer<typeof kedaSchema>;

const EPSILON = 1e-9;

/** KEDA hands a value to the HPA as a quantity of 3 decimals (scalers/scaler.go quantityFromFloat64), which the HPA reads in milli-units. */
const milli = (value: number) => (Number.isFinite(value) && value > 0 ? Math.round(value * 1000) : 0);

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * The ScaledObject and its HPA as one controller called at every multiple of the greatest common
 * divisor of their periods: the HPA syncs every `hpaSyncSeconds` from then, KEDA polls every
 * `pollingIntervalSeconds` from 0 (its loop checks at once, then waits). When both fall at one
 * instant the HPA syncs first and KEDA's poll reads the scale it wrote; one scale action carries
 * the result.
 */
export class Keda implements Policy {
  readonly name = 'keda';
  readonly intervalSeconds: number;
  readonly firstDecisionSeconds = 0;
  private readonly hpa: HpaReconciler;
  private nextPoll = 0;
  private nextSync: number;
  /** The ScaledObject's status.lastActiveTime: the last poll that found the trigger active. */
  private lastActiveTime: number | null = null;

  constructor(readonly spec: KedaSpec) {
    this.intervalSeconds = gcd(spec.pollingIntervalSeconds, spec.hpaSyncSeconds);
    this.nextSync = spec.hpaSyncSeconds;
    this.hpa = new HpaReconciler({ minReplicas: Math.max(spec.minReplicaCount, 1), maxReplicas: spec.maxReplicaCount, behavior: spec.behavior });
  }

  decide(o: Observation): Action[] {
    const d = o.deployments.find((x) => x.name === this.spec.deployment);
    if (d === undefined) return [];
    let replicas = d.replicas;
    if (o.now >= this.nextSync - EPSILON) {
      while (this.nextSync <= o.now + EPSILON) this.nextSync += this.spec.hpaSyncSeconds;
      const desired = this.hpa.desiredReplicas(replicas, o.now, () => this.hpaProposal(d, o));
      this.hpa.recordScale(replicas, desired, o.now);
      replicas = desired;
    }
    if (o.now >= this.nextPoll - EPSILON) {
      while (this.nextPoll <= o.now + EPSILON) this.nextPoll += this.spec.pollingIntervalSeconds;
      replicas = this.poll(replicas, this.value(d, o), o.now);
    }
    return replicas === d.replicas ? [] : [{ kind: 'scale', deployment: d.name, replicas }];
  }

  /**
   * The trigger's value now. rps: the service's arrivals over the last `rateWindowSeconds` whole
   * seconds divided by the window (seconds before the run count as 0, much as Prometheus' rate()
   * extrapolates little past a series' first sample). The observation counts arrivals at the
   * service, which are the deployment's when it is the service's only one. concurrency: the
   * deployment's requests in flight.
   */
  private value(d: DeploymentObservation, o: Observation): number {
    if (this.spec.metric === 'concurrency') return d.inFlight;
    const arrivals = o.arrivalsPerSecond;
    const window = this.spec.rateWindowSeconds;
    let sum = 0;
    for (let i = Math.max(0, arrivals.length - window); i < arrivals.length; i++) sum += arrivals[i];
    return sum / window;
  }

  /** The HPA's External metric with an AverageValue target, against the pods the scale's status counts (all but terminating ones). */
  private hpaProposal(d: DeploymentObservation, o: Observation): number {
    const statusReplicas = d.pods.filter((p) => p.phase !== 'Terminating').length;
    return externalPerPodReplicas(milli(this.value(d, o)), milli(this.spec.threshold), statusReplicas, this.spec.tolerance);
  }

  /**
   * RequestScale: active (value above activationThreshold) records the time and lifts a target
   * at 0 (or below minReplicaCount in idle mode) to max(minReplicaCount, 1); inactive takes it to
   * idleReplicaCount, else minReplicaCount, once the cooldown since the last active poll has
   * passed (scaleToZeroOrIdle), or lifts it to minReplicaCount when below it.
   */
  private poll(current: number, value: number, now: number): number {
    const { minReplicaCount: min, idleReplicaCount: idle } = this.spec;
    if (value > this.spec.activationThreshold) {
      this.lastActiveTime = now;
      return (idle !== undefined && current < min) || current === 0 ? Math.max(min, 1) : current;
    }
    if ((idle !== undefined && current > idle) || (current > 0 && min === 0)) {
      // The ScaledObject was made at the run's start (time 0).
      const cooled = this.lastActiveTime === null ? this.spec.initialCooldownPeriodSeconds < now : this.lastActiveTime + this.spec.cooldownPeriodSeconds < now;
      return cooled ? (idle ?? min) : current;
    }
    return idle === undefined && current < min ? min : current;
  }
}
