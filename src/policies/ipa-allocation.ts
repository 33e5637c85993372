import { InputError } from '../errors.js';

/** One profiled point of a variant: a batch size on a core count, its P99 and its throughput. */
export interface IpaProfilePoint {
  cores: number;
  batch: number;
  p99Seconds: number;
  throughputRps: number;
}

/** What IPA knows of one variant of a stage: its deployment, accuracy and profile table. */
export interface IpaVariant {
  deployment: string;
  accuracy: number;
  points: readonly IpaProfilePoint[];
}

/**
 * IPA's base allocations (`allocation_mode: base`; reconfigurable-ml-pipeline/ipa
 * optimizer/models.py `Task.base_allocations`): the cores every replica of a variant gets. For each
 * variant and profiled core count, count the profiled batch sizes at which one replica reaches
 * `threshold` requests/s with its P99 within the stage SLA. Then, walking the variants from the
 * least to the most accurate with one cursor over the core counts (smallest first), which never
 * goes back so that a more accurate variant never gets fewer cores:
 * - the first variant takes the smallest core count with a count above 0;
 * - each later one first moves the cursor up one step if the next core count sustains more batch
 *   sizes than the current one, then takes the cursor's core count if its count is above 0, else
 *   moves up and tries again.
 * A variant left without a core count is an InputError, as the authors' ValueError is.
 */
export function baseAllocations(variants: readonly IpaVariant[], stageSlaSeconds: number, threshold: number, where: string): Map<string, number> {
  const coreCounts = [...new Set(variants.flatMap((v) => v.points.map((p) => p.cores)))].sort((a, b) => a - b);
  const sustains = (v: IpaVariant, cores: number) => v.points.filter((p) => p.cores === cores && p.throughputRps >= threshold && p.p99Seconds <= stageSlaSeconds).length;
  const order = variants.map((v, i) => ({ v, i })).sort((a, b) => a.v.accuracy - b.v.accuracy || a.i - b.i);
  const base = new Map<string, number>();
  let cursor = 0;
  order.forEach(({ v }, rank) => {
    for (;;) {
      if (cursor >= coreCounts.length) break;
      if (rank > 0 && cursor < coreCounts.length - 1 && sustains(v, coreCounts[cursor + 1]) > sustains(v, coreCounts[cursor])) cursor++;
      if (sustains(v, coreCounts[cursor]) > 0) {
        base.set(v.deployment, coreCounts[cursor]);
        return;
      }
      cursor++;
    }
    throw new InputError(
      `${where}: no base allocation for "${v.deployment}": no profiled core count (from ${coreCounts[Math.min(cursor, coreCounts.length - 1)] ?? '-'} up) reaches ${threshold} requests/s within the stage SLA of ${stageSlaSeconds} s at any batch size (lower "threshold" or raise the stage's "slaSeconds")`,
    );
  });
  return base;
}
