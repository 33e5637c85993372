import { InputError } from '../errors.js';
import { MAX_POD_CORES, measureCapacity } from '../experiment/capacity.js';
import { NAMED_PROFILES, type ProfileRef } from '../profiles/registry.js';
import { parseCapacityMethod, parseSeed } from './flags.js';

export interface CapacityFlags {
  profile: string;
  variant: string;
  cores: string;
  sloP99: string;
  device: string;
  method: string;
  seed: string;
  json?: boolean;
}

/** A positive decimal number (not hex, binary or `Infinity`), at most `max`. */
function positive(flag: string, text: string, max = Number.MAX_VALUE): number {
  const value = /^\+?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text) ? Number(text) : NaN;
  if (!(value > 0) || !Number.isFinite(value)) throw new InputError(`${flag}: expected a positive number, got "${text}"`);
  if (value > max) throw new InputError(`${flag}: expected at most ${max}, got "${text}"`);
  return value;
}

/** `servesim capacity`: the highest Poisson rate one pod sustains with its P99 within the SLO. */
export async function capacityCommand(flags: CapacityFlags): Promise<void> {
  // A pod runs on one machine: MAX_POD_CORES is more than any has (src/experiment/capacity.ts).
  const cores = positive('--cores', flags.cores, MAX_POD_CORES);
  const sloSeconds = positive('--slo-p99', flags.sloP99);
  const seed = parseSeed(flags.seed);
  const method = parseCapacityMethod(flags.method);
  const named = flags.profile in NAMED_PROFILES;
  const profile: ProfileRef = {
    ...(named ? { name: flags.profile as ProfileRef['name'] } : { file: flags.profile }),
    variant: flags.variant,
    device: flags.device,
  };
  const result = await measureCapacity({ cores, profile }, { sloSeconds, method, seed });
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ capacityRps: result.capacityRps })}\n`);
    return;
  }
  const p99 = Number.isNaN(result.p99Seconds) ? 'no rate met the SLO' : `P99 ${(result.p99Seconds * 1000).toFixed(1)} ms at that rate`;
  process.stdout.write(
    `${flags.variant} on ${cores} cores (profile ${flags.profile}): ${result.capacityRps} requests/s within P99 ≤ ${sloSeconds} s\n` +
      `  ${p99}; saturation ${result.saturationRps} requests/s; method ${flags.method}, seed ${seed}\n`,
  );
}
