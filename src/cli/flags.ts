import type { CapacityMethod } from '../experiment/capacity.js';
import { InputError } from '../errors.js';

/** `--seed`: a non-negative integer, written as digits only. */
export function parseSeed(text: string): number {
  const seed = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(seed)) throw new InputError(`--seed: expected a non-negative integer, got "${text}"`);
  return seed;
}

/** `--method`: how capacity is measured. */
export function parseCapacityMethod(text: string): CapacityMethod {
  if (text !== 'probe' && text !== 'steady') throw new InputError(`--method: expected "probe" or "steady", got "${text}"`);
  return text;
}

/** A flag's time in simulated seconds: a finite number ≥ 0. */
export function parseSeconds(text: string, flag: string): number {
  const seconds = Number(text);
  if (text.trim() === '' || !Number.isFinite(seconds) || seconds < 0) throw new InputError(`${flag}: expected a number of seconds ≥ 0, got "${text}"`);
  return seconds;
}

/** A flag's count: a positive integer, written as digits only. */
export function parsePositiveInteger(text: string, flag: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1) throw new InputError(`${flag}: expected a positive integer, got "${text}"`);
  return n;
}
