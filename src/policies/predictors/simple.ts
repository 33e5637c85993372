import { InputError } from '../../errors.js';
import type { LoadPredictor } from './predictor.js';

/**
 * The maxima of the last `count` blocks of `blockSeconds` seconds, oldest first. Blocks end at the
 * most recent second, so the newest block is always whole; with a short history the oldest block
 * holds what is left (InfAdapter's and IPA's adapters cut from the oldest second instead, which
 * leaves the newest block partial when the length is not a multiple of the block).
 */
export function blockMaxima(history: ArrayLike<number>, blockSeconds: number, count = Infinity): number[] {
  const blocks = Math.min(count, Math.ceil(history.length / blockSeconds));
  const maxima = new Array<number>(blocks);
  for (let b = 0; b < blocks; b++) {
    const end = history.length - (blocks - 1 - b) * blockSeconds;
    maxima[b] = maxOfRange(history, Math.max(0, end - blockSeconds), end);
  }
  return maxima;
}

/** The largest of history[from..to), or 0 when the range is empty. */
export function maxOfRange(history: ArrayLike<number>, from: number, to: number): number {
  let max = 0;
  for (let i = from; i < to; i++) if (history[i] > max) max = history[i];
  return max;
}

/**
 * The exponentially weighted mean of the values, newest weighted most: pandas'
 * `Series.ewm(span).mean()` at the last value, with its defaults (alpha = 2/(span+1), adjust=True:
 * weights (1−alpha)^age normalised by their sum). NaN for no values.
 */
export function ewmaOf(values: ArrayLike<number>, span: number): number {
  const keep = 1 - 2 / (span + 1);
  let weighted = 0;
  let weights = 0;
  for (let i = 0; i < values.length; i++) {
    weighted = weighted * keep + values[i];
    weights = weights * keep + 1;
  }
  return weighted / weights;
}

/** The last second's rate. */
export function lastValue(): LoadPredictor {
  return { name: 'last-value', predict: (history) => (history.length === 0 ? 0 : history[history.length - 1]) };
}

/** The EWMA of the per-second rates (pandas' ewm(span), see ewmaOf). */
export function ewma(span: number): LoadPredictor {
  // pandas rejects span < 1 (alpha would leave (0, 1]).
  if (!(span >= 1)) throw new InputError(`ewma span: expected a number ≥ 1, got ${span}`);
  return { name: `ewma-${span}`, predict: (history) => (history.length === 0 ? 0 : ewmaOf(history, span)) };
}

/** The peak second of the last `seconds` seconds (IPA's "max" backup predictor over 120 s). */
export function maxOverWindow(seconds: number): LoadPredictor {
  if (!Number.isInteger(seconds) || seconds < 1) throw new InputError(`max window: expected a whole number of seconds ≥ 1, got ${seconds}`);
  return { name: `max-${seconds}s`, predict: (history) => maxOfRange(history, Math.max(0, history.length - seconds), history.length) };
}
