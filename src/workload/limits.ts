/** Bounds on what a workload may ask, each with its reason (README "Specs" and "Traces" list them). */

/**
 * Requests in one second of a trace (a count, or a rate sample times `scale`), at most: the
 * second's arrival times are held together (8 bytes each, so 80 MB at this bound), and at about a
 * million simulated requests per second of computing, one such second costs some ten seconds. The
 * busiest second of the shipped traces has 388 (Twitter).
 */
export const MAX_TRACE_RATE = 10_000_000;

/** The largest trace timestamp, seconds since the epoch: 9999-12-31 23:59:59 UTC, the last date-time with a four-digit year. */
export const MAX_EPOCH_SECONDS = 253_402_300_799;

/**
 * Gamma inter-arrival times' coefficient of variation, at most. The shape is 1/cv²; below about
 * 10⁻⁸ (cv 10⁴) nearly every draw underflows to 0 and arrivals pile up at one instant. At cv 100
 * (shape 10⁻⁴) 7% of the gaps are not 0: extremely bursty, still moving.
 */
export const MAX_GAMMA_CV = 100;

/**
 * Gamma's cv, at least: 10⁻³ is a shape of 10⁶, already indistinguishable from evenly spaced
 * arrivals; far below it the shape overflows and draws are NaN.
 */
export const MIN_GAMMA_CV = 0.001;

/**
 * An MMPP state's mean sojourn, at least, seconds: each switch costs about as much as an arrival,
 * so 1 ms means at most some thousand switches per simulated second.
 */
export const MIN_MMPP_SOJOURN_SECONDS = 0.001;
