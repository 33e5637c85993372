import type { EventHandler, ScheduledEvent } from '../engine/event-queue.js';
import type { Simulator } from '../engine/simulator.js';
import type { Request } from '../workload/request.js';
import type { Lane, Pod } from './pod.js';
import type { RequestQueue } from './request-queue.js';

/** What a batcher reports to its deployment. */
export interface BatchHost {
  /** Starts serving `lane.batch` on the lane. */
  serve(lane: Lane): void;
  /** A request left the queue without service (too old, or past its deadline). */
  drop(request: Request, reason: 'stale' | 'late', from: Batcher): void;
}

export interface BatchPolicy {
  maxBatch: number;
  maxWaitSeconds: number;
  /** Drop a request older than this when it reaches the head. */
  dropAfterSeconds: number;
  /** Its age runs from when the client sent it (else from when it joined this queue). */
  dropAfterFromRequest: boolean;
  /** Drop a request whose deadline has passed when it reaches the head. */
  dropLate: boolean;
}

/**
 * A queue and the lanes it feeds. A batch leaves when a lane is free and either `maxBatch`
 * requests wait or the one at the head has waited `maxWaitSeconds` (TF-Serving's and IPA's
 * batch timeout); until then a timer waits for the batch to fill.
 */
export class Batcher implements EventHandler {
  private readonly free: Lane[] = [];
  private timer: ScheduledEvent | null = null;

  constructor(
    private readonly sim: Simulator,
    readonly queue: RequestQueue,
    private readonly policy: BatchPolicy,
    private readonly host: BatchHost,
    /** The pod whose own queue this is; null for a deployment's central queue. */
    readonly pod: Pod | null = null,
  ) {}

  /** A lane that may take a batch now. */
  offer(lane: Lane): void {
    this.free.push(lane);
  }

  enqueue(request: Request): void {
    request.stageArrival = this.sim.now;
    this.queue.push(request);
    this.dispatch();
  }

  /** The batch timer. */
  handleEvent(): void {
    this.timer = null;
    this.dispatch();
  }

  /** Sends batches to free lanes while the batching rule allows. */
  dispatch(): void {
    const { queue, policy, sim } = this;
    while (queue.length > 0) {
      const head = queue.peek() as Request;
      if (this.isStale(head)) {
        queue.shift();
        continue;
      }
      const lane = this.freeLane();
      if (lane === null) return;
      const due = head.stageArrival + policy.maxWaitSeconds;
      if (queue.length < policy.maxBatch && sim.now < due) {
        if (this.timer === null) this.timer = sim.at(due, this);
        this.free.push(lane);
        return;
      }
      // The head is fresh (checked above); the rest of the batch is checked as it is taken.
      lane.batch[0] = queue.shift() as Request;
      lane.size = 1;
      while (lane.size < policy.maxBatch && queue.length > 0) {
        const next = queue.shift() as Request;
        if (!this.isStale(next)) lane.batch[lane.size++] = next;
      }
      if (lane.size === 0) this.free.push(lane);
      else this.host.serve(lane);
    }
  }

  /**
   * Whether a request arriving now would start service at once instead of waiting: a lane is
   * free and the batch it would join may leave now (it reaches `maxBatch`, or the head has waited
   * `maxWaitSeconds`; a request that joins a forming batch waits). Judged by the present head
   * (call `dropStaleHeads` first), so with EDF an arrival that would become the head of a batch
   * due at this very instant counts as starting.
   */
  startsNow(): boolean {
    const { queue, policy } = this;
    if (!this.hasFreeLane()) return false;
    if (queue.length + 1 >= policy.maxBatch) return true;
    const head = queue.peek();
    return head === undefined ? policy.maxWaitSeconds <= 0 : this.sim.now >= head.stageArrival + policy.maxWaitSeconds;
  }

  /** Drops (and reports) the requests at the head that may no longer be served, as a dispatch would now. */
  dropStaleHeads(): void {
    const queue = this.queue;
    while (queue.length > 0 && this.isStale(queue.peek() as Request)) queue.shift();
  }

  /** Whether a lane may take a batch now (forgets lanes that no longer can; keeps the free one). */
  hasFreeLane(): boolean {
    const lane = this.freeLane();
    if (lane === null) return false;
    this.free.push(lane);
    return true;
  }

  /** Drops (and reports) a request that may no longer be served. */
  private isStale(request: Request): boolean {
    const now = this.sim.now;
    if (now - (this.policy.dropAfterFromRequest ? request.arrivalTime : request.stageArrival) > this.policy.dropAfterSeconds) {
      this.host.drop(request, 'stale', this);
      return true;
    }
    if (this.policy.dropLate && now > request.deadline) {
      this.host.drop(request, 'late', this);
      return true;
    }
    return false;
  }

  private freeLane(): Lane | null {
    for (let lane = this.free.pop(); lane !== undefined; lane = this.free.pop()) {
      if (!lane.busy && !lane.retired && lane.batcher === this && lane.pod.state !== 'gone') return lane;
    }
    return null;
  }

  /** Forgets lanes of a pod that stops taking work from this queue. */
  withdraw(pod: Lane['pod']): void {
    for (let i = this.free.length - 1; i >= 0; i--) if (this.free[i].pod === pod) this.free.splice(i, 1);
  }
}
