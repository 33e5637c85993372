import { join } from 'node:path';
import { packageRoot } from '../../paths.js';
import type { Reproduction } from '../reproduction.js';
import { readSpecFile } from '../../experiment/spec-variants.js';
import { reportBiathlon } from './report.js';
import { runBiathlon, type BiathlonOptions, type BiathlonResult } from './run.js';

/** Its pipelines served under load in the simulator, by Biathlon (the base specs) and exactly (their overrides). */
const SERVING_SPECS = ['tick-price.json', 'tick-price.exact.json', 'trip-fare-db.json', 'trip-fare-db.exact.json'];

/** Biathlon (Chang, Ye, Lo, VLDB 2024): approximate aggregation features with a guarantee on the model's output. */
export const biathlon: Reproduction<BiathlonOptions, BiathlonResult> = {
  name: 'biathlon',
  description: "Biathlon's seven synthetic pipelines served exactly and approximately, swept over τ and δ",
  quick: 'fewer requests, smaller groups',
  options: [
    { flags: '--seed <n>', description: 'seed of the generated data and models', default: '1' },
    { flags: '--pipelines <list>', description: 'comma-separated pipelines (default: all seven)' },
    { flags: '--calibrate', description: 'measure the cost model on this machine first (writes DIR/cost_model.json) instead of reading profiles/biathlon/cost_model.json' },
    { flags: '--cost-model <file>', description: 'a cost model file written by --calibrate' },
  ],
  specs: () => SERVING_SPECS.map((file) => readSpecFile(join(packageRoot, 'experiments/paper/biathlon', file))),
  run: runBiathlon,
  report: reportBiathlon,
};
