import { z } from 'zod';
import type { Action, DeploymentObservation, Observation, Policy } from '../control/types.js';

/**
 * Kubernetes' Vertical Pod Autoscaler for CPU, following kubernetes/autoscaler
 * vertical-pod-autoscaler (recommender: model/aggregations_config.go, util/decaying_histogram.go,
 * logic/estimator.go; updater: priority/, restriction/). Defaults are its own: 1 min recommender and
 * updater loops, 24 h half-life, target p90 × 1.15, bounds p50/p95 with the confidence factor,
 * 25 millicores minimum, updater min-replicas 2, eviction tolerance 0.5, 12 h lifetime before an
 * in-range update of at least 10%. Shorten half-life and lifetime for short experiments.
 */
export const vpaSchema = z
  .strictObject({
    name: z.literal('vpa'),
    deployment: z.string(),
    mode: z.enum(['Off', 'Recreate', 'InPlaceOrRecreate']).default('Recreate').describe('Off: recommend only; Recreate: evict pods, new ones get the target; InPlaceOrRecreate: resize in place, evict if it cannot'),
    minCores: z.number().positive().default(0.025).describe('minAllowed CPU'),
    maxCores: z.number().positive().default(1000).describe('maxAllowed CPU'),
    wholeCores: z.boolean().default(false).describe('Round recommendations up to whole cores (VPA\'s integer-CPU post-processor)'),
    // Periods of at least 0.01 s, the shortest control period (src/engine/limits.ts): shorter ones would spend the run deciding.
    recommenderIntervalSeconds: z.number().min(0.01).default(60).describe('--recommender-interval: a new recommendation from the samples taken so far'),
    updaterIntervalSeconds: z.number().min(0.01).default(60).describe('--updater-interval (or, with applyBy "restart", how often the external loop reads the target)'),
    firstUpdateSeconds: z.number().nonnegative().optional().describe('When the updater first acts (default: one updater interval in)'),
    sampleWeight: z
      .enum(['constant', 'request'])
      .default('constant')
      .describe("A CPU sample's histogram weight: constant 0.1 (minSampleWeight, since 2025), or the pod's request in cores, at least 0.1 (the recommender before commit ca812b36a3, Feb 2025)"),
    halfLifeSeconds: z.number().positive().default(86_400).describe('--cpu-histogram-decay-half-life'),
    targetPercentile: z.number().min(0).max(1).default(0.9),
    lowerBoundPercentile: z.number().min(0).max(1).default(0.5),
    upperBoundPercentile: z.number().min(0).max(1).default(0.95),
    safetyMargin: z.number().nonnegative().default(0.15).describe('--recommendation-margin-fraction'),
    confidenceIntervalSeconds: z.number().positive().default(86_400).describe('--confidence-interval-cpu'),
    minReplicas: z.number().int().nonnegative().default(2).describe('Updater: no updates below this many live replicas'),
    evictionTolerance: z.number().min(0).max(1).default(0.5),
    podLifetimeThresholdSeconds: z.number().nonnegative().default(43_200).describe('--in-recommendation-bounds-eviction-lifetime-threshold'),
    minChangeFraction: z.number().nonnegative().default(0.1).describe('--pod-update-threshold'),
    applyBy: z
      .enum(['updater', 'restart'])
      .default('updater')
      .describe("updater: VPA's own updater evicts or resizes pods; restart: an external loop reads the target and restarts the deployment with it (InfAdapter's VPA baseline)"),
    scaleDownAfter: z
      .number()
      .int()
      .nonnegative()
      .default(0)
      .describe('applyBy "restart": reads of a target at or below the cores in place skipped before it is applied (InfAdapter\'s VPA_TYPE "P": 4)'),
  })
  .refine((v) => v.minCores <= v.maxCores, { message: 'minCores must not exceed maxCores', path: ['minCores'] })
  // The recommender's bounds bracket its target: inverted, the range a pod is left alone in could not hold the target.
  .refine((v) => v.lowerBoundPercentile <= v.targetPercentile, { message: 'expected lowerBoundPercentile at most targetPercentile', path: ['lowerBoundPercentile'] })
  .refine((v) => v.targetPercentile <= v.upperBoundPercentile, { message: 'expected upperBoundPercentile at least targetPercentile', path: ['upperBoundPercentile'] })
  .refine((v) => isMultiple(v.recommenderIntervalSeconds, v.updaterIntervalSeconds) || isMultiple(v.updaterIntervalSeconds, v.recommenderIntervalSeconds), {
    message: 'recommenderIntervalSeconds and updaterIntervalSeconds must be multiples of one another',
    path: ['updaterIntervalSeconds'],
  });

/** Whether `a` is a whole multiple of `b` (to a microsecond). */
function isMultiple(a: number, b: number): boolean {
  const k = Math.round(a / b);
  return k >= 1 && Math.abs(a - k * b) < 1e-6;
}

export type VpaSpec = z.infer<typeof vpaSchema>;

/** aggregations_config.go: CPU buckets start at 0.01 cores, each 5% wider, up to 1000 cores. */
const FIRST_BUCKET = 0.01;
const RATIO = 1.05;
const MAX_CORES = 1000;
/** minSampleWeight: a CPU sample's weight, and its floor when samples are weighted by the request. */
const MIN_SAMPLE_WEIGHT = 0.1;
const EPSILON = 0.001 * 0.1;
const MIN_CPU_CORES = 0.025;

/**
 * An exponential histogram whose samples gain weight 2^((t − reference)/halfLife): newer samples
 * count more, which is old samples decaying. The reference moves forward before weights overflow.
 */
export class DecayingHistogram {
  readonly weights: Float64Array;
  private total = 0;
  private reference = NaN;

  constructor(private readonly halfLife: number) {
    const buckets = Math.ceil(Math.log((MAX_CORES * (RATIO - 1)) / FIRST_BUCKET + 1) / Math.log(RATIO)) + 1;
    this.weights = new Float64Array(buckets);
  }

  static bucketStart(i: number): number {
    return (FIRST_BUCKET * (RATIO ** i - 1)) / (RATIO - 1);
  }

  private bucket(value: number): number {
    if (value < FIRST_BUCKET) return 0;
    const i = Math.floor(Math.log((value * (RATIO - 1)) / FIRST_BUCKET + 1) / Math.log(RATIO));
    return Math.min(i, this.weights.length - 1);
  }

  add(value: number, weight: number, time: number): void {
    if (Number.isNaN(this.reference)) this.reference = Math.floor(time / this.halfLife) * this.halfLife;
    let exponent = (time - this.reference) / this.halfLife;
    if (exponent > 100) {
      // Move the reference to a multiple of the half-life and rescale, as decaying_histogram.go does.
      const shift = Math.floor((time - this.reference) / this.halfLife) * this.halfLife;
      const factor = 2 ** (-shift / this.halfLife);
      for (let i = 0; i < this.weights.length; i++) this.weights[i] *= factor;
      this.total *= factor;
      this.reference += shift;
      exponent = (time - this.reference) / this.halfLife;
    }
    const w = weight * 2 ** exponent;
    this.weights[this.bucket(value)] += w;
    this.total += w;
  }

  /** The end of the bucket where the cumulative weight reaches p of the total (the last bucket: its start). */
  percentile(p: number): number {
    if (this.total < EPSILON) return 0;
    let cumulative = 0;
    for (let i = 0; i < this.weights.length; i++) {
      cumulative += this.weights[i];
      if (cumulative >= p * this.total) return i === this.weights.length - 1 ? DecayingHistogram.bucketStart(i) : DecayingHistogram.bucketStart(i + 1);
    }
    return DecayingHistogram.bucketStart(this.weights.length - 1);
  }
}

export interface Recommendation {
  target: number;
  lowerBound: number;
  upperBound: number;
}

export class Vpa implements Policy {
  readonly name = 'vpa';
  /** The policy runs at the shorter of the recommender and updater loops (one is a multiple of the other). */
  readonly intervalSeconds: number;
  readonly firstDecisionSeconds: number;
  readonly histogram: DecayingHistogram;
  private firstSample = NaN;
  private lastSample = NaN;
  private samples = 0;
  private readonly seen = new Map<number, number>();
  private nextRecommendation: number;
  private nextUpdate: number;
  private applied = NaN;
  private scaleDownVotes = 0;
  recommendation: Recommendation | null = null;

  constructor(readonly spec: VpaSpec) {
    this.histogram = new DecayingHistogram(spec.halfLifeSeconds);
    this.intervalSeconds = Math.min(spec.recommenderIntervalSeconds, spec.updaterIntervalSeconds);
    this.nextRecommendation = spec.recommenderIntervalSeconds;
    this.nextUpdate = spec.firstUpdateSeconds ?? spec.updaterIntervalSeconds;
    this.firstDecisionSeconds = Math.min(this.nextRecommendation, this.nextUpdate);
  }

  decide(o: Observation): Action[] {
    const d = o.deployments.find((x) => x.name === this.spec.deployment);
    if (d === undefined) return [];
    if (o.now + 1e-9 >= this.nextRecommendation) {
      this.nextRecommendation = o.now + this.spec.recommenderIntervalSeconds;
      this.record(d);
      this.recommendation = this.recommend();
    }
    if (o.now + 1e-9 < this.nextUpdate || this.recommendation === null) return [];
    this.nextUpdate = o.now + this.spec.updaterIntervalSeconds;
    if (this.spec.applyBy === 'restart') return this.restart(d, this.recommendation.target);
    if (this.spec.mode === 'Off') return [];
    return this.update(d, o.now, this.recommendation);
  }

  /**
   * An external loop that restarts the deployment with the target (InfAdapter's adapter, main.py):
   * a target at or below the cores in place waits `scaleDownAfter` reads (equal ones count too).
   */
  private restart(d: DeploymentObservation, target: number): Action[] {
    if (target <= d.coresPerReplica && this.scaleDownVotes < this.spec.scaleDownAfter) {
      this.scaleDownVotes++;
      return [];
    }
    this.scaleDownVotes = 0;
    return target === d.coresPerReplica ? [] : [{ kind: 'resize', deployment: d.name, cores: target, strategy: 'rolling' }];
  }

  /** Each new metrics-server sample of a pod's CPU usage goes into the histogram. */
  private record(d: DeploymentObservation): void {
    for (const pod of d.pods) {
      if (pod.cpuUsageCores === null || pod.metricTime === null || this.seen.get(pod.id) === pod.metricTime) continue;
      this.seen.set(pod.id, pod.metricTime);
      const weight = this.spec.sampleWeight === 'request' ? Math.max(pod.cpuRequestCores, MIN_SAMPLE_WEIGHT) : MIN_SAMPLE_WEIGHT;
      this.histogram.add(pod.cpuUsageCores, weight, pod.metricTime);
      if (Number.isNaN(this.firstSample)) this.firstSample = pod.metricTime;
      this.lastSample = Math.max(Number.isNaN(this.lastSample) ? -Infinity : this.lastSample, pod.metricTime);
      this.samples++;
    }
  }

  /** estimator.go: percentiles with the safety margin, bounds widened by the confidence in the history. */
  recommend(): Recommendation | null {
    if (this.samples === 0) return null;
    const s = this.spec;
    const day = s.confidenceIntervalSeconds;
    const confidence = Math.min((this.lastSample - this.firstSample) / day, this.samples / (day / 60));
    const margin = 1 + s.safetyMargin;
    const bound = (v: number) => {
      const floored = Math.max(v, MIN_CPU_CORES);
      const capped = Math.min(Math.max(floored, s.minCores), s.maxCores);
      return s.wholeCores ? Math.min(Math.ceil(capped - 1e-9), Math.max(1, Math.floor(s.maxCores))) : capped;
    };
    return {
      target: bound(this.histogram.percentile(s.targetPercentile) * margin),
      lowerBound: bound(this.histogram.percentile(s.lowerBoundPercentile) * margin * (1 + 0.001 / confidence) ** -2),
      upperBound: bound(this.histogram.percentile(s.upperBoundPercentile) * margin * (1 + 1 / confidence)),
    };
  }

  /** The updater: which pods to update this round, within the disruption budget. */
  private update(d: DeploymentObservation, now: number, r: Recommendation): Action[] {
    const s = this.spec;
    const actions: Action[] = [];
    // New pods get the target (the admission controller).
    if (r.target !== this.applied) {
      this.applied = r.target;
      actions.push({ kind: 'template', deployment: d.name, cores: r.target });
    }
    const running = d.pods.filter((p) => p.phase === 'Running');
    if (running.length < s.minReplicas) return actions;
    const candidates = running
      .map((p) => {
        const request = p.cpuRequestCores;
        const outside = request < r.lowerBound || request > r.upperBound;
        const diff = Math.abs(request - r.target) / request;
        const old = p.startTime !== null && now - p.startTime >= s.podLifetimeThresholdSeconds;
        return { pod: p, outside, diff, eligible: request !== r.target && (outside || (old && diff >= s.minChangeFraction)) };
      })
      .filter((c) => c.eligible)
      .sort((a, b) => Number(b.outside) - Number(a.outside) || b.diff - a.diff);
    // Disruption budget (pods_restriction_factory.go): at most trunc(replicas × tolerance) at once, and at least one.
    const tolerance = Math.trunc(d.replicas * s.evictionTolerance);
    let disrupted = 0;
    for (const c of candidates) {
      const allowed = running.length - disrupted > d.replicas - tolerance || (running.length === d.replicas && tolerance === 0 && disrupted === 0);
      if (!allowed) break;
      disrupted++;
      actions.push(
        s.mode === 'Recreate'
          ? { kind: 'evict', deployment: d.name, pod: c.pod.id }
          : { kind: 'resize-pod', deployment: d.name, pod: c.pod.id, cores: r.target, evictIfDeferred: true },
      );
    }
    return actions;
  }
}
