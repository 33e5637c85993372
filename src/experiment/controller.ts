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

interface Sample {
  usage: number;
  rps: number;
  time: number;
  busy: number;
  served: number;
}

/**
 * Runs a policy against the simulated cluster as a real controller would: metrics-server samples
 * each pod's CPU usage (busy lanes × cores per lane, averaged over the scrape interval) and served
 * requests, the controller reads only those samples and the per-second arrival counts, and its
 * actions take effect through the deployments' own mechanisms (scaling, resizing, eviction).
 */
export class Controller implements EventHandler {
  reconfigurations = 0;
  private readonly samples = new Map<Pod, Sample>();
  /** Per-second arrival counts, a ring of the last HISTORY_SECONDS. */
  private readonly arrivals = new Float64Array(HISTORY_SECONDS);
  private seconds = 0;
  private arrivedBefore = 0;

  constructor(
    private readonly sim: Simulator,
    private readonly world: World,
    private readonly metrics: RunMetrics,
    private readonly policy: Policy,
    private readonly scrapeSeconds: number,
    private readonly variantFor: (deployment: Deployment, variant: string) => Variant,
  ) {}

  start(): void {
    this.sim.post(this.scrapeSeconds, this, SCRAPE);
    this.sim.post(1, this, SECOND);
    this.sim.post(this.policy.firstDecisionSeconds, this, DECIDE);
  }

  handleEvent(tag: number): void {
    const now = this.sim.now;
    if (tag === SCRAPE) {
      this.scrape(now);
      this.sim.post(now + this.scrapeSeconds, this, SCRAPE);
    } else if (tag === SECOND) {
      this.arrivals[this.seconds++ % HISTORY_SECONDS] = this.metrics.arrived - this.arrivedBefore;
      this.arrivedBefore = this.metrics.arrived;
      this.sim.post(now + 1, this, SECOND);
    } else {
      for (const action of this.policy.decide(this.observe(now))) this.apply(action);
      this.sim.post(now + this.policy.intervalSeconds, this, DECIDE);
    }
  }

  /** metrics-server: a usage sample per running pod, averaged over the last scrape interval. */
  private scrape(now: number): void {
    for (const d of this.world.deployments.values()) {
      for (const pod of d.pods) {
        if (pod.state !== 'ready' && pod.state !== 'terminating') continue;
        const busy = pod.busySeconds(now);
        const previous = this.samples.get(pod);
        const since = Math.max(previous?.time ?? pod.readyTime, pod.readyTime);
        if (now <= since) continue;
        const coresPerLane = pod.cores / Math.max(1, pod.activeLanes());
        this.samples.set(pod, {
          usage: ((busy - (previous?.busy ?? 0)) / (now - since)) * coresPerLane,
          rps: (pod.served - (previous?.served ?? 0)) / (now - since),
          time: now,
          busy,
          served: pod.served,
        });
      }
    }
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
    const pods = d.pods.map((pod): PodObservation => {
      const sample = this.samples.get(pod);
      return {
        id: pod.id,
        phase: pod.state === 'pending' ? 'Pending' : pod.state === 'terminating' ? 'Terminating' : 'Running',
        ready: pod.state === 'ready',
        startTime: Number.isNaN(pod.startTime) ? null : pod.startTime,
        readyTime: Number.isNaN(pod.readyTime) ? null : pod.readyTime,
        cpuRequestCores: pod.cores,
        cpuUsageCores: sample?.usage ?? null,
        metricTime: sample?.time ?? null,
        requestsPerSecond: sample?.rps ?? null,
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
