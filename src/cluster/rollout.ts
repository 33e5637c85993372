import type { Strategy } from '../control/types.js';
import type { EventHandler } from '../engine/event-queue.js';
import type { Simulator } from '../engine/simulator.js';
import type { Batcher } from './batcher.js';
import type { Cluster } from './cluster.js';
import type { DeploymentTally } from './deployment-tally.js';
import type { Lane, Pod, Variant } from './pod.js';

/** What new pods of a deployment get; a pod that differs from it is outdated. */
export interface PodTemplate {
  cores: number;
  variant: Variant;
}

/** The pod lifecycle a rollout works through: it lives in the deployment. */
export interface RolloutHost {
  /** Pods not gone yet, oldest first. */
  readonly pods: readonly Pod[];
  /** Desired replicas (what `scaleTo` last set). */
  desired(): number;
  scaleTo(replicas: number): void;
  /** Stops a pod taking work; it finishes what it holds within the grace period, then goes. */
  terminate(pod: Pod): void;
  /** Deletes one pod and starts a replacement from the template. */
  evict(pod: Pod): void;
  /** The queue that feeds the pod's lanes: its own, or the deployment's central one. */
  batcherOf(pod: Pod): Batcher;
  /** A new lane of one of its pods. */
  newLane(pod: Pod, batcher: Batcher): Lane;
  /** An in-place resize of the pod was asked for (true) or is over (false): for a trace of the run. */
  resizing(pod: Pod, resizing: boolean): void;
}

interface PendingResize {
  cores: number;
  evictIfDeferred: boolean;
}

/**
 * How a change of cores or variant reaches a deployment's pods: all at once (recreate), new pods
 * before old ones go (rolling), or each pod resized where it runs (in place), waiting for room on
 * its node when the node cannot fit it.
 */
export class Rollout implements EventHandler {
  /** A rolling update is under way: new pods retire outdated ones as they become ready. */
  private rolling = false;
  /** In-place resizes waiting for their delay, by pod. */
  private readonly pendingResize = new Map<Pod, PendingResize>();

  constructor(
    private readonly sim: Simulator,
    private readonly cluster: Cluster,
    private readonly tally: DeploymentTally,
    /** The deployment's template, shared with it: `reconfigure` changes it. */
    private readonly template: PodTemplate,
    private readonly resizeSeconds: number,
    private readonly host: RolloutHost,
  ) {}

  /**
   * Changes the cores per replica and/or the variant of every pod. recreate: all pods go at once
   * and new ones start (a capacity dip, as a restart causes); rolling: new pods start while the old
   * serve, each ready one retiring an old one (both billed meanwhile); in-place: each pod's cores
   * change after the resize delay, without a restart (cores only).
   */
  reconfigure(change: { cores?: number; variant?: Variant }, strategy: Strategy): void {
    const template = this.template;
    template.cores = change.cores ?? template.cores;
    if (strategy === 'in-place') {
      if (change.variant !== undefined) throw new Error('an in-place change cannot replace the variant');
      for (const pod of this.host.pods) if (pod.state !== 'terminating') this.resizePod(pod, template.cores, false);
      return;
    }
    template.variant = change.variant ?? template.variant;
    const outdated = this.host.pods.filter((p) => p.state !== 'terminating' && this.isOutdated(p));
    if (outdated.length === 0) return;
    if (strategy === 'recreate') for (const pod of outdated) this.host.terminate(pod);
    else {
      this.rolling = true;
      for (const pod of outdated) if (pod.state !== 'ready') this.host.terminate(pod);
    }
    this.host.scaleTo(this.host.desired());
  }

  /**
   * An outdated pod during a rolling update: it serves until a new pod retires it, and no longer
   * counts as a replica, as the new ReplicaSet is what is being scaled.
   */
  isBeingReplaced(pod: Pod): boolean {
    return this.rolling && this.isOutdated(pod);
  }

  /** Make-before-break: during a rolling update each new pod that is ready retires an outdated one. */
  podReady(pod: Pod): void {
    if (!this.rolling || this.isOutdated(pod)) return;
    const pods = this.host.pods;
    const outdated = pods.find((p) => p.state === 'ready' && this.isOutdated(p));
    if (outdated !== undefined) this.host.terminate(outdated);
    this.rolling = pods.some((p) => p.state !== 'terminating' && this.isOutdated(p));
  }

  private isOutdated(pod: Pod): boolean {
    return pod.variant !== this.template.variant || pod.cores !== this.template.cores;
  }

  /**
   * Resizes one pod's cores in place after the resize delay. A resize the node cannot fit waits
   * for room (Kubernetes: Deferred); with `evictIfDeferred`, it evicts the pod instead, as VPA's
   * InPlaceOrRecreate falls back to eviction (after 5 minutes there; at once here).
   */
  resizePod(pod: Pod, cores: number, evictIfDeferred: boolean): void {
    this.pendingResize.set(pod, { cores, evictIfDeferred });
    this.host.resizing(pod, true);
    this.sim.post(this.sim.now + this.resizeSeconds, this, 0, pod);
  }

  /** The resize delay is over (the only event a rollout posts). */
  handleEvent(_tag: number, pod: unknown): void {
    this.applyResize(pod as Pod);
  }

  /** Applies the latest resize asked for the pod; a later one's own event then finds nothing to do. */
  private applyResize(pod: Pod): void {
    const request = this.pendingResize.get(pod);
    this.pendingResize.delete(pod);
    if (request === undefined || pod.state === 'gone' || pod.state === 'terminating' || pod.cores === request.cores) {
      this.host.resizing(pod, false);
      return;
    }
    const extra = request.cores - pod.cores;
    const apply = () => {
      if (pod.state === 'gone' || pod.state === 'terminating' || pod.node === null) return true;
      if (!this.cluster.nodes.resize(pod.node, extra)) return false;
      this.tally.advance(this.sim.now);
      this.tally.allocatedCores += extra;
      pod.cores += extra;
      if (pod.state === 'ready') this.resizeLanes(pod);
      this.host.resizing(pod, false);
      if (extra < 0) this.cluster.retryWaiting();
      return true;
    };
    if (pod.state === 'pending') {
      pod.cores = request.cores;
      this.host.resizing(pod, false);
    } else if (!apply()) {
      if (request.evictIfDeferred) {
        this.host.resizing(pod, false);
        this.host.evict(pod);
      } else this.cluster.wait({ retry: apply });
    }
  }

  /** Matches a ready pod's lanes to its concurrency after a resize; a surplus lane finishes its batch, then retires. */
  private resizeLanes(pod: Pod): void {
    const want = pod.variant.concurrency(pod.cores);
    const batcher = this.host.batcherOf(pod);
    let active = pod.activeLanes();
    for (; active < want; active++) {
      const lane = this.host.newLane(pod, batcher);
      pod.lanes.push(lane);
      this.tally.readyLanes++;
      batcher.offer(lane);
    }
    for (const lane of pod.lanes) {
      if (active <= want) break;
      if (lane.retired) continue;
      lane.retired = true;
      active--;
      this.tally.readyLanes--;
    }
    batcher.dispatch();
  }
}
