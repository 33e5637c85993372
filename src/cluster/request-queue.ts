import FastPriorityQueue from 'fastpriorityqueue';
import type { Request } from '../workload/request.js';
import { RingQueue } from './ring-queue.js';

/** A queue of waiting requests; `peek` is the one served next. */
export interface RequestQueue extends Iterable<Request> {
  readonly length: number;
  push(request: Request): void;
  shift(): Request | undefined;
  peek(): Request | undefined;
}

class EdfQueue implements RequestQueue {
  private readonly heap = new FastPriorityQueue<Request>((a, b) => a.deadline < b.deadline || (a.deadline === b.deadline && a.id < b.id));

  get length(): number {
    return this.heap.size;
  }

  push(request: Request): void {
    this.heap.add(request);
  }

  shift(): Request | undefined {
    return this.heap.poll();
  }

  peek(): Request | undefined {
    return this.heap.peek();
  }

  *[Symbol.iterator](): Generator<Request> {
    const items: Request[] = [];
    this.heap.forEach((r) => items.push(r));
    yield* items;
  }
}

/** FIFO (arrival order) or EDF (earliest deadline first; ties by request id). */
export function createRequestQueue(discipline: 'fifo' | 'edf'): RequestQueue {
  return discipline === 'edf' ? new EdfQueue() : new RingQueue<Request>();
}
