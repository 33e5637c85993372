/** Seconds of history a controller can look back on: as the simulated controller keeps (src/experiment/controller.ts). */
const HISTORY_SECONDS = 3600;

/**
 * Requests that reached the service in each whole second since the load started: the
 * `arrivalsPerSecond` of a real run's observations (InfAdapter forecasts from them).
 */
export class ArrivalHistory {
  private readonly counts: number[] = [];

  constructor(private readonly now: () => number) {}

  /** A request arrived now. */
  record(): void {
    const second = Math.max(0, Math.floor(this.now()));
    while (this.counts.length <= second) this.counts.push(0);
    this.counts[second]++;
  }

  /** The counts of the seconds that have ended (at most the last hour), oldest first. */
  history(): number[] {
    const ended = Math.max(0, Math.floor(this.now()));
    const from = Math.max(0, ended - HISTORY_SECONDS);
    return Array.from({ length: ended - from }, (_, i) => this.counts[from + i] ?? 0);
  }
}
