import type { Request } from '../workload/request.js';
import type { Batcher } from './batcher.js';
import type { CpuJob, CpuJobOwner } from './node-cpu.js';
import type { Node } from './nodes.js';
import type { RequestQueue } from './request-queue.js';

/**
 * Pending: not placed on a node yet. Starting: container start, model load and warm-up. Ready:
 * serving. Terminating: takes no new work, finishes what it has within the grace period. Gone.
 */
export type PodState = 'pending' | 'starting' | 'ready' | 'terminating' | 'gone';

/** The model variant a pod serves: how long its batches take and how accurate it is. */
export interface Variant {
  readonly name: string;
  readonly accuracy: number | null;
  /** Seconds to serve a batch of `batch` on `cores` cores (a draw). */
  readonly serviceTime: (batch: number, cores: number) => number;
  /** Batches served at once on `cores` cores. */
  readonly concurrency: (cores: number) => number;
}

/** One execution slot of a pod: serves one batch at a time (on a shared node, as one job on its cores). */
export class Lane implements CpuJob {
  busy = false;
  /** Set when the pod shrinks: the lane finishes its batch and is not used again. */
  retired = false;
  /** The batch in service: its first `size` entries (the array is reused, never shrunk). */
  readonly batch: Request[] = [];
  size = 0;
  /** CPU cores the batch in service uses (set when it starts; on a shared node, by the node as its share changes). */
  cores = 0;
  /** On a shared node: the threads the batch runs on, its work left at full speed, and when it ends at the speed it has. */
  demand = 0;
  remaining = 0;
  finishAt = NaN;
  /** When it last finished a batch (a batch starting later finds it idle). */
  freeSince = 0;

  constructor(
    readonly pod: Pod,
    /** The queue that feeds this lane. */
    public batcher: Batcher,
    /** Who finishes the batch when a shared node's cores have done its work. */
    readonly owner: CpuJobOwner,
  ) {}
}

export class Pod {
  state: PodState = 'pending';
  node: Node | null = null;
  readonly lanes: Lane[] = [];
  /** The pod's own queue and batcher (per-replica queues); null with a central queue. */
  batcher: Batcher | null = null;
  /** When the pod was placed and started, and when it became ready (NaN until then). */
  startTime = NaN;
  readyTime = NaN;
  /** Requests it has finished. */
  served = 0;
  /** Its slot among the deployment's ready pods (see `ReadyReplicas`). */
  routeSlot = -1;
  // ∫ CPU in use dt (core-seconds): the cumulative usage the kubelet reports to metrics-server.
  private lanesInService = 0;
  private coresInUse = 0;
  private cpuArea = 0;
  private lastChange = 0;

  constructor(
    readonly id: number,
    /** The CPU request (what the scheduler places and what utilisation is a fraction of). */
    public cores: number,
    readonly variant: Variant,
    readonly createdAt: number,
    /**
     * The CPU limit as a multiple of the request (Infinity: no limit). It follows the request on a
     * resize, as VPA keeps the request/limit ratio (kubernetes/autoscaler vertical-pod-autoscaler/README.md).
     */
    readonly cpuLimitPerRequest = Infinity,
  ) {}

  /**
   * The cores a batch starting now runs on: the request, plus this pod's share of its node's
   * unrequested cores, up to its limit. Exactly the request on the unbounded default node.
   */
  batchCores(): number {
    const spare = this.node === null ? 0 : this.node.spareCoresPerBurstablePod();
    if (spare === 0) return this.cores;
    return Math.min(this.cores * this.cpuLimitPerRequest, this.cores + spare);
  }

  /** A lane started (`cores` > 0) or finished (`cores` < 0) a batch at `now`, using |cores| cores. */
  cpuChange(now: number, cores: number): void {
    this.cpuArea += this.coresInUse * (now - this.lastChange);
    this.lastChange = now;
    this.lanesInService += cores > 0 ? 1 : -1;
    // Back to exactly 0 when idle, so that float drift never reports a trace of usage.
    this.coresInUse = this.lanesInService === 0 ? 0 : this.coresInUse + cores;
  }

  /** The node's scheduler gives the pod `cores` from `now` on (a shared node). */
  useCores(now: number, cores: number): void {
    this.cpuArea += this.coresInUse * (now - this.lastChange);
    this.lastChange = now;
    this.coresInUse = cores;
  }

  /** ∫ CPU in use dt up to `now` (core-seconds). */
  cpuSeconds(now: number): number {
    return this.cpuArea + this.coresInUse * (now - this.lastChange);
  }

  /** Requests waiting in its own queue or in service: what least-outstanding routing compares. */
  outstanding(): number {
    let n = this.batcher === null ? 0 : this.batcher.queue.length;
    for (const lane of this.lanes) n += lane.size;
    return n;
  }

  busyLanes(): number {
    let busy = 0;
    for (const lane of this.lanes) if (lane.busy) busy++;
    return busy;
  }

  activeLanes(): number {
    let n = 0;
    for (const lane of this.lanes) if (!lane.retired) n++;
    return n;
  }

  /** The requests queued at or served by this pod. */
  *requests(): Generator<Request> {
    for (const lane of this.lanes) for (let i = 0; i < lane.size; i++) yield lane.batch[i];
    if (this.batcher !== null) yield* this.batcher.queue as RequestQueue;
  }
}
