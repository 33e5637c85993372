import { sampler, type Uniform } from '../engine/random.js';
import { MAX_TRACE_RATE } from './limits.js';

/**
 * A source of arrival times. `next()` returns ascending times in seconds, and Infinity once the
 * workload has no more arrivals; `end` is then where the workload ends (a trace's last second).
 */
export interface ArrivalProcess {
  next(): number;
  readonly end: number;
  /** Fraction of a finite source consumed so far, for progress display. */
  progress?: () => number;
}

/** Poisson arrivals at a constant rate. */
export function poissonArrivals(u: Uniform, rate: number): ArrivalProcess {
  if (rate === 0) return { next: () => Infinity, end: Infinity };
  const gap = sampler.exponential(u, 1 / rate);
  let t = 0;
  return { next: () => (t += gap()), end: Infinity };
}

/** A piecewise-constant rate: `rate` holds from `time` until the next step's time. */
export interface RateStep {
  time: number;
  rate: number;
}

/**
 * Poisson arrivals under a piecewise-constant rate, exact: each arrival spends one unit-mean
 * exponential of integrated rate, carried across steps (the inverse of the cumulative intensity).
 * The last rate holds for ever; a last rate of 0 ends the workload at that step's time. `steps`
 * may be a lazy, streamed sequence.
 */
export function scheduledPoissonArrivals(u: Uniform, steps: Iterable<RateStep>): ArrivalProcess {
  const unitGap = sampler.exponential(u, 1);
  const it = steps[Symbol.iterator]();
  let current = it.next();
  let upcoming = it.next();
  let t = current.done ? 0 : current.value.time;
  const process = {
    end: Infinity,
    next(): number {
      if (current.done) return Infinity;
      let budget = unitGap();
      for (;;) {
        const rate = current.value.rate;
        const stepEnd = upcoming.done ? Infinity : upcoming.value.time;
        if (rate > 0 && budget <= rate * (stepEnd - t)) return (t += budget / rate);
        if (stepEnd === Infinity) {
          if (rate === 0) process.end = t;
          return Infinity;
        }
        budget -= rate * (stepEnd - t);
        t = stepEnd;
        current = upcoming as IteratorYieldResult<RateStep>;
        upcoming = it.next();
      }
    },
  };
  return process;
}

/** Renewal process with Gamma inter-arrival times of mean 1/rate and coefficient of variation cv. */
export function gammaArrivals(u: Uniform, rate: number, cv: number): ArrivalProcess {
  const gap = sampler.gamma(u, 1 / rate, cv);
  let t = 0;
  return { next: () => (t += gap()), end: Infinity };
}

/**
 * Markov-modulated Poisson process: in state i arrivals are Poisson at rates[i] for an exponential
 * sojourn of mean meanDurations[i] s, then the process moves to another state chosen uniformly
 * (for two states, the classic MMPP-2). Restarting the gap at a switch is exact: exponentials are memoryless.
 * Sojourns pass without arrivals when a state's rate is 0 (or its next arrival falls after the
 * switch), so the search for the next arrival gives up at `horizon` (the run's end): Infinity.
 */
export function mmppArrivals(u: Uniform, rates: number[], meanDurations: number[], horizon = Infinity): ArrivalProcess {
  const unitGap = sampler.exponential(u, 1);
  let state = 0;
  let t = 0;
  let stateEnd = meanDurations[0] * unitGap();
  return {
    end: Infinity,
    next() {
      for (;;) {
        const rate = rates[state];
        if (rate > 0) {
          const candidate = t + unitGap() / rate;
          if (candidate < stateEnd) return (t = candidate);
        }
        t = stateEnd;
        if (t >= horizon) return Infinity;
        const other = Math.floor(u() * (rates.length - 1));
        state = other >= state ? other + 1 : other;
        stateEnd = t + meanDurations[state] * unitGap();
      }
    },
  };
}

/**
 * Spreads per-second counts as Poisson arrivals within each second: given n arrivals in a second,
 * a Poisson process places them as n sorted uniform points, drawn here in O(n) from normalised
 * exponential spacings (no sort). The seed systems' load generator draws exponential gaps at the
 * second's rate instead; both keep the second's rate.
 */
export function poissonWithinSecond(u: Uniform, counts: Iterator<number>): ArrivalProcess {
  const unitGap = sampler.exponential(u, 1);
  let times = new Float64Array(64);
  let count = 0;
  let index = 0;
  let second = 0;
  const process = {
    end: Infinity,
    next(): number {
      while (index === count) {
        const step = counts.next();
        if (step.done) {
          process.end = second;
          return Infinity;
        }
        count = step.value;
        index = 0;
        // Room for twice the count, but no more than the largest count a trace may hold (MAX_TRACE_RATE).
        if (count > times.length) times = new Float64Array(Math.max(count, Math.min(count * 2, MAX_TRACE_RATE)));
        let sum = 0;
        for (let i = 0; i < count; i++) times[i] = sum += unitGap();
        const scale = 1 / (sum + unitGap());
        for (let i = 0; i < count; i++) times[i] = second + times[i] * scale;
        second++;
      }
      return times[index++];
    },
  };
  return process;
}
