import { join } from 'node:path';
import { packageRoot } from '../../paths.js';
import type { Reproduction } from '../reproduction.js';
import { about } from './about.js';
import { readSpecFile } from '../../experiment/spec-variants.js';
import { reportBiathlon } from './report.js';
import { runBiathlon, type BiathlonOptions, type BiathlonResult } from './run.js';

/** Its pipelines served under load in the simulator, by Biathlon (the base specs) and exactly (their overrides). */
const SERVING_SPECS = ['tick-price.json', 'tick-price.exact.json', 'trip-fare-db.json', 'trip-fare-db.exact.json'];

/** Biathlon (Chang, Ye, Lo, VLDB 2024): approximate aggregation features with a guarantee on the model's output. */
export const biathlon: Reproduction<BiathlonOptions, BiathlonResult> = {
  ...about,
  specs: () => SERVING_SPECS.map((file) => readSpecFile(join(packageRoot, 'experiments/paper/biathlon', file))),
  run: runBiathlon,
  report: reportBiathlon,
};
