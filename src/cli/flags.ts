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
