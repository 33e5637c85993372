import { EventHeap, type EventHandler, type ScheduledEvent } from './event-queue.js';

/**
 * An event asked for at a time the clock can never reach: not a number, infinite, or before now.
 * SimPy raises on a negative delay for the same reason: a silent clamp or a skipped event would
 * give a result that looks complete and is not. `handler` and `tag` say who scheduled it.
 */
export class EventTimeError extends Error {
  override name = 'EventTimeError';

  constructor(
    readonly time: number,
    readonly now: number,
    readonly handler: EventHandler,
    readonly tag: number,
  ) {
    super(`an event at ${time} s (now ${now} s) scheduled by ${describeHandler(handler)}, tag ${tag}: expected a finite time, not before now`);
  }
}

/** `Deployment "svc"`: the handler's class and, when it has one, its name. */
function describeHandler(handler: EventHandler): string {
  const constructor = (handler as object).constructor;
  const kind = constructor === Object || !constructor?.name ? 'a plain handler object' : constructor.name;
  const name = (handler as { name?: unknown }).name;
  return typeof name === 'string' ? `${kind} "${name}"` : kind;
}

/** An event `at` scheduled: its handle, run through `TIMERS` unless cancelled. */
interface Timer extends ScheduledEvent {
  handler: EventHandler;
}

/** Marks a heap entry whose payload is a cancellable `Timer`. */
const TIMERS: EventHandler = { handleEvent: () => {} };

/**
 * The simulation kernel: a clock and a pending-event set. Events at the same time run in the
 * order they were scheduled, so a run is fully determined by its inputs. Every event must lie at
 * a finite time not before now (else `EventTimeError`).
 */
export class Simulator {
  /** Simulated time in seconds. */
  now = 0;
  /** Events handled so far (cancelled events are not counted). */
  eventsHandled = 0;
  private readonly heap = new EventHeap();
  /** Set by `stop`: the running `runUntil` returns after the event being handled. */
  private stopped = false;

  get pendingEvents(): number {
    return this.heap.size;
  }

  /** Like `at`, without a handle to cancel (the hot path: nothing is allocated). */
  post(time: number, handler: EventHandler, tag = 0, data: unknown = null): void {
    // One test covers NaN, ±Infinity and the past (NaN fails every comparison).
    if (!(time >= this.now && time <= Number.MAX_VALUE)) throw new EventTimeError(time, this.now, handler, tag);
    this.heap.push(time, handler, tag, data);
  }

  /** Schedules `handler.handleEvent(tag, data)` at absolute time `time` (finite, not before now). */
  at(time: number, handler: EventHandler, tag = 0, data: unknown = null): ScheduledEvent {
    if (!(time >= this.now && time <= Number.MAX_VALUE)) throw new EventTimeError(time, this.now, handler, tag);
    const timer: Timer = { time, handler, tag, data, cancelled: false };
    this.heap.push(time, TIMERS, 0, timer);
    return timer;
  }

  /** Schedules an event `delay` seconds from now (a finite delay ≥ 0). */
  after(delay: number, handler: EventHandler, tag = 0, data: unknown = null): ScheduledEvent {
    return this.at(this.now + delay, handler, tag, data);
  }

  /** O(1): the event stays in the heap and is skipped when it comes up. */
  cancel(event: ScheduledEvent): void {
    event.cancelled = true;
  }

  /**
   * Ends the running `runUntil` once the event being handled returns, leaving the clock at that
   * event's time and the events still pending for the next call (SimPy's `run(until=event)`).
   */
  stop(): void {
    this.stopped = true;
  }

  /** Time of the earliest pending event, or Infinity. */
  nextEventTime(): number {
    return this.heap.peekTime();
  }

  /**
   * Handles every event strictly before `horizon`, then moves the clock to `horizon` (when
   * finite), unless a handler called `stop`. Events a handler schedules before the horizon are
   * handled in the same call.
   */
  runUntil(horizon: number): void {
    const heap = this.heap;
    let handled = 0;
    this.stopped = false;
    while (heap.size > 0 && heap.peekTime() < horizon) {
      const time = heap.pop();
      let handler = heap.handler as EventHandler;
      let tag = heap.tag;
      let data = heap.data;
      if (handler === TIMERS) {
        const timer = data as Timer;
        if (timer.cancelled) continue;
        handler = timer.handler;
        tag = timer.tag;
        data = timer.data;
      }
      this.now = time;
      handled++;
      handler.handleEvent(tag, data);
      if (this.stopped) break;
    }
    this.eventsHandled += handled;
    if (this.stopped) this.stopped = false;
    else if (horizon !== Infinity && horizon > this.now) this.now = horizon;
  }
}
