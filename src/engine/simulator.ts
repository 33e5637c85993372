import { createEventQueue, type EventHandler, type EventQueue, type ScheduledEvent } from './event-queue.js';

/**
 * The simulation kernel: a clock and a pending-event set. Events at the same time run in the
 * order they were scheduled, so a run is fully determined by its inputs.
 */
export class Simulator {
  /** Simulated time in seconds. */
  now = 0;
  /** Events handled so far (cancelled events are not counted). */
  eventsHandled = 0;
  private nextSeq = 0;
  /** Posted events already handled, ready for reuse. */
  private readonly spare: ScheduledEvent[] = [];

  constructor(private readonly queue: EventQueue = createEventQueue()) {}

  get pendingEvents(): number {
    return this.queue.size;
  }

  /** Like `at`, without a handle to cancel: the event object is recycled after it runs (the hot path). */
  post(time: number, handler: EventHandler, tag = 0, data: unknown = null): void {
    const event = this.spare.pop();
    if (event === undefined) {
      this.at(time, handler, tag, data).recyclable = true;
      return;
    }
    event.time = time < this.now ? this.now : time;
    event.seq = this.nextSeq++;
    event.handler = handler;
    event.tag = tag;
    event.data = data;
    this.queue.push(event);
  }

  /** Schedules `handler.handleEvent(tag, data)` at absolute time `time` (never before now). */
  at(time: number, handler: EventHandler, tag = 0, data: unknown = null): ScheduledEvent {
    const event: ScheduledEvent = {
      time: time < this.now ? this.now : time,
      seq: this.nextSeq++,
      handler,
      tag,
      data,
      cancelled: false,
      recyclable: false,
    };
    this.queue.push(event);
    return event;
  }

  /** Schedules an event `delay` seconds from now. */
  after(delay: number, handler: EventHandler, tag = 0, data: unknown = null): ScheduledEvent {
    return this.at(this.now + delay, handler, tag, data);
  }

  /** O(1): the event stays in the heap and is skipped when it comes up. */
  cancel(event: ScheduledEvent): void {
    event.cancelled = true;
  }

  /** Time of the earliest pending event, or Infinity. */
  nextEventTime(): number {
    const head = this.queue.peek();
    return head === undefined ? Infinity : head.time;
  }

  /**
   * Handles every event strictly before `horizon`, then moves the clock to `horizon`
   * (when finite). Events a handler schedules before the horizon are handled in the same call.
   */
  runUntil(horizon: number): void {
    const queue = this.queue;
    let handled = 0;
    for (let head = queue.peek(); head !== undefined && head.time < horizon; head = queue.peek()) {
      queue.pop();
      if (head.cancelled) continue;
      this.now = head.time;
      handled++;
      head.handler.handleEvent(head.tag, head.data);
      if (head.recyclable) {
        head.data = null;
        this.spare.push(head);
      }
    }
    this.eventsHandled += handled;
    if (horizon !== Infinity && horizon > this.now) this.now = horizon;
  }
}
