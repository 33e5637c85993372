/** Something that reacts to events it scheduled for itself. */
export interface EventHandler {
  handleEvent(tag: number, data: unknown): void;
}

/** The handle of an event scheduled with `Simulator.at`, by which it can be cancelled. */
export interface ScheduledEvent {
  readonly time: number;
  readonly handler: EventHandler;
  readonly tag: number;
  readonly data: unknown;
  cancelled: boolean;
}

/**
 * The pending-event set: a binary min-heap ordered by time, then by the order events were pushed,
 * in typed arrays. Each entry's time and sequence number sit in the heap's own order, so a sift
 * compares neighbouring doubles instead of chasing event objects; the handler, tag and payload
 * sit in a slot the entry names, and slots are reused, so pushing and popping allocate nothing
 * once the arrays have grown to the largest pending count.
 */
export class EventHeap {
  size = 0;
  private times = new Float64Array(INITIAL_CAPACITY);
  /** Push order, which breaks ties of time; a double, as long runs push more than 2^31 events. */
  private seqs = new Float64Array(INITIAL_CAPACITY);
  private slots = new Int32Array(INITIAL_CAPACITY);
  private nextSeq = 0;
  // By slot:
  private handlers: (EventHandler | null)[] = new Array(INITIAL_CAPACITY).fill(null);
  private tags = new Int32Array(INITIAL_CAPACITY);
  private payloads: unknown[] = new Array(INITIAL_CAPACITY).fill(null);
  private freeSlots = new Int32Array(INITIAL_CAPACITY);
  private freeCount = INITIAL_CAPACITY;
  // The entry `pop` removed last, read through these.
  handler: EventHandler | null = null;
  tag = 0;
  data: unknown = null;

  constructor() {
    for (let i = 0; i < INITIAL_CAPACITY; i++) this.freeSlots[i] = INITIAL_CAPACITY - 1 - i;
  }

  /** Time of the earliest entry (Infinity when empty). */
  peekTime(): number {
    return this.size === 0 ? Infinity : this.times[0];
  }

  push(time: number, handler: EventHandler, tag: number, data: unknown): void {
    if (this.size === this.times.length) this.grow();
    const slot = this.freeSlots[--this.freeCount];
    this.handlers[slot] = handler;
    this.tags[slot] = tag;
    this.payloads[slot] = data;
    const seq = this.nextSeq++;
    const { times, seqs, slots } = this;
    // Sift up: move the hole towards the root while the parent comes later.
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent];
      if (pt < time || (pt === time && seqs[parent] < seq)) break;
      times[i] = pt;
      seqs[i] = seqs[parent];
      slots[i] = slots[parent];
      i = parent;
    }
    times[i] = time;
    seqs[i] = seq;
    slots[i] = slot;
  }

  /** Removes the earliest entry and returns its time; its handler, tag and data are then in `handler`, `tag`, `data`. Call only when not empty. */
  pop(): number {
    const { times, seqs, slots } = this;
    const time = times[0];
    const slot = slots[0];
    this.handler = this.handlers[slot];
    this.tag = this.tags[slot];
    this.data = this.payloads[slot];
    this.handlers[slot] = null;
    this.payloads[slot] = null;
    this.freeSlots[this.freeCount++] = slot;
    const n = --this.size;
    if (n > 0) {
      // Sift the last entry down from the root.
      const lastTime = times[n];
      const lastSeq = seqs[n];
      const lastSlot = slots[n];
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= n) break;
        const right = child + 1;
        if (right < n && (times[right] < times[child] || (times[right] === times[child] && seqs[right] < seqs[child]))) child = right;
        const ct = times[child];
        if (lastTime < ct || (lastTime === ct && lastSeq < seqs[child])) break;
        times[i] = ct;
        seqs[i] = seqs[child];
        slots[i] = slots[child];
        i = child;
      }
      times[i] = lastTime;
      seqs[i] = lastSeq;
      slots[i] = lastSlot;
    }
    return time;
  }

  private grow(): void {
    const capacity = this.times.length * 2;
    const widen = <T extends Float64Array | Int32Array>(from: T, to: T): T => {
      to.set(from);
      return to;
    };
    this.times = widen(this.times, new Float64Array(capacity));
    this.seqs = widen(this.seqs, new Float64Array(capacity));
    this.slots = widen(this.slots, new Int32Array(capacity));
    this.tags = widen(this.tags, new Int32Array(capacity));
    const old = this.handlers.length;
    this.handlers.length = capacity;
    this.handlers.fill(null, old);
    this.payloads.length = capacity;
    this.payloads.fill(null, old);
    // Every slot is in use when the heap is full: the new ones are the free ones.
    this.freeSlots = new Int32Array(capacity);
    for (let i = 0; i < capacity - old; i++) this.freeSlots[i] = capacity - 1 - i;
    this.freeCount = capacity - old;
  }
}

const INITIAL_CAPACITY = 64;
