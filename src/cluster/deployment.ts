import type { Strategy } from '../control/types.js';
import type { EventHandler } from '../engine/event-queue.js';
import type { RandomStreams, Uniform } from '../engine/random.js';
import type { Simulator } from '../engine/simulator.js';
import type { DeploymentMetrics, DeploymentView } from '../metrics/run-metrics.js';
import type { Request } from '../workload/request.js';
import { Batcher, type BatchHost, type BatchPolicy } from './batcher.js';
import type { Cluster } from './cluster.js';
import { DeploymentTally } from './deployment-tally.js';
import type { CpuJobOwner } from './node-cpu.js';
import type { ResourceRequest } from './nodes.js';
import { Lane, Pod, type Variant } from './pod.js';
import { createRequestQueue } from './request-queue.js';
import { Rollout, type PodTemplate } from './rollout.js';
import { ReadyReplicas } from './ready-replicas.js';
import type { DeploymentSpec } from './schema.js';
import type { ClusterTracer } from './tracer.js';

const isReadyPod = (pod: Pod) => pod.state === 'ready';
const podOutstanding = (pod: Pod) => pod.outstanding();

/**
 * The default bound on requests waiting in one deployment (spec `overload.maxQueuedPerDeployment`).
 * A waiting request holds about 155 bytes of heap, its `Request` and its slot in the queue's ring
 * buffer (heapUsed after a full GC under `node --expose-gc`, 1 and 3 million requests queued behind
 * one busy pod: 152.6 and 155.2 bytes each), and about 290 bytes of resident memory with the
 * collector's headroom (peak RSS of runs holding 1, 2 and 4 million). Node's default heap limit on
 * a 64-bit machine is about 4 GiB (4144 MiB on a 24 GiB machine), which some 27 million waiting
 * requests fill; 2 million, about 310 MB, leaves room for several overloaded deployments at once.
 */
export const DEFAULT_MAX_QUEUED_PER_DEPLOYMENT = 2_000_000;

/**
 * What a deployment does when `overload.maxQueuedPerDeployment` requests wait in it: drop each
 * further one that would wait (counted with the dropped), or call `stop`, which ends the run.
 */
export interface OverloadRule {
  maxQueued: number;
  action: 'stop' | 'drop';
  stop: (deployment: Deployment) => never;
}

const READY = 1;
const DONE = 2;
const GRACE_OVER = 3;

/** Where a deployment sends requests it has finished or dropped. */
export interface StageExit {
  done(request: Request, deployment: Deployment): void;
  dropped(request: Request, deployment: Deployment, reason: string): void;
}

/**
 * A deployment of one model variant: pods placed on nodes, each with `concurrency` lanes, fed by
 * one central queue or by a queue per pod behind a router. It changes only through the actions
 * a controller can take (`scaleTo`, `reconfigure`, …). Here: request flow and the pod lifecycle;
 * how a change of cores or variant reaches the pods is its `Rollout`'s, and the time integrals
 * the metrics read are its `DeploymentTally`'s.
 */
export class Deployment implements EventHandler, DeploymentView, BatchHost, CpuJobOwner {
  readonly name: string;
  readonly metrics: DeploymentMetrics;
  exit: StageExit | null = null;
  /** Hears of pod state changes and batches when the run is traced; null (the default) costs a test as each batch starts and ends. */
  tracer: ClusterTracer | null = null;
  /** Where this deployment sits in the service that routes to it (set by the service). */
  stageIndex = -1;
  variantIndex = -1;
  /** Pods not gone yet, oldest first. */
  readonly pods: Pod[] = [];
  private readonly central: Batcher | null;
  private readonly policy: BatchPolicy;
  private readonly queueLimit: number;
  /** The waiting room: the smaller of `queueLimit` and the overload bound, one test on the hot path for both. */
  private waitingRoom: number;
  private overload: OverloadRule | null = null;
  /** The CPU limit as a multiple of the request (Infinity: none, so pods may use their node's unrequested cores). */
  private readonly cpuLimitPerRequest: number;
  private readonly routeUniform: Uniform;
  private nextPodId = 0;
  private roundRobin = 0;
  /** The ready pods, indexed for routing (and counted) without a scan. */
  private readonly readyPods: ReadyReplicas<Pod>;
  /** Requests in service on its lanes (with the tally's queued: its in-flight count). */
  private inService = 0;
  /** What new pods get (the rollout changes it). */
  private readonly template: PodTemplate;
  private readonly rollout: Rollout;
  private desiredReplicas: number;
  /** The counts the metrics integrate over time, advanced at every change. */
  private readonly tally = new DeploymentTally();

  constructor(
    private readonly sim: Simulator,
    private readonly cluster: Cluster,
    readonly spec: DeploymentSpec,
    variant: Variant,
    streams: RandomStreams,
    track: (view: DeploymentView) => DeploymentMetrics,
  ) {
    this.name = spec.name;
    this.template = { cores: spec.cores, variant };
    this.desiredReplicas = spec.replicas;
    this.routeUniform = streams.uniform(`route:${spec.name}`);
    this.policy = {
      maxBatch: spec.batching?.maxBatch ?? 1,
      maxWaitSeconds: spec.batching?.maxWaitSeconds ?? 0,
      dropAfterSeconds: spec.dropAfterSeconds ?? Infinity,
      dropAfterFromRequest: spec.dropAfterFrom === 'request',
      dropLate: spec.dropLate,
    };
    this.queueLimit = spec.queueLimit ?? Infinity;
    this.waitingRoom = this.queueLimit;
    this.cpuLimitPerRequest = spec.cpuLimitCores === undefined ? Infinity : spec.cpuLimitCores / spec.cores;
    this.central = spec.queue === 'central' ? this.newBatcher(null) : null;
    this.readyPods = new ReadyReplicas(this.pods, isReadyPod, podOutstanding, this.central === null && spec.router === 'least-outstanding');
    this.metrics = track(this);
    // The pod lifecycle the rollout works through; closures keep `terminate` out of the public API.
    this.rollout = new Rollout(sim, cluster, this.tally, this.template, spec.lifecycle.resizeSeconds, {
      pods: this.pods,
      desired: () => this.desiredReplicas,
      scaleTo: (replicas) => this.scaleTo(replicas),
      terminate: (pod) => this.terminate(pod),
      evict: (pod) => this.evict(pod),
      batcherOf: (pod) => (pod.batcher ?? this.central) as Batcher,
      newLane: (pod, batcher) => new Lane(pod, batcher, this),
      resizing: (pod, resizing) => this.tracer?.podResizing(this, pod, resizing, this.sim.now),
    });
    for (let i = 0; i < spec.replicas; i++) this.addPod(spec.lifecycle.initialReady);
  }

  get accuracy(): number | null {
    return this.template.variant.accuracy;
  }

  // ----- requests -----

  /** A request arrives at this deployment. */
  accept(request: Request): void {
    this.metrics.onArrival();
    if (this.central !== null) return this.enqueue(this.central, request);
    const pod = this.pickPod();
    if (pod === null) return this.drop(request, 'no ready replica');
    this.enqueue(pod.batcher as Batcher, request);
    this.readyPods.changed(pod);
  }

  /** A ready pod by the router, as `pickReplica` would pick it from `pods` (null when none is ready). */
  private pickPod(): Pod | null {
    const ready = this.readyPods;
    const turn = this.roundRobin++;
    if (this.spec.router === 'least-outstanding') return ready.least();
    const n = ready.count();
    if (n === 0) return null;
    return ready.at(this.spec.router === 'random' ? Math.floor(this.routeUniform() * n) : turn % n);
  }

  /** Bounds the requests that may wait here (see `OverloadRule`); without a rule, none. */
  limitQueue(rule: OverloadRule): void {
    this.overload = rule;
    this.waitingRoom = Math.min(this.queueLimit, rule.maxQueued);
  }

  /**
   * `queueLimit` bounds the requests waiting (not in service) over the whole deployment, all its
   * queues together: an arrival that would have to wait when that many already wait is dropped;
   * one that starts at once on a free lane is served whatever the count (0: a loss system). The
   * overload bound counts the same way; where it is the smaller, reaching it stops the run or
   * drops, as its rule says.
   */
  private enqueue(batcher: Batcher, request: Request): void {
    const tally = this.tally;
    if (tally.queued >= this.waitingRoom) {
      batcher.dropStaleHeads();
      if (tally.queued >= this.waitingRoom && !batcher.startsNow()) {
        if (tally.queued >= this.queueLimit) return this.drop(request, 'queue full');
        const overload = this.overload as OverloadRule;
        if (overload.action === 'drop') return this.drop(request, 'overload');
        overload.stop(this);
      }
    }
    tally.advance(this.sim.now);
    tally.queued++;
    batcher.enqueue(request);
  }

  serve(lane: Lane): void {
    const now = this.sim.now;
    const tally = this.tally;
    tally.advance(now);
    const { batch, size } = lane;
    tally.queued -= size;
    tally.busyLanes++;
    this.inService += size;
    lane.busy = true;
    for (let i = 0; i < size; i++) {
      const request = batch[i];
      request.startTime = now;
      request.waitSeconds += now - request.stageArrival;
    }
    const pod = lane.pod;
    const wakeUp = now > lane.freeSince ? this.spec.wakeUpSeconds : 0;
    const cpu = pod.node?.cpu;
    if (cpu != null) {
      // A shared node: the batch's work at full speed on its threads, done as fast as the node's scheduler lets it.
      const threads = this.spec.threads ?? Math.ceil(pod.cores - 1e-9);
      lane.demand = threads / pod.activeLanes();
      lane.remaining = pod.variant.serviceTime(size, threads) + wakeUp;
      cpu.start(lane);
      if (this.tracer !== null) this.tracer.batchStart(this, lane, now);
      return;
    }
    // The batch runs on the cores the pod may use now (more than its request if it may burst);
    // each busy lane uses an equal part of them, as the usage metrics-server reports.
    const cores = pod.batchCores();
    lane.cores = cores / pod.activeLanes();
    pod.cpuChange(now, lane.cores);
    this.sim.post(now + pod.variant.serviceTime(size, cores) + wakeUp, this, DONE, lane);
    if (this.tracer !== null) this.tracer.batchStart(this, lane, now);
  }

  drop(request: Request, reason: string, from?: Batcher): void {
    if (reason === 'stale' || reason === 'late') {
      this.tally.advance(this.sim.now);
      this.tally.queued--;
      if (from?.pod != null) this.readyPods.changed(from.pod);
    }
    this.metrics.onDrop();
    this.exit?.dropped(request, this, reason);
  }

  handleEvent(tag: number, data: unknown): void {
    switch (tag) {
      case DONE:
        return this.finishBatch(data as Lane);
      case READY:
        return this.podReady(data as Pod);
      case GRACE_OVER:
        return this.graceOver(data as Pod);
    }
  }

  /** A shared node's cores have done a batch's work. */
  cpuJobDone(lane: Lane): void {
    this.finishBatch(lane);
  }

  private finishBatch(lane: Lane): void {
    const now = this.sim.now;
    if (this.tracer !== null) this.tracer.batchEnd(this, lane, now, false);
    this.tally.advance(now);
    this.tally.busyLanes--;
    lane.busy = false;
    lane.freeSince = now;
    const pod = lane.pod;
    const { batch, size } = lane;
    lane.size = 0;
    this.inService -= size;
    pod.served += size;
    if (pod.node?.cpu == null) pod.cpuChange(now, -lane.cores);
    for (let i = 0; i < size; i++) {
      const request = batch[i];
      this.metrics.onComplete(request, now);
      this.exit?.done(request, this);
    }
    if (lane.retired) {
      // retired lanes take no more work
    } else if (pod.state === 'ready' || (pod.state === 'terminating' && pod.batcher !== null)) lane.batcher.offer(lane);
    if (pod.state === 'terminating') this.maybeGone(pod);
    lane.batcher.dispatch();
    this.readyPods.changed(pod);
  }

  // ----- pods -----

  private newBatcher(pod: Pod | null): Batcher {
    return new Batcher(this.sim, createRequestQueue(this.spec.discipline), this.policy, this, pod);
  }

  private resources(cores: number): ResourceRequest {
    return { cores, memoryGiB: this.spec.memoryGiB, gpus: this.spec.gpus, gpuType: this.spec.gpuType, burstable: this.cpuLimitPerRequest > 1 };
  }

  private addPod(readyNow: boolean): Pod {
    const pod = new Pod(this.nextPodId++, this.template.cores, this.template.variant, this.sim.now, this.cpuLimitPerRequest);
    this.pods.push(pod);
    this.tracer?.podState(this, pod, this.sim.now);
    const lifecycle = this.spec.lifecycle;
    this.cluster.place(pod, this.resources(pod.cores), this.spec.nodePool, () => {
      this.tally.advance(this.sim.now);
      pod.state = 'starting';
      pod.startTime = this.sim.now;
      this.tally.allocatedCores += pod.cores;
      this.tracer?.podState(this, pod, this.sim.now);
      const startup = readyNow ? 0 : lifecycle.containerStartSeconds + lifecycle.modelLoadSeconds + lifecycle.warmupSeconds;
      if (startup === 0) this.podReady(pod);
      else this.sim.post(this.sim.now + startup, this, READY, pod);
    });
    return pod;
  }

  private podReady(pod: Pod): void {
    if (pod.state !== 'starting') return;
    this.tally.advance(this.sim.now);
    pod.state = 'ready';
    pod.readyTime = this.sim.now;
    this.readyPods.invalidate();
    this.tracer?.podState(this, pod, this.sim.now);
    const batcher = this.central ?? (pod.batcher = this.newBatcher(pod));
    const lanes = pod.variant.concurrency(pod.cores);
    for (let i = 0; i < lanes; i++) pod.lanes.push(new Lane(pod, batcher, this));
    this.tally.readyLanes += lanes;
    for (const lane of pod.lanes) batcher.offer(lane);
    this.rollout.podReady(pod);
    batcher.dispatch();
  }

  /** Stops a pod taking work; it finishes what it holds within the grace period, then goes. */
  private terminate(pod: Pod): void {
    this.tally.advance(this.sim.now);
    if (pod.state === 'pending') {
      pod.state = 'gone';
      this.pods.splice(this.pods.indexOf(pod), 1);
      this.tracer?.podState(this, pod, this.sim.now);
      return;
    }
    if (pod.state === 'ready') this.tally.readyLanes -= pod.activeLanes();
    pod.state = 'terminating';
    this.readyPods.invalidate();
    this.tracer?.podState(this, pod, this.sim.now);
    this.central?.withdraw(pod);
    this.maybeGone(pod);
    if (pod.state === 'terminating') this.sim.post(this.sim.now + this.spec.lifecycle.terminationGraceSeconds, this, GRACE_OVER, pod);
  }

  private maybeGone(pod: Pod): void {
    if (pod.busyLanes() > 0 || (pod.batcher !== null && pod.batcher.queue.length > 0)) return;
    this.tally.advance(this.sim.now);
    pod.state = 'gone';
    this.tally.allocatedCores -= pod.cores;
    this.pods.splice(this.pods.indexOf(pod), 1);
    this.tracer?.podState(this, pod, this.sim.now);
    this.cluster.release(pod, this.resources(pod.cores));
  }

  private graceOver(pod: Pod): void {
    if (pod.state !== 'terminating') return;
    this.tally.advance(this.sim.now);
    // What is still queued or in service when the grace period ends is lost, and counted.
    if (pod.batcher !== null) {
      for (let r = pod.batcher.queue.shift(); r !== undefined; r = pod.batcher.queue.shift()) {
        this.tally.queued--;
        this.drop(r, 'terminated');
      }
    }
    for (const lane of pod.lanes) {
      if (!lane.busy) continue;
      this.tracer?.batchEnd(this, lane, this.sim.now, true);
      const size = lane.size;
      lane.size = 0;
      this.inService -= size;
      for (let i = 0; i < size; i++) this.drop(lane.batch[i], 'terminated');
      lane.busy = false;
      const cpu = pod.node?.cpu;
      if (cpu == null) pod.cpuChange(this.sim.now, -lane.cores);
      else cpu.cancel(lane);
      lane.retired = true;
      this.tally.busyLanes--;
    }
    this.maybeGone(pod);
  }

  // ----- actions -----

  /**
   * Sets the number of replicas. New pods get the current template (cores, variant); during a
   * rolling update only up-to-date pods count, as the new ReplicaSet is what is being scaled.
   */
  scaleTo(replicas: number): void {
    this.desiredReplicas = replicas;
    const counted = this.pods.filter((p) => p.state !== 'terminating' && !this.rollout.isBeingReplaced(p));
    for (let n = counted.length; n < replicas; n++) this.addPod(false);
    // Remove the least advanced pods first: pending, then starting, then the newest ready.
    const rank = { pending: 0, starting: 1, ready: 2, terminating: 3, gone: 4 };
    const victims = counted.sort((a, b) => rank[a.state] - rank[b.state] || b.createdAt - a.createdAt).slice(0, Math.max(0, counted.length - replicas));
    for (const pod of victims) this.terminate(pod);
  }

  /** Changes the cores per replica and/or the variant of every pod (see `Rollout.reconfigure`). */
  reconfigure(change: { cores?: number; variant?: Variant }, strategy: Strategy): void {
    this.rollout.reconfigure(change, strategy);
  }

  /** Desired replicas (what `scaleTo` last set). */
  desired(): number {
    return this.desiredReplicas;
  }

  /** Cores new pods get. */
  templateCores(): number {
    return this.template.cores;
  }

  variantName(): string {
    return this.template.variant.name;
  }

  /** New batching limits, for every queue of this deployment from now on. */
  setBatching(maxBatch: number, maxWaitSeconds: number): void {
    this.policy.maxBatch = Math.max(1, Math.round(maxBatch));
    this.policy.maxWaitSeconds = Math.max(0, maxWaitSeconds);
    this.central?.dispatch();
    for (const pod of this.pods) pod.batcher?.dispatch();
  }

  /** The cores new pods get, leaving running pods alone (what VPA's admission controller sets). */
  setTemplateCores(cores: number): void {
    this.template.cores = cores;
  }

  /** Deletes one pod; its ReplicaSet starts a replacement from the current template at once. */
  evict(pod: Pod): void {
    if (pod.state === 'terminating' || pod.state === 'gone') return;
    this.terminate(pod);
    this.addPod(false);
  }

  /** Resizes one pod's cores in place after the resize delay (see `Rollout.resizePod`). */
  resizePod(pod: Pod, cores: number, evictIfDeferred: boolean): void {
    this.rollout.resizePod(pod, cores, evictIfDeferred);
  }

  // ----- what metrics and controllers see -----

  replicaCount(): number {
    let n = 0;
    for (const pod of this.pods) if (pod.state !== 'terminating') n++;
    return n;
  }

  readyReplicaCount(): number {
    return this.readyPods.count();
  }

  pendingReplicaCount(): number {
    let n = 0;
    for (const pod of this.pods) if (pod.state === 'pending') n++;
    return n;
  }

  /** Cores held on nodes now (starting, ready and terminating pods). */
  cores(): number {
    return this.tally.allocatedCores;
  }

  queueLength(): number {
    return this.tally.queued;
  }

  coreSeconds(now: number): number {
    return this.tally.coreSeconds(now);
  }

  busySeconds(now: number): number {
    return this.tally.busySeconds(now);
  }

  laneSeconds(now: number): number {
    return this.tally.laneSeconds(now);
  }

  queueSeconds(now: number): number {
    return this.tally.queueSeconds(now);
  }

  inFlightCount(): number {
    return this.tally.queued + this.inService;
  }

  *inFlight(): Generator<Request> {
    if (this.central !== null) yield* this.central.queue;
    for (const pod of this.pods) yield* pod.requests();
  }
}
