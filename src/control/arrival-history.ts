/** Seconds of per-second arrival counts a controller can look back on (InfAdapter reads 10 minutes). */
export const HISTORY_SECONDS = 3600;

/**
 * Requests that reached the service in each whole second, the `arrivalsPerSecond` of an
 * observation: a ring of the last HISTORY_SECONDS seconds. The simulated cluster closes each second
 * with its count; the testbed records each request and reads the seconds that have ended.
 */
export class ArrivalHistory {
  private readonly counts = new Float64Array(HISTORY_SECONDS);
  /** Seconds recorded so far: second s is counts[s % HISTORY_SECONDS]. */
  private seconds = 0;

  /** Adds `count` arrivals to second `second` (0-based), which must not be older than the ring. */
  record(second: number, count = 1): void {
    for (; this.seconds <= second; this.seconds++) this.counts[this.seconds % HISTORY_SECONDS] = 0;
    if (second > this.seconds - 1 - HISTORY_SECONDS) this.counts[second % HISTORY_SECONDS] += count;
  }

  /** The counts of seconds [0, `ended`) that the ring still holds, oldest first. */
  history(ended: number): number[] {
    if (ended > this.seconds) this.record(ended - 1, 0);
    const n = Math.min(ended, HISTORY_SECONDS);
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = this.counts[(ended - n + i) % HISTORY_SECONDS];
    return out;
  }
}
