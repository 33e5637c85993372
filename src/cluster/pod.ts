import type { Request } from '../workload/request.js';
import type { Batcher } from './batcher.js';
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

/** One execution slot of a pod: serves one batch at a time. */
export class Lane {
  busy = false;
  /** Set when the pod shrinks: the lane finishes its batch and is not used again. */
  retired = false;
  /** The batch in service: its first `size` entries (the array is reused, never shrunk). */
  readonly batch: Request[] = [];
  size = 0;

  constructor(
    readonly pod: Pod,
    /** The queue that feeds this lane. */
    public batcher: Batcher,
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
  // ∫ busy lanes dt, for the CPU usage metrics-server would report.
  private busy = 0;
  private busyArea = 0;
  private lastChange = 0;

  constructor(
    readonly id: number,
    public cores: number,
    readonly variant: Variant,
    readonly createdAt: number,
  ) {}

  /** A lane started (+1) or finished (−1) a batch at `now`. */
  laneBusy(now: number, delta: 1 | -1): void {
    this.busyArea += this.busy * (now - this.lastChange);
    this.lastChange = now;
    this.busy += delta;
  }

  /** ∫ busy lanes dt up to `now` (lane-seconds). */
  busySeconds(now: number): number {
    return this.busyArea + this.busy * (now - this.lastChange);
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
