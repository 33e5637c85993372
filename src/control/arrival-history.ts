/** Seconds of per-second arrival counts a controller can look back on (InfAdapter reads 10 minutes). */
export const HISTORY_SECONDS = 3600;

/**
 * A figure per whole second over the last HISTORY_SECONDS seconds, as an observation carries it:
 * the requests that reached the service in each second (`arrivalsPerSecond`: values add up), or,
 * made with `smallest`, the smallest value recorded in each second (`budgetPerSecond`: Infinity
 * for a second without any). The simulated cluster closes each second with its count; the testbed
 * records each request and reads the seconds that have ended.
 */
export class ArrivalHistory {
  private readonly values = new Float64Array(HISTORY_SECONDS);
  /** Seconds recorded so far: second s is values[s % HISTORY_SECONDS]. */
  private seconds = 0;
  private readonly empty: number;

  constructor(private readonly smallest = false) {
    this.empty = smallest ? Infinity : 0;
  }

  /** Adds `value` to second `second` (0-based; or keeps the smaller), which must not be older than the ring. */
  record(second: number, value = 1): void {
    for (; this.seconds <= second; this.seconds++) this.values[this.seconds % HISTORY_SECONDS] = this.empty;
    if (second <= this.seconds - 1 - HISTORY_SECONDS) return;
    const i = second % HISTORY_SECONDS;
    this.values[i] = this.smallest ? Math.min(this.values[i], value) : this.values[i] + value;
  }

  /** The figures of seconds [0, `ended`) that the ring still holds, oldest first. */
  history(ended: number): number[] {
    if (ended > this.seconds) this.record(ended - 1, this.empty);
    const n = Math.min(ended, HISTORY_SECONDS);
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = this.values[(ended - n + i) % HISTORY_SECONDS];
    return out;
  }
}
