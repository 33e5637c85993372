import { z } from 'zod';
import type { Action, DeploymentObservation, Observation, Policy } from '../control/types.js';

/**
 * Knative's Pod Autoscaler (KPA) on concurrency, after knative/serving: the decider
 * (pkg/autoscaler/scaling/autoscaler.go `Scale`, ticked every 2 s and poked from zero by
 * multiscaler.go), its window averages (pkg/autoscaler/aggregation/bucketing.go, 1 s buckets), and
 * the PodAutoscaler reconciler that applies the decision (pkg/reconciler/autoscaling/kpa/kpa.go and
 * scaler.go: scale bounds, scale to zero, the Active condition, the activator in or out of the
 * request path). Defaults are the autoscaler ConfigMap's (pkg/autoscaler/config/config.go
 * `defaultConfig`); ranges are those config.go and pkg/apis/autoscaling/register.go accept.
 */
export const kpaSchema = z
  .strictObject({
    name: z.literal('kpa'),
    deployment: z.string().describe("The revision's deployment: the scale target"),
    targetConcurrency: z
      .number()
      .positive('expected targetConcurrency above 0 (requests in flight per pod)')
      .default(100)
      .describe('Requests in flight per pod to aim at (the autoscaling.knative.dev/target annotation; default container-concurrency-target-default, 100)'),
    targetUtilization: z
      .number()
      .gt(0, 'expected targetUtilization in (0, 1] (container-concurrency-target-percentage in (0, 100])')
      .max(1, 'expected targetUtilization in (0, 1] (container-concurrency-target-percentage in (0, 100])')
      .default(0.7)
      .describe('The fraction of targetConcurrency the decider aims at per pod (container-concurrency-target-percentage, default 70%)'),
    stableWindowSeconds: z
      .number()
      .int('expected stableWindowSeconds in whole seconds (stable-window has second precision)')
      .min(6, 'expected stableWindowSeconds of at least 6 (autoscaling.WindowMin)')
      .max(3600, 'expected stableWindowSeconds of at most 3600 (autoscaling.WindowMax)')
      .default(60)
      .describe('stable-window (default 60 s): the average scaling decisions follow, and how long panic lasts after the last burst'),
    panicWindowPercentage: z
      .number()
      .min(1, 'expected panicWindowPercentage in [1, 100] (autoscaling.PanicWindowPercentageMin/Max)')
      .max(100, 'expected panicWindowPercentage in [1, 100] (autoscaling.PanicWindowPercentageMin/Max)')
      .default(10)
      .describe('panic-window-percentage (default 10%): the panic window as a share of the stable window, rounded to whole seconds (6 s by default)'),
    panicThresholdPercentage: z
      .number()
      .min(110, 'expected panicThresholdPercentage in [110, 1000] (autoscaling.PanicThresholdPercentageMin/Max)')
      .max(1000, 'expected panicThresholdPercentage in [110, 1000] (autoscaling.PanicThresholdPercentageMin/Max)')
      .default(200)
      .describe('panic-threshold-percentage (default 200%): panic starts when the panic window asks for this share of the ready pods'),
    maxScaleUpRate: z.number().gt(1, 'expected maxScaleUpRate above 1 (config.go)').default(1000).describe('max-scale-up-rate (default 1000): at most ceil(rate × ready pods) per decision'),
    maxScaleDownRate: z.number().gt(1, 'expected maxScaleDownRate above 1 (config.go)').default(2).describe('max-scale-down-rate (default 2): at least floor(ready pods / rate) per decision'),
    minScale: z.number().int().nonnegative().default(0).describe('min-scale (default 0): the fewest replicas the reconciler sets'),
    maxScale: z.number().int().nonnegative().default(0).describe('max-scale (default 0: unlimited)'),
    scaleToZeroGraceSeconds: z
      .number()
      .positive('expected scaleToZeroGraceSeconds above 0 (config.go)')
      .default(30)
      .describe('scale-to-zero-grace-period (default 30 s): how long the activator must have been in the request path before the last pod goes'),
    enableScaleToZero: z.boolean().default(true).describe('enable-scale-to-zero (default true); false keeps at least one pod'),
    targetBurstCapacity: z
      .number()
      .refine((x) => x >= 0 || x === -1, 'expected targetBurstCapacity of at least 0, or -1 (unlimited)')
      .default(211)
      .describe('target-burst-capacity (default 211): the activator stays in the request path while ready pods × targetConcurrency − this − the panic concurrency is below 0 (-1: always); it decides how soon a pod may go to zero'),
    tickSeconds: z.number().int().positive().default(2).describe('How often the decider runs (multiscaler.go tickInterval, 2 s); concurrency is sampled every second'),
  })
  .refine((k) => k.maxScale === 0 || k.minScale <= k.maxScale, { message: 'expected minScale at most maxScale (config.go)', path: ['minScale'] });

export type KpaSpec = z.infer<typeof kpaSchema>;

/** autoscaling.TargetMin: the smallest per-pod target the decider uses (pkg/reconciler/autoscaling/resources/target.go). */
const TARGET_MIN = 0.01;

/**
 * How long a PodAutoscaler may stay Activating before it is scaled to 0 anyway: the deployment's
 * progress deadline (600 s, pkg/deployment/config.go ProgressDeadlineDefault) plus
 * activationTimeoutBuffer (30 s, kpa/scaler.go).
 */
const ACTIVATION_TIMEOUT_SECONDS = 630;

const EPSILON = 1e-9;

/**
 * TimedFloat64Buckets (bucketing.go) with 1 s buckets: sums per whole second over a window of
 * `size` seconds. Its average covers only the seconds since the first write (or since data came
 * back after a whole window without any); seconds without a write count as 0 in between, and the
 * trailing seconds after the last write drop out of the average.
 */
class WindowBuckets {
  private readonly buckets: Float64Array;
  private firstWrite = -Infinity;
  private lastWrite = -Infinity;
  private total = 0;

  constructor(private readonly size: number) {
    this.buckets = new Float64Array(size);
  }

  /** Adds `value` to second `second`; seconds only move forward here. */
  record(second: number, value: number): void {
    const n = this.size;
    if (second > this.lastWrite) {
      if (second - this.lastWrite >= n) {
        // A whole window without data: start afresh.
        this.buckets.fill(0);
        this.total = 0;
        this.firstWrite = second;
      } else {
        for (let s = this.lastWrite + 1; s <= second; s++) {
          this.total -= this.buckets[s % n];
          this.buckets[s % n] = 0;
        }
      }
      this.lastWrite = second;
    }
    this.buckets[second % n] += value;
    this.total += value;
  }

  /** No write within the last window (the collector's ErrNoData). */
  isEmpty(second: number): boolean {
    return second - this.lastWrite > this.size;
  }

  windowAverage(second: number): number {
    const n = this.size;
    const gap = second - this.lastWrite;
    const written = this.lastWrite - this.firstWrite + 1;
    if (gap <= 0) return round6(this.total / Math.min(written, n));
    if (gap >= n) return 0;
    let sum = this.total;
    for (let s = this.lastWrite + 1; s <= second; s++) sum -= this.buckets[s % n];
    return round6(sum / Math.min(written, n - gap));
  }
}

/** bucketing.go rounds averages to 6 digits, so a sum of floats never nudges a ceil() up. */
const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** The PodAutoscaler's Active condition: True, Unknown (activating: pods asked for, none ready), False. */
type ActiveStatus = 'active' | 'activating' | 'inactive';

/**
 * The KPA as a controller called every second. Each call is the metric scrape: the deployment's
 * requests in flight, recorded into the stable and panic windows. Knative's queue-proxy reports
 * each pod's concurrency averaged over time, and the activator the requests it buffers; a
 * per-second sample of the deployment's requests in flight (waiting in its queue, as the activator
 * would hold them, or in service) stands in for both. Nothing is recorded while no pod is ready and
 * nothing is in flight, as no scrape happens then. Every `tickSeconds` the decider runs, and at
 * once when a request arrives while its last decision was 0 (the activator's poke); the
 * reconciler follows each decision (Knative runs it when the decision changes and on timers of its
 * own, which a decision every tick covers to within one tick).
 */
export class Kpa implements Policy {
  readonly name = 'kpa';
  readonly intervalSeconds = 1;
  readonly firstDecisionSeconds = 1;
  private readonly stable: WindowBuckets;
  private readonly panic: WindowBuckets;
  /** The per-pod target: targetConcurrency × targetUtilization. */
  private readonly target: number;
  private nextTick: number;
  // The decider's state (autoscaler.go) and status (multiscaler.go: -1 until it first decides).
  private panicTime: number | null = null;
  private maxPanicPods = 0;
  private desiredScale = -1;
  private excessBurstCapacity = 0;
  // The PodAutoscaler's status (kpa.go) and since when the activator has been in the path (null: out of it).
  private status: ActiveStatus | null = null;
  private statusSince = 0;
  private proxySince: number | null = null;

  constructor(readonly spec: KpaSpec) {
    this.stable = new WindowBuckets(spec.stableWindowSeconds);
    // MakeMetric (resources/metric.go): the panic window in whole seconds, at least one bucket.
    this.panic = new WindowBuckets(Math.max(1, Math.round((spec.stableWindowSeconds * spec.panicWindowPercentage) / 100)));
    this.target = Math.max(TARGET_MIN, spec.targetConcurrency * spec.targetUtilization);
    this.nextTick = spec.tickSeconds;
  }

  decide(o: Observation): Action[] {
    const d = o.deployments.find((x) => x.name === this.spec.deployment);
    if (d === undefined) return [];
    const now = o.now;
    if (this.status === null) this.begin(d, now);
    const second = Math.floor(now + EPSILON);
    if (d.readyReplicas > 0 || d.inFlight > 0) {
      this.stable.record(second, d.inFlight);
      this.panic.record(second, d.inFlight);
    }
    const tick = now >= this.nextTick - EPSILON;
    while (this.nextTick <= now + EPSILON) this.nextTick += this.spec.tickSeconds;
    // Poke: a stat with requests in it wakes a decider whose last decision was 0.
    const poke = this.desiredScale === 0 && d.inFlight > 0;
    if (!tick && !poke) return [];
    this.scale(d, now, second);
    return this.reconcile(d, now);
  }

  /** What holds when the autoscaler is created: the state the first observation finds. */
  private begin(d: DeploymentObservation, now: number): void {
    // newAutoscaler: a decider taking over more than one ready pod starts in panic, keeping them
    // until it has a window of data.
    if (d.readyReplicas > 1) this.panicTime = now;
    this.maxPanicPods = d.readyReplicas;
    this.status = d.readyReplicas >= this.minReady() ? 'active' : d.replicas > 0 ? 'activating' : 'inactive';
    this.statusSince = now;
    // kpa.go puts a new revision's activator in the path (Proxy) before the decider has decided.
    this.proxySince = now;
    // createScaler: the burst capacity of the initial scale (here the deployment's replicas).
    const tbc = this.spec.targetBurstCapacity;
    this.excessBurstCapacity = tbc <= 0 ? tbc : d.replicas * this.spec.targetConcurrency - tbc;
  }

  /** autoscaler.go Scale: a decision from the window averages; without data in the stable window, none. */
  private scale(d: DeploymentObservation, now: number, second: number): void {
    if (this.stable.isEmpty(second)) return;
    const spec = this.spec;
    const ready = Math.max(1, d.readyReplicas);
    const stableValue = this.stable.windowAverage(second);
    const panicValue = this.panic.windowAverage(second);
    // The revision is reachable (a route sends it traffic), so scale-downs are bounded too.
    const maxScaleUp = Math.ceil(spec.maxScaleUpRate * ready);
    const maxScaleDown = Math.floor(ready / spec.maxScaleDownRate);
    const stablePods = Math.ceil(stableValue / this.target);
    const panicPods = Math.ceil(panicValue / this.target);
    const clamp = (x: number) => Math.min(Math.max(x, maxScaleDown), maxScaleUp);
    // Panic starts (or is extended) at a decision over the threshold, and ends at the first one
    // under it a whole stable window after the last that was over it.
    if (panicPods / ready >= spec.panicThresholdPercentage / 100) this.panicTime = now;
    else if (this.panicTime !== null && this.panicTime + spec.stableWindowSeconds < now) {
      this.panicTime = null;
      this.maxPanicPods = 0;
    }
    let desired = clamp(stablePods);
    if (this.panicTime !== null) {
      // In panic: the larger of the two, and never below what panic has already asked for.
      desired = Math.max(desired, clamp(panicPods), this.maxPanicPods);
      this.maxPanicPods = desired;
    }
    this.desiredScale = desired;
    const tbc = spec.targetBurstCapacity;
    this.excessBurstCapacity = tbc === 0 ? 0 : tbc > 0 ? Math.floor(d.readyReplicas * spec.targetConcurrency - tbc - panicValue) : -1;
  }

  /** The reconciler (kpa.go ReconcileKind, scaler.go Scale): bounds, scale to zero, the activator, the Active condition. */
  private reconcile(d: DeploymentObservation, now: number): Action[] {
    let want = this.desiredScale;
    let apply = false;
    // Without a decision yet nothing is scaled, unless pods are on their way (Activating).
    if (want >= 0 || this.status === 'activating') [want, apply] = this.scaleToZero(this.bounded(want), now);
    // The activator leaves the path only while pods are wanted and the burst capacity suffices.
    if (want > 0 && this.excessBurstCapacity >= 0) this.proxySince = null;
    else this.proxySince ??= now;
    this.updateActive(want, d.readyReplicas, now);
    return apply && want !== d.replicas ? [{ kind: 'scale', deployment: d.name, replicas: want }] : [];
  }

  /** applyBounds: at least minScale, at most maxScale unless that is 0 (unlimited). */
  private bounded(x: number): number {
    const { minScale, maxScale } = this.spec;
    if (x < minScale) return minScale;
    return maxScale !== 0 && x > maxScale ? maxScale : x;
  }

  /**
   * handleScaleToZero: the scale to set and whether to set it. A decision of 0 first marks an
   * Active autoscaler inactive (once it has been active a whole stable window; until then it holds
   * one pod), and the last pod goes once the activator has backed the revision for the grace
   * period: inactive that long, or in the request path that long already (the fast path). An
   * autoscaler stuck activating goes to 0 after the activation timeout.
   */
  private scaleToZero(desired: number, now: number): [number, boolean] {
    if (desired !== 0) return [desired, true];
    if (!this.spec.enableScaleToZero) return [1, true];
    const since = now - this.statusSince;
    const grace = this.spec.scaleToZeroGraceSeconds;
    switch (this.status) {
      case 'activating':
        return since > ACTIVATION_TIMEOUT_SECONDS ? [0, true] : [-1, false];
      case 'active':
        return since >= this.spec.stableWindowSeconds ? [0, false] : [1, true];
      default: {
        // scale-to-zero-pod-retention-period is 0, so the grace period alone bounds the wait.
        const proxied = this.proxySince === null ? -Infinity : now - this.proxySince;
        return [0, since >= grace || proxied >= grace];
      }
    }
  }

  /** computeActiveCondition: inactive when 0 is wanted; else active once enough pods are ready, activating before. */
  private updateActive(want: number, ready: number, now: number): void {
    let next = this.status as ActiveStatus;
    if (want === 0) next = 'inactive';
    else if (want > 0 || next !== 'inactive') next = ready >= this.minReady() ? 'active' : 'activating';
    if (next !== this.status) {
      this.status = next;
      this.statusSince = now;
    }
  }

  /** activeThreshold: the ready pods that make the autoscaler Active. */
  private minReady(): number {
    return Math.max(this.spec.minScale, 1);
  }
}
