import type { Simulator } from '../engine/simulator.js';
import { NodeSet, type ResourceRequest } from './nodes.js';
import type { Pod } from './pod.js';
import type { ClusterSpec } from './schema.js';

/** Something that waits for node resources: a pod to place, or an in-place resize to apply. */
export interface ResourceWaiter {
  /** Tries again; true when it got what it waited for. */
  retry(): boolean;
}

/**
 * The nodes and the pods waiting for room on them. Whenever resources are released, the waiters
 * are retried in the order they started waiting (as the scheduler's queue would).
 */
export class Cluster {
  readonly nodes: NodeSet;
  private readonly waiting: ResourceWaiter[] = [];

  constructor(
    readonly sim: Simulator,
    spec: ClusterSpec | undefined,
  ) {
    this.nodes = new NodeSet(spec, sim);
  }

  /** Places the pod now if a node has room, else it waits as Pending. */
  place(pod: Pod, request: ResourceRequest, pool: string | undefined, onPlaced: () => void): void {
    const attempt: ResourceWaiter = {
      retry: () => {
        if (pod.state !== 'pending') return true;
        const node = this.nodes.place(request, pool);
        if (node === null) return false;
        pod.node = node;
        onPlaced();
        return true;
      },
    };
    if (!attempt.retry()) this.waiting.push(attempt);
  }

  wait(waiter: ResourceWaiter): void {
    if (!waiter.retry()) this.waiting.push(waiter);
  }

  release(pod: Pod, request: ResourceRequest): void {
    if (pod.node === null) return;
    pod.node.cpu?.forget(pod);
    this.nodes.release(pod.node, request);
    pod.node = null;
    this.retryWaiting();
  }

  /** Resources were freed: whoever waits may fit now. */
  retryWaiting(): void {
    for (let i = 0; i < this.waiting.length; ) {
      if (this.waiting[i].retry()) this.waiting.splice(i, 1);
      else i++;
    }
  }
}
