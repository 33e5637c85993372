import FastPriorityQueue from 'fastpriorityqueue';

/** Something that reacts to events it scheduled for itself. */
export interface EventHandler {
  handleEvent(tag: number, data: unknown): void;
}

/** One pending event. `tag` tells the handler what kind of event it is; `data` is its payload. */
export interface ScheduledEvent {
  time: number;
  seq: number;
  handler: EventHandler;
  tag: number;
  data: unknown;
  cancelled: boolean;
  recyclable: boolean;
}

/**
 * The pending-event set. Kept behind this small interface so a typed-array heap can replace the
 * object heap when runs hold very many pending events.
 */
export interface EventQueue {
  readonly size: number;
  push(event: ScheduledEvent): void;
  /** The earliest event (by time, then insertion order), removed; undefined when empty. */
  pop(): ScheduledEvent | undefined;
  peek(): ScheduledEvent | undefined;
}

const earlier = (a: ScheduledEvent, b: ScheduledEvent): boolean =>
  a.time < b.time || (a.time === b.time && a.seq < b.seq);

export function createEventQueue(): EventQueue {
  const heap = new FastPriorityQueue<ScheduledEvent>(earlier);
  return {
    get size() {
      return heap.size;
    },
    push: (event) => heap.add(event),
    pop: () => heap.poll(),
    peek: () => heap.peek(),
  };
}
