import type { Deployment } from '../cluster/deployment.js';
import type { Pod, Variant } from '../cluster/pod.js';
import type { EventHandler } from '../engine/event-queue.js';
import type { Simulator } from '../engine/simulator.js';
import type { RunMetrics } from '../metrics/run-metrics.js';
import type { Action, DeploymentObservation, Observation, Policy, PodObservation } from '../policies/types.js';
import type { World } from './build.js';

const SCRAPE = 1;
const SECOND = 2;
const DECIDE = 3;

/** Seconds of per-second arrival counts a controller can look back on (InfAdapter reads 10 minutes). */
const HISTORY_SECONDS = 3600;

/**
 * A container seen for the first time gets a usage sample from its start when it started at least
 * this long (and less than one resolution) before the scrape; otherwise its first sample waits for
 * the next scrape. kubernetes-sigs/metrics-server pkg/storage/pod.go, freshContainerMinMetricsResolution.
 */
const FRESH_CONTAINER_MIN_SECONDS = 10;

/** What metrics-server keeps of a pod from one scrape: cumulative CPU and completions. */
interface Point {
  time: number;
  cpuSeconds: number;
  served: number;
}

/** The pod metrics metrics-server serves: the rates between its last two points. */
interface Sample {
  usageCores: number;
  requestsPerSecond: number | null;
  time: number;
  windowSeconds: number;
}

/**
 * When a pod's container started running: placement plus `containerStartSeconds` (image pull,
 * container creation; the pod is Pending meanwhile), or at once for pods created ready. NaN
 * while it is not placed.
 */
function containerStartTime(pod: Pod, d: Deployment): number {
  if (Number.isNaN(pod.startTime)) return NaN;
  const running = pod.startTime + d.spec.lifecycle.containerStartSeconds;
  return Number.isNaN(pod.readyTime) ? running : Math.min(running, pod.readyTime);
}

/**
 * Runs a policy against the simulated cluster as a real controller would. metrics-server scrapes
 * every `scrapeSeconds` (its --metric-resolution), on a grid offset by `scrapeOffsetSeconds` from
 * time 0 (the controller syncs at multiples of its interval), each running container's cumulative
 * CPU usage and completions; a pod's sample is the mean over the window between its last two
 * points, stamped with the later scrape's time, so at a sync it is 0 to one resolution old. The
 * controller reads only those samples and the per-second arrival counts, and its actions take
 * effect through the deployments' own mechanisms (scaling, resizing, eviction).
 */
export class Controller implements EventHandler {
  reconfigurations = 0;
  private points = new Map<Pod, Point>();
  private samples = new Map<Pod, Sample>();
  /** Per-second arrival counts, a ring of the last HISTORY_SECONDS. */
  private readonly arrivals = new Float64Array(HISTORY_SECONDS);
  private seconds = 0;
  private arrivedBefore = 0;
  private nextScrapeTime = NaN;
  private lastScrapeTime = NaN;

  constructor(
    private readonly sim: Simulator,
    private readonly world: World,
    private readonly metrics: RunMetrics,
    private readonly policy: Policy,
    private readonly scrapeSeconds: number,
    private readonly variantFor: (deployment: Deployment, variant: string) => Variant,
    /** Default half a resolution: the spec's default (src/experiment/spec.ts, metricsServer.scrapeOffsetSeconds). */
    private readonly scrapeOffsetSeconds = scrapeSeconds / 2,
  ) {}

  start(): void {
    this.nextScrapeTime = this.scrapeOffsetSeconds;
    this.sim.post(this.nextScrapeTime, this, SCRAPE);
    this.sim.post(1, this, SECOND);
    this.sim.post(this.policy.firstDecisionSeconds, this, DECIDE);
  }

  handleEvent(tag: number): void {
    const now = this.sim.now;
    if (tag === SCRAPE) {
      this.scrape(now);
      this.nextScrapeTime = now + this.scrapeSeconds;
      this.sim.post(this.nextScrapeTime, this, SCRAPE);
    } else if (tag === SECOND) {
      this.arrivals[this.seconds++ % HISTORY_SECONDS] = this.metrics.arrived - this.arrivedBefore;
      this.arrivedBefore = this.metrics.arrived;
      this.sim.post(now + 1, this, SECOND);
    } else {
      // A scrape due at this very instant comes first, whatever order the two events were posted in.
      if (now === this.nextScrapeTime) this.scrape(now);
      for (const action of this.policy.decide(this.observe(now))) this.apply(action);
      this.sim.post(now + this.policy.intervalSeconds, this, DECIDE);
    }
  }

  /**
   * One metrics-server scrape (kubernetes-sigs/metrics-server pkg/storage/pod.go, types.go): a
   * point per running container; a pod has a sample when a point from the previous scrape exists,
   * or when its container started 10 s to one resolution ago (then the window starts at the
   * container's start, from zero). Pods no longer running drop out. Usage is the kubelet's
   * cumulative CPU, which here is only the batches served (busy lanes at their cores): the CPU of
   * container start, model load and warm-up is not modelled, so a starting pod reports 0.
   * Completions per second (the "rps" Pods metric) come from the serving process, which reports
   * them once it has been ready.
   */
  private scrape(now: number): void {
    if (now === this.lastScrapeTime) return;
    this.lastScrapeTime = now;
    const points = new Map<Pod, Point>();
    const samples = new Map<Pod, Sample>();
    for (const d of this.world.deployments.values()) {
      for (const pod of d.pods) {
        const started = containerStartTime(pod, d);
        if (!(started <= now)) continue;
        const point: Point = { time: now, cpuSeconds: pod.cpuSeconds(now), served: pod.served };
        points.set(pod, point);
        const age = now - started;
        const fresh = age >= FRESH_CONTAINER_MIN_SECONDS && age < this.scrapeSeconds;
        const previous = fresh ? { time: started, cpuSeconds: 0, served: 0 } : this.points.get(pod);
        if (previous === undefined || now <= previous.time) continue;
        const windowSeconds = now - previous.time;
        samples.set(pod, {
          usageCores: (point.cpuSeconds - previous.cpuSeconds) / windowSeconds,
          requestsPerSecond: Number.isNaN(pod.readyTime) ? null : (point.served - previous.served) / windowSeconds,
          time: now,
          windowSeconds,
        });
      }
    }
    this.points = points;
    this.samples = samples;
  }

  observe(now: number): Observation {
    return {
      now,
      arrivalsPerSecond: this.history(),
      deployments: [...this.world.deployments.values()].map((d) => this.observeDeployment(d)),
    };
  }

  /** The arrival counts seen so far (at most the last hour), oldest first. */
  private history(): number[] {
    const n = Math.min(this.seconds, HISTORY_SECONDS);
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = this.arrivals[(this.seconds - n + i) % HISTORY_SECONDS];
    return out;
  }

  private observeDeployment(d: Deployment): DeploymentObservation {
    const now = this.sim.now;
    const pods = d.pods.map((pod): PodObservation => {
      const sample = this.samples.get(pod);
      return {
        id: pod.id,
        phase: pod.state === 'terminating' ? 'Terminating' : containerStartTime(pod, d) <= now ? 'Running' : 'Pending',
        ready: pod.state === 'ready',
        startTime: Number.isNaN(pod.startTime) ? null : pod.startTime,
        readyTime: Number.isNaN(pod.readyTime) ? null : pod.readyTime,
        cpuRequestCores: pod.cores,
        cpuUsageCores: sample?.usageCores ?? null,
        metricTime: sample?.time ?? null,
        metricWindowSeconds: sample?.windowSeconds ?? null,
        requestsPerSecond: sample?.requestsPerSecond ?? null,
      };
    });
    return {
      name: d.name,
      replicas: d.desired(),
      readyReplicas: d.readyReplicaCount(),
      coresPerReplica: d.templateCores(),
      variant: d.variantName(),
      accuracy: d.accuracy,
      pods,
      queueLength: d.queueLength(),
    };
  }

  private apply(action: Action): void {
    if (action.kind === 'weights') {
      this.world.service.setWeights(action.stage, action.weights);
      this.reconfigurations++;
      return;
    }
    const d = this.world.deployments.get(action.deployment);
    if (d === undefined) return;
    const pod = 'pod' in action ? d.pods.find((p) => p.id === action.pod) : undefined;
    switch (action.kind) {
      case 'scale':
        if (action.replicas === d.desired()) return;
        d.scaleTo(Math.max(0, Math.round(action.replicas)));
        break;
      case 'resize':
        if (action.cores === d.templateCores()) return;
        d.reconfigure({ cores: action.cores }, action.strategy);
        break;
      case 'replace':
        if (action.variant === d.variantName()) return;
        d.reconfigure({ variant: this.variantFor(d, action.variant) }, action.strategy);
        break;
      case 'template':
        d.setTemplateCores(action.cores);
        return;
      case 'evict':
        if (pod === undefined) return;
        d.evict(pod);
        break;
      case 'resize-pod':
        if (pod === undefined) return;
        d.resizePod(pod, action.cores, action.evictIfDeferred);
        break;
      case 'batch':
        d.setBatching(action.maxBatch, action.maxWaitSeconds);
        break;
    }
    this.reconfigurations++;
  }
}
