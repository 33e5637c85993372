import { join } from 'node:path';
import { readSpecFile, mergeOverride } from '../../experiment/spec-variants.js';
import type { SpecInput } from '../../experiment/spec.js';
import { readCsvRecords } from '../../io/csv-records.js';
import { packageRoot } from '../../paths.js';

const SPEC_FOLDER = 'experiments/paper/ipa';

/**
 * The policies compared, in table.csv's order; each spec's name is its policy's. The base is IPA
 * on the video pipeline; FA2-low, FA2-high and RIM are the authors' baselines as they configured
 * them (data/configs/final/video-mul-{2,3,5}.yaml): the same program with the variant pinned
 * (FA2, from yolov5n/resnet18 or yolov5s/resnet101) or the replicas pinned at 3 (RIM).
 */
export const POLICIES = ['ipa', 'fa2-low', 'fa2-high', 'rim'] as const;

export function policySpecs(): SpecInput[] {
  return POLICIES.map((policy) => readSpecFile(join(packageRoot, SPEC_FOLDER, policy === 'ipa' ? 'video.json' : `video.${policy}.json`)));
}

/** The trace every spec replays: IPA's four load patterns, 1,200 s each, one after the other. */
const PATTERN_FILE = 'profiles/ipa/workload_patterns_damped8.csv';

/** A load pattern: its name (as the paper writes it) and its first row in the pattern file. */
export interface Pattern {
  name: string;
  start: number;
}

/** The patterns in the file's order (bursty, steady-low, steady-high, fluctuating), each where its rows begin. */
export function loadPatterns(): Pattern[] {
  const patterns: Pattern[] = [];
  for (const record of readCsvRecords(join(packageRoot, PATTERN_FILE))) {
    if (record.line === 1) continue;
    const name = record.fields[0].replace(/_/g, '-');
    if (patterns.at(-1)?.name !== name) patterns.push({ name, start: record.line - 2 });
  }
  return patterns;
}

/** A policy's spec on one pattern and seed, named after all three. */
export function onPattern(spec: SpecInput, pattern: Pattern, seed: number, override: object = {}): SpecInput {
  const patterned = mergeOverride(spec, { seed, name: `${spec.name}-${pattern.name}-seed${seed}`, workload: { trace: { start: pattern.start } } });
  return mergeOverride(patterned, override) as SpecInput;
}
