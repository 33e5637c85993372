/**
 * Bounds that keep every simulated run finite in time, disk and memory. They are checked before a
 * run starts wherever the spec says enough (src/experiment/spec.ts, src/experiment/run.ts) and
 * while it runs where only the run can tell (a trace's length, a drain); README "Specs" lists them.
 */

/**
 * The longest simulated time, seconds: just under 2^53 µs, the last time at which a double still
 * tells apart instants 1 µs apart, the resolution of every time servesim writes. Past it,
 * `now + gap` stops advancing for short gaps and a run can spin at one instant. (About 285 years.)
 */
export const MAX_SIMULATED_SECONDS = 9e9;

/**
 * `timeseries.csv` windows per run, at most: one row per deployment each (about 70 bytes), so a
 * run writes at most ~70 MB per deployment. 22 days of the Twitter trace in the default 5 s
 * windows are 380,160 windows; a run that needs more wants a longer window.
 */
export const MAX_WINDOWS_PER_RUN = 1_000_000;

/** The shortest window, seconds: 1 ms, the resolution of the latencies servesim reports. */
export const MIN_WINDOW_SECONDS = 0.001;

/**
 * The shortest period of a controller or of metrics-server's scrapes, seconds: 100 decisions per
 * simulated second. Real controllers decide far more slowly (the HPA's sync every 15 s, VPA's
 * recommender every minute, InfAdapter's readiness poll every 0.5 s); each decision observes every
 * pod, so periods far below this spend a run on bookkeeping.
 */
export const MIN_CONTROL_PERIOD_SECONDS = 0.01;

/** The longest run a spec may ask for, seconds: its window count and the time resolution both bound it. */
export function longestRunSeconds(windowSeconds: number): number {
  return Math.min(MAX_SIMULATED_SECONDS, MAX_WINDOWS_PER_RUN * windowSeconds);
}
