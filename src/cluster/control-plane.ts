import type { Action, DeploymentObservation, Observation, PodObservation } from '../control/types.js';
import { ArrivalHistory } from '../control/arrival-history.js';
import type { Clock, ControlPlane } from '../control/loop.js';
import type { EventHandler } from '../engine/event-queue.js';
import type { Simulator } from '../engine/simulator.js';
import type { Deployment } from './deployment.js';
import type { Pod, Variant } from './pod.js';
import type { Service } from './service.js';

const SCRAPE = 1;
const SECOND = 2;
const TASK = 3;

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

/** Defines `key` on `target` as a value computed when first read (then kept), enumerable like a plain field. */
function lazyField<T extends object, K extends keyof T>(target: T, key: K, compute: () => T[K]): void {
  Object.defineProperty(target, key, {
    enumerable: true,
    configurable: true,
    get() {
      const value = compute();
      Object.defineProperty(target, key, { value, enumerable: true, configurable: true, writable: true });
      return value;
    },
  });
}

/**
 * The simulated cluster as a controller sees it and acts on it. metrics-server scrapes every
 * `scrapeSeconds` (its --metric-resolution), on a grid offset by `scrapeOffsetSeconds` from time 0
 * (controllers sync at multiples of their interval), each running container's cumulative CPU usage
 * and completions; a pod's sample is the mean over the window between its last two points, stamped
 * with the later scrape's time, so at a sync it is 0 to one resolution old. Observations hold only
 * those samples and the per-second arrival counts; actions take effect through the deployments'
 * own mechanisms (scaling, resizing, eviction) and the stages' weights.
 */
export class SimulatedControlPlane implements ControlPlane, EventHandler, Clock {
  private points = new Map<Pod, Point>();
  private samples = new Map<Pod, Sample>();
  private readonly arrivals = new ArrivalHistory();
  /** The smallest remaining budget of the requests that reached the first stage, per second. */
  private readonly budgets = new ArrivalHistory(true);
  /** Whole seconds whose arrivals have been counted. */
  private closedSeconds = 0;
  private arrivedBefore = 0;
  private nextScrapeTime = NaN;
  private lastScrapeTime = NaN;

  constructor(
    private readonly sim: Simulator,
    private readonly deployments: Map<string, Deployment>,
    private readonly service: Service,
    /** Requests that have reached the service so far. */
    private readonly arrived: () => number,
    private readonly scrapeSeconds: number,
    /** A deployment's variant by name, for `replace`. */
    private readonly variantFor: (deployment: Deployment, variant: string) => Variant,
    /** Default half a resolution: the spec's default (src/experiment/spec.ts, metricsServer.scrapeOffsetSeconds). */
    private readonly scrapeOffsetSeconds = scrapeSeconds / 2,
  ) {}

  /** Starts metrics-server and the per-second arrival counts; call before the control loop starts. */
  start(): void {
    // After whatever the service already does at entry (a co-located client's CPU).
    const before = this.service.onEntry;
    this.service.onEntry = (request, now) => {
      before?.(request, now);
      this.budgets.record(Math.floor(now), request.deadline - now);
    };
    this.nextScrapeTime = this.scrapeOffsetSeconds;
    this.sim.post(this.nextScrapeTime, this, SCRAPE);
    this.sim.post(1, this, SECOND);
  }

  // The control loop's clock: simulated time.
  now(): number {
    return this.sim.now;
  }

  at(at: number, task: () => void): void {
    this.sim.post(at, this, TASK, task);
  }

  handleEvent(tag: number, data: unknown): void {
    const now = this.sim.now;
    if (tag === SCRAPE) {
      this.scrape(now);
      this.nextScrapeTime = now + this.scrapeSeconds;
      this.sim.post(this.nextScrapeTime, this, SCRAPE);
    } else if (tag === SECOND) {
      this.arrivals.record(this.closedSeconds++, this.arrived() - this.arrivedBefore);
      this.arrivedBefore = this.arrived();
      this.sim.post(now + 1, this, SECOND);
    } else (data as () => void)();
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
    for (const d of this.deployments.values()) {
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
    // A scrape due at this very instant comes first, whatever order the two events were posted in.
    if (now === this.nextScrapeTime) this.scrape(now);
    const ended = this.closedSeconds;
    const observation = { now, deployments: [...this.deployments.values()].map((d) => this.observeDeployment(d)) } as Observation;
    // The hour of history is copied on first read only: a policy that looks in every 0.5 s and
    // decides every 30 s reads it at one look in sixty (copying it at every look was most of a
    // long InfAdapter run). Read during `decide`, it is the history as of this observation.
    lazyField(observation, 'arrivalsPerSecond', () => this.arrivals.history(ended));
    lazyField(observation, 'budgetPerSecond', () => this.budgets.history(ended));
    return observation;
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
      inFlight: d.inFlightCount(),
    };
  }

  apply(action: Action): boolean {
    if (action.kind === 'weights') {
      this.service.setWeights(action.stage, action.weights);
      return true;
    }
    const d = this.deployments.get(action.deployment);
    if (d === undefined) return false;
    const pod = 'pod' in action ? d.pods.find((p) => p.id === action.pod) : undefined;
    switch (action.kind) {
      case 'scale':
        if (action.replicas === d.desired()) return false;
        d.scaleTo(Math.max(0, Math.round(action.replicas)));
        break;
      case 'resize':
        if (action.cores === d.templateCores()) return false;
        d.reconfigure({ cores: action.cores }, action.strategy);
        break;
      case 'replace':
        if (action.variant === d.variantName()) return false;
        d.reconfigure({ variant: this.variantFor(d, action.variant) }, action.strategy);
        break;
      case 'template':
        d.setTemplateCores(action.cores);
        return false;
      case 'evict':
        if (pod === undefined) return false;
        d.evict(pod);
        break;
      case 'resize-pod':
        if (pod === undefined) return false;
        d.resizePod(pod, action.cores, action.evictIfDeferred);
        break;
      case 'batch':
        d.setBatching(action.maxBatch, action.maxWaitSeconds);
        break;
    }
    return true;
  }
}
